import { describe, expect, it } from 'vitest';
import { DATA_TYPES, NAMESPACES } from '../src/index.js';
import { expectRejectCode, useSandbox } from './helpers/sandbox.js';

const sb = useSandbox();

describe('set / get / delete (the seed interface)', () => {
  it('set resolves to { success, version, size, expiresAt }; get returns the value', async () => {
    const store = await sb().open();
    const first = await store.set('plan', { steps: ['a', 'b'], n: 2 });
    expect(first).toEqual({ success: true, version: 1, size: 25, expiresAt: null });
    const second = await store.set('plan', { steps: [], n: 0 });
    expect(second.version).toBe(2);
    expect(await store.get('plan')).toEqual({ steps: [], n: 0 });
    expect(await store.get('missing')).toBeNull();
  });

  it('the same key in two namespaces holds two values', async () => {
    const s = sb();
    const store = await s.open();
    await store.set('status', 'from agents', { namespace: 'agent_context' });
    await store.set('status', 'from tasks', { namespace: 'task_results' });
    await store.set('status', 'default namespace');
    expect(await store.get('status', { namespace: 'agent_context' })).toBe('from agents');
    expect(await store.get('status', { namespace: 'task_results' })).toBe('from tasks');
    expect(await store.get('status')).toBe('default namespace');
    expect(await store.get('status', { namespace: NAMESPACES.SHARED_STATE })).toBe(
      'default namespace',
    );
    // …and on disk they are three rows, each with its own version.
    const rows = await s.rows();
    expect(rows.map((r) => [r.namespace, r.key, r.value, r.version])).toEqual([
      ['agent_context', 'status', '"from agents"', 1],
      ['shared_state', 'status', '"default namespace"', 1],
      ['task_results', 'status', '"from tasks"', 1],
    ]);
    expect(await store.delete('status', { namespace: 'agent_context' })).toBe(true);
    expect(await store.get('status', { namespace: 'agent_context' })).toBeNull();
    expect(await store.get('status', { namespace: 'task_results' })).toBe('from tasks');
  });

  it('every JSON value round-trips, null included (told apart from absence by includeMetadata)', async () => {
    const store = await sb().open();
    const values: unknown[] = [
      null,
      true,
      false,
      0,
      -1.5,
      1e300,
      '',
      'text with "quotes" and \\ and \n',
      '🐝 émoji',
      [],
      [1, [2, [3]], { a: null }],
      {},
      { nested: { deep: { deeper: [1, 'x', false] } } },
    ];
    for (const [i, v] of values.entries()) await store.set(`v${i}`, v);
    for (const [i, v] of values.entries()) expect(await store.get(`v${i}`)).toEqual(v);
    expect(await store.get('v0', { includeMetadata: true })).toMatchObject({
      value: null,
      found: true,
    });
    expect(await store.get('nope', { includeMetadata: true })).toEqual({
      value: null,
      metadata: null,
      found: false,
    });
  });

  it('a Date is stored as its ISO string, an undefined property is left out (as JSON does)', async () => {
    const store = await sb().open();
    const at = new Date('2026-01-02T03:04:05.000Z');
    await store.set('d', { at, gone: undefined, kept: 1 });
    expect(await store.get('d')).toEqual({ at: '2026-01-02T03:04:05.000Z', kept: 1 });
  });

  it('includeMetadata gives the entry bookkeeping and the caller metadata', async () => {
    const store = await sb().open();
    await store.set('k', [1, 2, 3], { metadata: { owner: 'agent-1', tags: ['x'] } });
    await store.set('k', [1, 2, 3, 4], { metadata: { owner: 'agent-2' } });
    const got = await store.get<number[]>('k', { includeMetadata: true });
    expect(got.found).toBe(true);
    expect(got.value).toEqual([1, 2, 3, 4]);
    expect(got.metadata).toMatchObject({
      namespace: 'shared_state',
      key: 'k',
      dataType: 'persistent',
      version: 2,
      expiresAt: null,
      size: 9,
      custom: { owner: 'agent-2' },
    });
    expect(got.metadata!.updatedAt).toBeGreaterThanOrEqual(got.metadata!.createdAt);
    expect(got.metadata!.accessCount).toBe(1);
  });

  it('returns values deeply frozen, with or without the cache', async () => {
    for (const cache of [true, false]) {
      const store = await sb().open({ cache });
      await store.set('obj', { list: [{ a: 1 }] });
      const v = (await store.get('obj')) as { list: { a: number }[] };
      expect(Object.isFrozen(v)).toBe(true);
      expect(Object.isFrozen(v.list[0])).toBe(true);
      expect(() => {
        (v.list[0] as { a: number }).a = 2;
      }).toThrow(TypeError);
      expect(await store.get('obj')).toEqual({ list: [{ a: 1 }] });
      await store.shutdown();
    }
  });

  it('delete resolves to whether a live entry was there', async () => {
    const store = await sb().open();
    await store.set('a', 1);
    expect(await store.delete('a')).toBe(true);
    expect(await store.delete('a')).toBe(false);
    expect(await store.get('a')).toBeNull();
    // Deleted and written again: a new entry, version 1.
    expect((await store.set('a', 2)).version).toBe(1);
  });

  it('stores SQL-injection-looking keys, namespaces and values verbatim', async () => {
    const s = sb();
    const store = await s.open();
    const key = "x'); DROP TABLE shared_memory; --";
    const namespace = "ns' OR '1'='1";
    const value = { sql: "'; DELETE FROM shared_memory WHERE 1=1; --", like: '%_\\', q: '"' };
    await store.set(key, value, { namespace });
    await store.set('other', "Robert'); DROP TABLE agent_memory;--");
    expect(await store.get(key, { namespace })).toEqual(value);
    expect(await store.get('other')).toBe("Robert'); DROP TABLE agent_memory;--");
    expect(await store.keys({ namespace })).toEqual([key]);
    expect(await store.list({ namespace, prefix: "x'" })).toMatchObject({
      entries: [{ key, value }],
    });
    const rows = await s.rows();
    expect(rows.find((r) => r.namespace === namespace)).toMatchObject({
      key,
      value: JSON.stringify(value),
    });
    expect(
      await s
        .inspect('hive')
        .get("SELECT count(*) AS n FROM sqlite_master WHERE name = 'agent_memory'"),
    ).toEqual({ n: 1 });
  });

  it('exposes the seed namespaces and data types', async () => {
    const store = await sb().open();
    expect(store.namespaces).toBe(NAMESPACES);
    expect(store.dataTypes).toBe(DATA_TYPES);
    expect(Object.values(DATA_TYPES).sort()).toEqual(
      ['cached', 'locked', 'persistent', 'shared', 'transient', 'versioned'].sort(),
    );
    expect(NAMESPACES.SHARED_STATE).toBe('shared_state');
  });
});

