import { describe, expect, it } from 'vitest';
import { useSandbox } from './helpers/sandbox.js';

const sb = useSandbox();

describe('history of versioned entries', () => {
  it('keeps every version of a versioned entry, whatever the write path; newest first', async () => {
    const store = await sb().open();
    await store.set('plan', { step: 1 }, { dataType: 'versioned', metadata: { by: 'a' } });
    await store.set('plan', { step: 2 }, { dataType: 'versioned' });
    await store.atomic<{ step: number }>('plan', (p) => ({ step: p!.step + 1 }), {
      dataType: 'versioned',
    });
    await store.batch().set('plan', { step: 4 }, { dataType: 'versioned' }).commit();
    const h = await store.history('plan');
    expect(h.map((e) => [e.version, e.value])).toEqual([
      [4, { step: 4 }],
      [3, { step: 3 }],
      [2, { step: 2 }],
      [1, { step: 1 }],
    ]);
    expect(h[3]!.metadata).toEqual({ by: 'a' });
    expect(h[0]!.updatedAt).toBeGreaterThan(0);
    expect(Object.isFrozen(h[0]!.value)).toBe(true);
    expect(await store.get('plan', { version: 2 })).toEqual({ step: 2 });
    expect(await store.get('plan', { version: 4 })).toEqual(await store.get('plan'));
    expect(await store.get('plan', { version: 9 })).toBeNull();
    expect((await store.history('plan', { limit: 2 })).map((e) => e.version)).toEqual([4, 3]);
    await store.increment('count', 1, { dataType: 'versioned' });
    await store.increment('count', 5);
    expect((await store.history('count')).map((e) => e.value)).toEqual([6, 1]);
  });

  it('keeps no history for other data types, and none after the entry is deleted or re-created', async () => {
    const store = await sb().open();
    await store.set('p', 1);
    await store.set('p', 2);
    expect(await store.history('p')).toEqual([]);
    expect(await store.get('p', { version: 1 })).toBeNull();
    await store.set('v', 'a', { dataType: 'versioned' });
    await store.set('v', 'b', { dataType: 'versioned' });
    await store.delete('v');
    expect(await store.history('v')).toEqual([]);
    await store.set('v', 'c', { dataType: 'versioned' });
    expect((await store.history('v')).map((e) => [e.version, e.value])).toEqual([[1, 'c']]);
    // A versioned entry that becomes another type takes its history with it.
    await store.set('v', 'd');
    expect(await store.history('v')).toEqual([]);
    // Namespaces are apart.
    await store.set('v', 'n', { dataType: 'versioned', namespace: 'other' });
    expect((await store.history('v', { namespace: 'other' })).map((e) => e.value)).toEqual(['n']);
  });

  it('an expired entry shows no history; retention keeps the newest history.maxVersions', async () => {
    const s = sb();
    const store = await s.open({
      history: { maxVersions: 3 },
      changeFeed: { pruneIntervalMs: 20 },
    });
    for (let i = 1; i <= 6; i++) await store.set('k', i, { dataType: 'versioned' });
    // Retention applies at once to what is read, and the pruner removes the rest.
    expect((await store.history('k')).map((e) => e.version)).toEqual([6, 5, 4]);
    expect(await store.get('k', { version: 3 })).toBeNull();
    expect(await store.get('k', { version: 4 })).toBe(4);
    await new Promise((r) => setTimeout(r, 100));
    const rows = await s
      .inspect()
      .all<{ version: number }>('SELECT version FROM memory_history ORDER BY version');
    expect(rows.map((r) => r.version)).toEqual([4, 5, 6]);
    await store.set('t', 'x', { dataType: 'versioned', ttl: 1 });
    await new Promise((r) => setTimeout(r, 5));
    expect(await store.history('t')).toEqual([]);
    expect(await store.get('t', { version: 1 })).toBeNull();
  });

  it('refuses bad input with clear codes', async () => {
    const store = await sb().open();
    await expect(store.history('')).rejects.toMatchObject({ code: 'STORE_INVALID_KEY' });
    await expect(store.history('k', { limit: 0 })).rejects.toMatchObject({
      code: 'STORE_INVALID_ARGUMENT',
    });
    await expect(
      store.get('k', { version: 1, includeMetadata: true } as never),
    ).rejects.toMatchObject({ code: 'STORE_INVALID_ARGUMENT' });
  });
});
