import { describe, expect, it } from 'vitest';
import type { SharedMemoryStore } from '../src/index.js';
import { expectRejectCode, useSandbox } from './helpers/sandbox.js';

const sb = useSandbox();

async function all(
  store: SharedMemoryStore,
  opts: Parameters<SharedMemoryStore['list']>[0],
): Promise<string[]> {
  const keys: string[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < 1000; page++) {
    const r = await store.list({ ...opts, cursor });
    keys.push(...r.entries.map((e) => e.key));
    cursor = r.cursor;
    if (cursor === null) return keys;
  }
  throw new Error('did not end');
}

const pad = (i: number) => `key-${String(i).padStart(4, '0')}`;

describe('list()', () => {
  it('pages through a namespace in key order with a cursor', async () => {
    const store = await sb().open();
    await store.setBulk(Array.from({ length: 250 }, (_, i) => ({ key: pad(i), value: i })));
    await store.set('elsewhere', 1, { namespace: 'other' });
    const first = await store.list({ limit: 100 });
    expect(first.entries).toHaveLength(100);
    expect(first.entries[0]).toMatchObject({
      namespace: 'shared_state',
      key: 'key-0000',
      value: 0,
      version: 1,
      dataType: 'persistent',
      expiresAt: null,
    });
    expect(typeof first.cursor).toBe('string');
    const keys = await all(store, { limit: 100 });
    expect(keys).toEqual(Array.from({ length: 250 }, (_, i) => pad(i)));
    expect(await all(store, { limit: 250 })).toHaveLength(250);
    expect((await store.list({ limit: 250 })).cursor).toBeNull();
    expect(await all(store, { limit: 7, reverse: true })).toEqual(
      Array.from({ length: 250 }, (_, i) => pad(249 - i)),
    );
  });

  it('is stable while entries come and go: no entry present throughout is skipped or repeated', async () => {
    const store = await sb().open();
    await store.setBulk(Array.from({ length: 100 }, (_, i) => ({ key: pad(i * 2), value: i })));
    const seen: string[] = [];
    let cursor: string | null = null;
    let round = 0;
    do {
      const r = await store.list({ limit: 10, cursor });
      seen.push(...r.entries.map((e) => e.key));
      cursor = r.cursor;
      // Between pages: insert keys before and after the cursor, delete the cursor's own key.
      await store.set(pad(round * 2 + 1), 'new');
      await store.set(`key-9${round}`, 'after');
      if (r.entries.length > 0) await store.delete(r.entries[r.entries.length - 1]!.key);
      round++;
    } while (cursor !== null);
    const evens = Array.from({ length: 100 }, (_, i) => pad(i * 2));
    for (const k of evens) expect(seen.filter((s) => s === k)).toHaveLength(1);
    expect(new Set(seen).size).toBe(seen.length);
  });

  it('takes a prefix as an index range, in the order of code points (SQLite’s), Unicode included', async () => {
    const store = await sb().open();
    const keys = [
      'a',
      'ab',
      'abc',
      'ab\uffff',
      'ab😀',
      'ab\u{10ffff}z',
      'a\u{10ffff}',
      'a\u{10ffff}x',
      'ac',
      'b',
      'é',
    ];
    for (const k of keys) await store.set(k, k);
    await store.set('ab-mem', 1, { dataType: 'transient' });
    expect(await all(store, { prefix: 'ab', limit: 2 })).toEqual([
      'ab',
      'ab-mem',
      'abc',
      'ab\uffff',
      'ab😀',
      'ab\u{10ffff}z',
    ]);
    expect(await all(store, { prefix: 'a\u{10ffff}' })).toEqual(['a\u{10ffff}', 'a\u{10ffff}x']);
    expect(await all(store, { prefix: 'ab', reverse: true, limit: 3 })).toEqual(
      ['ab', 'ab-mem', 'abc', 'ab\uffff', 'ab😀', 'ab\u{10ffff}z'].reverse(),
    );
    expect(await store.count({ prefix: 'ab' })).toBe(6);
    expect(await store.count({ prefix: 'a' })).toBe(10);
    expect(await store.count()).toBe(12);
    expect(await store.count({ prefix: 'zzz' })).toBe(0);
    expect(await store.count({ namespace: 'nowhere' })).toBe(0);
  });

  it('refuses a cursor it did not make, or made for another listing, and bad limits', async () => {
    const store = await sb().open();
    await store.setBulk(Array.from({ length: 5 }, (_, i) => ({ key: pad(i), value: i })));
    const { cursor } = await store.list({ limit: 2 });
    await expectRejectCode(
      store.list({ cursor: cursor!, namespace: 'other' }),
      'STORE_INVALID_CURSOR',
    );
    await expectRejectCode(store.list({ cursor: cursor!, reverse: true }), 'STORE_INVALID_CURSOR');
    await expectRejectCode(store.list({ cursor: 'garbage!' }), 'STORE_INVALID_CURSOR');
    await expectRejectCode(store.list({ limit: 0 }), 'STORE_INVALID_ARGUMENT');
    await expectRejectCode(store.list({ limit: 10_001 }), 'STORE_INVALID_ARGUMENT');
    await expectRejectCode(store.list({ prefix: 'a\0' }), 'STORE_INVALID_KEY');
    expect((await store.list({ cursor: cursor! })).entries.map((e) => e.key)).toEqual([
      pad(2),
      pad(3),
      pad(4),
    ]);
  });
});
