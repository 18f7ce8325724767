import { describe, expect, it } from 'vitest';
import type { CacheEvent, QueryCacheOptions } from '../src/index.js';
import { sleep, useSandbox, writeInChild } from './helpers/index.js';

const sb = useSandbox();

const Q = 'SELECT v FROM kv WHERE k = ?';

async function setup(options: { queryCache: true | QueryCacheOptions }) {
  const s = sb();
  const pool = s.pool({ filename: 'cache.db', ...options });
  await pool.run('CREATE TABLE kv (k TEXT PRIMARY KEY, v TEXT NOT NULL)');
  await pool.run("INSERT INTO kv (k, v) VALUES ('a', 'v0')");
  const events: CacheEvent[] = [];
  pool.events.on('cache', (e) => events.push(e));
  return { s, pool, events };
}

describe('query cache', () => {
  it('counts hits and misses in stats() and in cache events', async () => {
    const { pool, events } = await setup({ queryCache: true });
    const before = pool.stats().cache!;
    expect(await pool.get(Q, ['a'])).toEqual({ v: 'v0' });
    expect(await pool.get(Q, ['a'])).toEqual({ v: 'v0' });
    expect(await pool.get(Q, ['a'])).toEqual({ v: 'v0' });
    const after = pool.stats().cache!;
    expect(after.misses - before.misses).toBe(1);
    expect(after.hits - before.hits).toBe(2);
    expect(after.entries).toBeGreaterThanOrEqual(1);
    expect(events.filter((e) => e.type === 'miss')).toHaveLength(1);
    expect(events.filter((e) => e.type === 'hit')).toHaveLength(2);
  });

  it('never serves a row stale after another process updated it', async () => {
    const { s, pool } = await setup({ queryCache: true });
    for (let i = 1; i <= 5; i++) {
      await pool.get(Q, ['a']);
      await pool.get(Q, ['a']); // cached now
      await writeInChild(s.file('cache.db'), 'UPDATE kv SET v = ? WHERE k = ?', [
        `child ${i}`,
        'a',
      ]);
      expect(await pool.get(Q, ['a'])).toEqual({ v: `child ${i}` });
      expect(await pool.all('SELECT k, v FROM kv')).toEqual([{ k: 'a', v: `child ${i}` }]);
    }
  });

  it('never serves a deleted row after another process deleted it', async () => {
    const { s, pool } = await setup({ queryCache: true });
    await pool.get(Q, ['a']);
    await pool.get(Q, ['a']);
    await writeInChild(s.file('cache.db'), 'DELETE FROM kv WHERE k = ?', ['a']);
    expect(await pool.get(Q, ['a'])).toBeUndefined();
  });

  it('sees a commit by another connection in this process', async () => {
    const { s, pool } = await setup({ queryCache: true });
    const other = s.raw('cache.db');
    await pool.get(Q, ['a']);
    await pool.get(Q, ['a']);
    other.prepare('UPDATE kv SET v = ? WHERE k = ?').run('other', 'a');
    // Read snapshots may lag another connection by their window (1 ms, or this macrotask).
    await sleep(5);
    expect(await pool.get(Q, ['a'])).toEqual({ v: 'other' });
  });

  it('a write through the pool invalidates: run, transaction, and a write lease', async () => {
    const { pool, events } = await setup({ queryCache: true });
    await pool.get(Q, ['a']);
    await pool.get(Q, ['a']);
    const inv0 = pool.stats().cache!.invalidations;

    await pool.run('UPDATE kv SET v = ? WHERE k = ?', ['run', 'a']);
    expect(await pool.get(Q, ['a'])).toEqual({ v: 'run' });
    expect(pool.stats().cache!.invalidations).toBeGreaterThan(inv0);
    expect(events.some((e) => e.type === 'invalidate')).toBe(true);

    await pool.get(Q, ['a']);
    await pool.transaction((tx) => tx.run('UPDATE kv SET v = ? WHERE k = ?', ['tx', 'a']));
    expect(await pool.get(Q, ['a'])).toEqual({ v: 'tx' });

    await pool.get(Q, ['a']);
    await pool.executeQuery('UPDATE kv SET v = ? WHERE k = ?', ['exec', 'a']);
    expect(await pool.get(Q, ['a'])).toEqual({ v: 'exec' });

    await pool.get(Q, ['a']);
    await pool.withConnection(
      (lease) => lease.run('UPDATE kv SET v = ? WHERE k = ?', ['lease', 'a']),
      {
        mode: 'write',
      },
    );
    expect(await pool.get(Q, ['a'])).toEqual({ v: 'lease' });

    await pool.get(Q, ['a']);
    const h = await pool.begin();
    h.run('UPDATE kv SET v = ? WHERE k = ?', ['begin', 'a']);
    await h.commit();
    expect(await pool.get(Q, ['a'])).toEqual({ v: 'begin' });
  });

  it('a result handed out cannot be changed in the cache by mutating it', async () => {
    const { pool } = await setup({ queryCache: true });
    const first = await pool.get<{ v: string }>(Q, ['a']);
    try {
      first!.v = 'mutated';
    } catch {
      // A frozen result is a valid way to protect the cache.
    }
    const rows = await pool.all<{ v: string }>('SELECT v FROM kv');
    try {
      rows.push({ v: 'pushed' });
      rows[0]!.v = 'mutated';
    } catch {
      // idem
    }
    expect(await pool.get(Q, ['a'])).toEqual({ v: 'v0' });
    expect(await pool.all('SELECT v FROM kv')).toEqual([{ v: 'v0' }]);
  });

  it('an entry past its TTL is a miss', async () => {
    const { pool } = await setup({ queryCache: { ttlMs: 50 } });
    await pool.get(Q, ['a']);
    await pool.get(Q, ['a']);
    const before = pool.stats().cache!;
    await sleep(120);
    await pool.get(Q, ['a']);
    const after = pool.stats().cache!;
    expect(after.misses - before.misses).toBe(1);
    expect(after.hits - before.hits).toBe(0);
  });

  it("reads inside a transaction bypass the cache and see the transaction's own writes", async () => {
    const { pool } = await setup({ queryCache: true });
    await pool.get(Q, ['a']);
    const before = pool.stats().cache!;
    const seen = await pool.transaction((tx) => {
      tx.run('UPDATE kv SET v = ? WHERE k = ?', ['inside', 'a']);
      return tx.get(Q, ['a']);
    });
    expect(seen).toEqual({ v: 'inside' });
    const after = pool.stats().cache!;
    expect(after.hits).toBe(before.hits);
    expect(after.misses).toBe(before.misses);
  });

  it('is off unless configured: no cache stats, and nothing cached', async () => {
    const s = sb();
    const pool = s.pool({ filename: 'nocache.db' });
    expect(pool.stats().cache).toBeUndefined();
    await pool.run('CREATE TABLE kv (k TEXT PRIMARY KEY, v TEXT NOT NULL)');
    await pool.run("INSERT INTO kv (k, v) VALUES ('a', 'v0')");
    const events: CacheEvent[] = [];
    pool.events.on('cache', (e) => events.push(e));
    await pool.get(Q, ['a']);
    await pool.get(Q, ['a']);
    expect(events).toEqual([]);
  });

  it('cacheAllReads: false caches only the reads that ask; cache: false bypasses', async () => {
    const s = sb();
    const pool = s.pool({ filename: 'optin.db', queryCache: { cacheAllReads: false } });
    await pool.run('CREATE TABLE kv (k TEXT PRIMARY KEY, v TEXT NOT NULL)');
    await pool.run("INSERT INTO kv (k, v) VALUES ('a', 'v0')");
    await pool.get(Q, ['a']);
    await pool.get(Q, ['a']);
    expect(pool.stats().cache!.hits).toBe(0);
    await pool.get(Q, ['a'], { cache: true });
    expect(await pool.get(Q, ['a'], { cache: true })).toEqual({ v: 'v0' });
    expect(pool.stats().cache!.hits).toBe(1);

    const all = s.pool({ filename: 'optout.db', queryCache: true });
    await all.run('CREATE TABLE kv (k TEXT PRIMARY KEY, v TEXT NOT NULL)');
    await all.run("INSERT INTO kv (k, v) VALUES ('a', 'v0')");
    await all.get(Q, ['a'], { cache: false });
    await all.get(Q, ['a'], { cache: false });
    expect(all.stats().cache!.hits).toBe(0);
    expect(all.stats().cache!.entries).toBe(0);
  });

  it('keeps at most maxEntries entries', async () => {
    const { pool } = await setup({ queryCache: { maxEntries: 2 } });
    for (const k of ['a', 'b', 'c', 'd']) await pool.get(Q, [k]);
    expect(pool.stats().cache!.entries).toBeLessThanOrEqual(2);
  });

  it('keys entries by their parameters: values of different types are different entries', async () => {
    const { pool } = await setup({ queryCache: true });
    expect(await pool.get('SELECT typeof(?) AS t', ['1'])).toEqual({ t: 'text' });
    expect(await pool.get('SELECT typeof(?) AS t', [1n])).toEqual({ t: 'integer' });
    expect(await pool.get('SELECT typeof(?) AS t', [null])).toEqual({ t: 'null' });
    expect(await pool.get('SELECT typeof(?) AS t', [Buffer.from('1')])).toEqual({ t: 'blob' });
    expect(await pool.get('SELECT @k AS k', { k: 'a' })).toEqual({ k: 'a' });
    expect(await pool.get('SELECT @k AS k', { k: 'b' })).toEqual({ k: 'b' });
    expect(await pool.get('SELECT ? AS a, ? AS b', ['x,y', 'z'])).toEqual({ a: 'x,y', b: 'z' });
    expect(await pool.get('SELECT ? AS a, ? AS b', ['x', 'y,z'])).toEqual({ a: 'x', b: 'y,z' });
  });
});
