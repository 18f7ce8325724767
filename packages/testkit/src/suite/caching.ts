import { expect, it } from 'vitest';
import { runStoreWorker } from '../store-worker.js';
import type { CaseEnv } from './context.js';

/** Case 4: query caching — hits, and never a stale result after a write here or in another process. */
export function cachingCase(env: () => CaseEnv): void {
  it('serves repeated reads from the cache, and a write here is seen by the next read', async () => {
    const e = env();
    const store = await e.store();
    await store.set('k', { v: 1 });
    expect(await store.get('k')).toEqual({ v: 1 });
    const before = store.stats().cache;
    for (let i = 0; i < 10; i++) expect(await store.get('k')).toEqual({ v: 1 });
    const after = store.stats().cache;
    if (before && after) expect(after.hits - before.hits).toBeGreaterThanOrEqual(9);
    for (let v = 2; v <= 20; v++) {
      await store.set('k', { v });
      expect(await store.get('k')).toEqual({ v });
    }
    await store.delete('k');
    expect(await store.get('k')).toBeNull();
  });

  it('never serves a stale value after another process writes or deletes the key', async () => {
    const e = env();
    const store = await e.store();
    await store.set('shared', 'v0');
    await store.set('other', 'o0');
    for (let round = 1; round <= 4; round++) {
      // Warm the cache, then let another process commit.
      expect(await store.get('shared')).toBe(`v${round - 1}`);
      expect(await store.get('shared')).toBe(`v${round - 1}`);
      await runStoreWorker(e.root, e.config.store, 'set', { key: 'shared', value: `v${round}` });
      expect(await store.get('shared')).toBe(`v${round}`);
    }
    // A key absent here and cached as absent appears when another process creates it.
    expect(await store.get('late')).toBeNull();
    await runStoreWorker(e.root, e.config.store, 'set', { key: 'late', value: 'arrived' });
    expect(await store.get('late')).toBe('arrived');
    // A delete in another process is seen: the cached value does not come back.
    expect(await store.get('other')).toBe('o0');
    await runStoreWorker(e.root, e.config.store, 'delete', { key: 'other' });
    expect(await store.get('other')).toBeNull();
    expect(await store.keys({ pattern: 'other' })).toEqual([]);
  });

  it("the pool's query cache hits, and is never stale after another process commits", async () => {
    const e = env();
    const store = await e.store();
    await store.set('q', 'first');
    const pool = await e.pool({ filename: '.hive-mind/memory.db', queryCache: true });
    const sql = 'SELECT value FROM shared_memory WHERE namespace = ? AND key = ?';
    const params = ['shared_state', 'q'];
    expect(await pool.get(sql, params)).toEqual({ value: '"first"' });
    expect(await pool.get(sql, params)).toEqual({ value: '"first"' });
    const hits = pool.stats().cache?.hits ?? 0;
    expect(await pool.get(sql, params)).toEqual({ value: '"first"' });
    expect(pool.stats().cache?.hits).toBeGreaterThan(hits);
    await runStoreWorker(e.root, e.config.store, 'set', { key: 'q', value: 'second' });
    expect(await pool.get(sql, params)).toEqual({ value: '"second"' });
    await runStoreWorker(e.root, e.config.store, 'delete', { key: 'q' });
    expect(await pool.get(sql, params)).toBeUndefined();
  });
}
