import { describe, expect, it } from 'vitest';
import { expectRejectCode, useSandbox } from './helpers/sandbox.js';

const sb = useSandbox();

describe('data types', () => {
  it('transient entries never touch disk and are private to their store', async () => {
    const s = sb();
    const a = await s.open();
    const b = await s.open();
    const r = await a.set(
      'scratch',
      { draft: true },
      { dataType: 'transient', metadata: { m: 1 } },
    );
    expect(r).toEqual({ success: true, version: 1, size: 14, expiresAt: null });
    expect(await a.get('scratch', { includeMetadata: true })).toMatchObject({
      metadata: { dataType: 'transient', version: 1, custom: { m: 1 }, accessCount: 1 },
    });
    expect(
      (await a.set('scratch', { draft: false }, { dataType: 'transient', version: 1 })).version,
    ).toBe(2);
    expect(await a.get('scratch')).toEqual({ draft: false });
    // A write replaces the metadata too (here: with none).
    expect(await a.get('scratch', { includeMetadata: true })).toMatchObject({
      metadata: { dataType: 'transient', version: 2, custom: null, accessCount: 3 },
    });
    expect(await b.get('scratch')).toBeNull();
    expect(await s.rows()).toEqual([]);
    expect(await a.keys({ dataType: 'transient' })).toEqual(['scratch']);
    expect(await a.count()).toBe(1);
    expect(await b.count()).toBe(0);
    await a.flush();
    expect(await s.rows()).toEqual([]);
  });

  it('a transient write replaces an entry on disk (deletes it); a persistent write moves it back to disk', async () => {
    const s = sb();
    const store = await s.open();
    await store.set('k', 'on disk');
    await store.set('k', 'on disk 2');
    const t = await store.set('k', 'in memory', { dataType: 'transient' });
    expect(t.version).toBe(3); // versions go on across the move
    expect(await s.rows()).toEqual([]);
    expect(await store.get('k')).toBe('in memory');
    const p = await store.set('k', 'on disk again', { version: 3 });
    expect(p.version).toBe(4);
    expect((await s.rows()).map((row) => [row.key, row.value, row.version])).toEqual([
      ['k', '"on disk again"', 4],
    ]);
    expect(store.stats().transientEntries).toBe(0);
  });

  it('persistent, shared and versioned entries are on disk for every process; cached ones expire', async () => {
    const s = sb();
    const a = await s.open();
    const b = await s.open();
    for (const dataType of ['persistent', 'shared', 'versioned', 'cached'] as const)
      await a.set(dataType, dataType, { dataType });
    for (const dataType of ['persistent', 'shared', 'versioned', 'cached'])
      expect(await b.get(dataType)).toBe(dataType);
    const rows = await s.rows();
    expect(rows.map((r) => [r.key, r.data_type, r.expires_at === null])).toEqual([
      ['cached', 'cached', false],
      ['persistent', 'persistent', true],
      ['shared', 'shared', true],
      ['versioned', 'versioned', true],
    ]);
  });

  it('changing the data type of an entry on disk keeps its version counting', async () => {
    const store = await sb().open();
    await store.set('k', 1, { dataType: 'shared' });
    expect((await store.set('k', 2, { dataType: 'versioned' })).version).toBe(2);
    expect(await store.get('k', { includeMetadata: true })).toMatchObject({
      metadata: { dataType: 'versioned', version: 2 },
    });
    expect(await store.keys({ dataType: 'shared' })).toEqual([]);
  });

  it("get(key, { version }) reads a versioned entry's history (see history.test.ts)", async () => {
    const store = await sb().open();
    await store.set('k', 1, { dataType: 'versioned' });
    await store.set('k', 2, { dataType: 'versioned' });
    expect(await store.get('k', { version: 1 })).toBe(1);
    expect(await store.get('k', { version: 3 })).toBeNull();
    await expectRejectCode(store.get('k', { version: 0 }), 'STORE_INVALID_ARGUMENT');
  });
});

describe('restart', () => {
  it('keeps every persistent entry and drops every transient one; keys(), getStats() and get() agree', async () => {
    const s = sb();
    const first = await s.open();
    const persistent: Record<string, unknown> = {};
    for (let i = 0; i < 50; i++) {
      const ns = ['agent_context', 'task_results', 'shared_state'][i % 3]!;
      const value = { i, text: `value ${i}`, list: [i, i * 2] };
      await first.set(`p${i}`, value, {
        namespace: ns,
        dataType: i % 5 === 0 ? 'shared' : 'persistent',
      });
      persistent[`${ns}/p${i}`] = value;
    }
    for (let i = 0; i < 20; i++)
      await first.set(`t${i}`, i, { namespace: 'temp', dataType: 'transient' });
    await first.increment('counter', 7);
    persistent['shared_state/counter'] = 7;
    const statsBefore = await first.getStats();
    expect(statsBefore.entryCount).toBe(71);
    expect(statsBefore.transientEntries).toBe(20);
    await first.shutdown();

    const second = await s.open();
    const stats = await second.getStats();
    expect(stats.entryCount).toBe(51);
    expect(stats.totalEntries).toBe(51);
    expect(stats.transientEntries).toBe(0);
    expect(stats.namespaces).toEqual({ agent_context: 17, shared_state: 17, task_results: 17 });
    // t0…t9 were 1 byte of JSON each, t10…t19 2 bytes.
    expect(stats.memoryUsage).toBe(statsBefore.memoryUsage - 10 * 1 - 10 * 2);
    expect(await second.keys({ namespace: 'temp' })).toEqual([]);
    for (let i = 0; i < 20; i++)
      expect(await second.get(`t${i}`, { namespace: 'temp' })).toBeNull();
    let keyCount = 0;
    for (const ns of ['agent_context', 'task_results', 'shared_state']) {
      const keys = await second.keys({ namespace: ns });
      keyCount += keys.length;
      expect(keys.length).toBe(stats.namespaces[ns]);
      for (const k of keys)
        expect(await second.get(k, { namespace: ns })).toEqual(persistent[`${ns}/${k}`]);
    }
    expect(keyCount).toBe(Object.keys(persistent).length);
  });
});