describe('keys()', () => {
  it('filters by namespace, data type and pattern; lists every namespace by default', async () => {
    const store = await sb().open();
    await store.set('task:1', 1, { namespace: 'task_results' });
    await store.set('task:2', 2, { namespace: 'task_results', dataType: 'shared' });
    await store.set('agent:1', 3, { namespace: 'agent_context' });
    await store.set('task:1', 4, { namespace: 'agent_context' });
    expect(await store.keys({ namespace: 'task_results' })).toEqual(['task:1', 'task:2']);
    expect(await store.keys({ namespace: 'task_results', dataType: 'shared' })).toEqual(['task:2']);
    expect(await store.keys({ pattern: 'task:*' })).toEqual(['task:1', 'task:1', 'task:2']);
    expect(await store.keys({ pattern: '*ent*' })).toEqual(['agent:1']);
    expect(await store.keys()).toEqual(['agent:1', 'task:1', 'task:1', 'task:2']);
    await expectRejectCode(store.keys({ pattern: /agent/ as never }), 'STORE_INVALID_ARGUMENT');
  });
});

describe('clear()', () => {
  it('empties one namespace, or every namespace', async () => {
    const store = await sb().open();
    await store.set('a', 1, { namespace: 'x' });
    await store.set('b', 2, { namespace: 'x' });
    await store.set('t', 3, { namespace: 'x', dataType: 'transient' });
    await store.set('a', 4, { namespace: 'y' });
    expect(await store.get('a', { namespace: 'x' })).toBe(1); // cached now
    expect(await store.clear({ namespace: 'x' })).toBe(3);
    expect(await store.get('a', { namespace: 'x' })).toBeNull();
    expect(await store.get('t', { namespace: 'x' })).toBeNull();
    expect(await store.get('a', { namespace: 'y' })).toBe(4);
    expect(await store.clear()).toBe(1);
    expect(await store.keys()).toEqual([]);
  });
});
