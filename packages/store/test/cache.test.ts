import { describe, expect, it } from 'vitest';
import type { CacheEvent } from '../src/index.js';
import { sleep, useSandbox } from './helpers/sandbox.js';

const sb = useSandbox();
const nextMacrotask = () => new Promise((r) => setImmediate(r));

describe('the read cache', () => {
  it('serves repeated reads from memory, and never a value that was overwritten or deleted', async () => {
    const store = await sb().open();
    const events: CacheEvent[] = [];
    store.events.on('cache', (e) => events.push(e));
    await store.set('k', 'v1');
    expect(await store.get('k')).toBe('v1');
    expect(await store.get('k')).toBe('v1');
    expect(store.stats().cache).toMatchObject({ hits: 1, misses: 1, entries: 1 });
    await store.set('k', 'v2');
    expect(await store.get('k')).toBe('v2');
    await store.delete('k');
    expect(await store.get('k')).toBeNull();
    expect(events.map((e) => e.type)).toEqual([
      'miss',
      'hit',
      'invalidate',
      'miss',
      'invalidate',
      'miss',
    ]);
    expect(events[2]).toMatchObject({ type: 'invalidate', reason: 'write', key: 'k' });
  });

  it('is coherent with other connections: a commit anywhere makes cached entries stale', async () => {
    const s = sb();
    const a = await s.open();
    const b = await s.open();
    await a.set('k', 'a1');
    expect(await b.get('k')).toBe('a1');
    expect(await b.get('k')).toBe('a1'); // cached in b
    await a.set('k', 'a2');
    await nextMacrotask(); // b's read snapshot from before a's commit has ended
    expect(await b.get('k')).toBe('a2');
    // An absent key is cached too, and a later insert elsewhere is seen.
    expect(await b.get('new')).toBeNull();
    expect(await b.get('new')).toBeNull();
    await s
      .inspect()
      .run(
        "INSERT INTO shared_memory (namespace, key, data_type, value, created_at, updated_at) VALUES ('shared_state', 'new', 'persistent', '\"raw\"', 1, 1)",
      );
    await nextMacrotask();
    expect(await b.get('new')).toBe('raw');
    // A commit that does not touch the entry makes it stale as well (the cache cannot tell).
    const before = b.stats().cache!.misses;
    await a.set('unrelated', 1);
    await nextMacrotask();
    expect(await b.get('new')).toBe('raw');
    expect(b.stats().cache!.misses).toBe(before + 1);
  });

  it('is bounded by entries and bytes; eviction forgets, it never deletes', async () => {
    const s = sb();
    const store = await s.open({ cache: { maxEntries: 10, maxBytes: 1_000_000 } });
    for (let i = 0; i < 50; i++) await store.set(`k${i}`, i);
    for (let i = 0; i < 50; i++) expect(await store.get(`k${i}`)).toBe(i);
    expect(store.stats().cache!.entries).toBe(10);
    expect(store.stats().cache!.evictions).toBe(40);
    for (let i = 0; i < 50; i++) expect(await store.get(`k${i}`)).toBe(i);
    expect((await s.rows()).length).toBe(50);

    const small = await s.open({ cache: { maxEntries: 1000, maxBytes: 20_000 } });
    for (let i = 0; i < 20; i++) await small.set(`big${i}`, 'x'.repeat(1000));
    for (let i = 0; i < 20; i++) await small.get(`big${i}`);
    expect(small.stats().cache!.bytes).toBeLessThanOrEqual(20_000);
    expect(small.stats().cache!.entries).toBeLessThan(20);
  });

  it('with staleMs, serves an entry that long without asking, but never hides this store’s own writes', async () => {
    const s = sb();
    const a = await s.open({ cache: { staleMs: 60_000 } });
    const b = await s.open();
    await a.set('k', 'a1');
    expect(await a.get('k')).toBe('a1');
    await b.set('k', 'b1');
    await sleep(5);
    expect(await a.get('k')).toBe('a1'); // the bound the user chose
    expect(await a.get('k', { bypassCache: true })).toBe('b1');
    await a.set('k', 'a2');
    expect(await a.get('k')).toBe('a2');
  });

  it('can be turned off; the store then reads every time and reports no cache stats', async () => {
    const s = sb();
    const store = await s.open({ cache: false });
    await store.set('k', 1);
    expect(await store.get('k')).toBe(1);
    expect(await store.get('k')).toBe(1);
    expect(store.stats().cache).toBeUndefined();
    const stats = await store.getStats();
    expect(stats).not.toHaveProperty('hits');
    expect(stats).not.toHaveProperty('cacheHitRate');
    expect(stats.reads).toBe(2);
  });

  it('getStats reports the hit rate as the seed did', async () => {
    const store = await sb().open();
    await store.set('k', 1);
    for (let i = 0; i < 4; i++) await store.get('k');
    expect(await store.getStats()).toMatchObject({
      hits: 3,
      misses: 1,
      cacheHitRate: '75.00%',
      reads: 4,
      writes: 1,
    });
  });
});
