import { expect, it } from 'vitest';
import { type CaseEnv, rejectionOf, sleep } from './context.js';

const TABLE = 'CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)';

/** Case 1: connection pooling — reuse, limits, acquire timeout, no leak after exhaustion. */
export function poolingCase(env: () => CaseEnv): void {
  it('reuses its connections: 200 reads and 50 writes open no more than maxConnections', async () => {
    const pool = await env().pool({ filename: 'pool.db' });
    await pool.run(TABLE);
    for (let i = 0; i < 50; i++) await pool.run('INSERT INTO t (v) VALUES (?)', [`v${i}`]);
    await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        pool.get('SELECT v FROM t WHERE id = ?', [(i % 50) + 1]),
      ),
    );
    await sleep(20); // the last read snapshot ends
    const st = pool.stats();
    expect(st.total).toBeLessThanOrEqual(st.maxConnections);
    expect(st.counters.connectionsOpened).toBeLessThanOrEqual(st.maxConnections);
    expect(st.leased).toBe(0);
  });

  it('holds to its limit: with every reader leased, acquire fails with POOL_ACQUIRE_TIMEOUT after its timeout', async () => {
    const pool = await env().pool({ filename: 'pool.db' });
    const max = pool.stats().readers.max;
    expect(max).toBeGreaterThanOrEqual(1);
    const leases = [];
    for (let i = 0; i < max; i++) leases.push(await pool.acquire({ timeoutMs: 5000 }));
    expect(new Set(leases.map((l) => l.connectionId)).size).toBe(max);
    const t0 = performance.now();
    const err = await rejectionOf(pool.acquire({ timeoutMs: 150 }));
    const waited = performance.now() - t0;
    expect(err.code).toBe('POOL_ACQUIRE_TIMEOUT');
    expect(waited).toBeGreaterThanOrEqual(140);
    expect(waited).toBeLessThan(5000);
    expect(pool.stats().total).toBeLessThanOrEqual(pool.stats().maxConnections);
    for (const l of leases) l.release();
  });

  it('leaks nothing after exhaustion: timed-out waiters never take a connection, every reader can be leased again', async () => {
    const pool = await env().pool({ filename: 'pool.db' });
    const max = pool.stats().readers.max;
    const leases = await Promise.all(
      Array.from({ length: max }, () => pool.acquire({ timeoutMs: 5000 })),
    );
    const timedOut = await Promise.all(
      Array.from({ length: 5 }, () => rejectionOf(pool.acquire({ timeoutMs: 50 }))),
    );
    expect(timedOut.map((e) => e.code)).toEqual(Array(5).fill('POOL_ACQUIRE_TIMEOUT'));
    expect(pool.stats().waiting).toBe(0);
    for (const l of leases) l.release();
    await sleep(20);
    const st = pool.stats();
    expect(st.leased).toBe(0);
    expect(st.readers.leased).toBe(0);
    // Every reader can be leased again at once: none was kept by a waiter that gave up.
    const again = await Promise.all(
      Array.from({ length: max }, () => pool.acquire({ timeoutMs: 500 })),
    );
    expect(pool.stats().readers.leased).toBe(max);
    for (const l of again) l.release();
    expect(pool.stats().leased).toBe(0);
  });
}

/** Case 2: transaction commit, sync and async. */
export function commitCase(env: () => CaseEnv): void {
  it('commits a transaction: its rows are seen by another connection', async () => {
    const pool = await env().pool({ filename: 'tx.db' });
    await pool.run(TABLE);
    const result = await pool.transaction((tx) => {
      for (let i = 1; i <= 100; i++) tx.run('INSERT INTO t (id, v) VALUES (?, ?)', [i, `v${i}`]);
      return 'done';
    });
    expect(result).toBe('done');
    const other = await env().pool({ filename: 'tx.db', snapshotWindowMs: 0 });
    expect(await other.get('SELECT count(*) AS n FROM t')).toEqual({ n: 100 });
  });

  it('commits an async transaction whose statements are separated by awaits, after writes queued meanwhile', async () => {
    const pool = await env().pool({ filename: 'tx.db' });
    await pool.run(TABLE);
    const tx = pool.transaction(async (t) => {
      t.run('INSERT INTO t (id, v) VALUES (1, ?)', ['a']);
      await sleep(20);
      t.run('INSERT INTO t (id, v) VALUES (2, ?)', ['b']);
      await sleep(5);
      return t.get<{ n: number }>('SELECT count(*) AS n FROM t')!.n;
    });
    const queued = pool.run('INSERT INTO t (id, v) VALUES (3, ?)', ['c']);
    expect(await tx).toBe(2);
    await queued;
    const other = await env().pool({ filename: 'tx.db', snapshotWindowMs: 0 });
    expect(await other.all('SELECT id, v FROM t ORDER BY id')).toEqual([
      { id: 1, v: 'a' },
      { id: 2, v: 'b' },
      { id: 3, v: 'c' },
    ]);
  });

  it("commits a store batch as one unit, seen by a second store's fresh read", async () => {
    const store = await env().store();
    await store
      .batch()
      .set('a', 1)
      .set('b', { x: [1, 2] })
      .delete('none')
      .commit();
    const second = await env().store();
    expect(await second.get('a', { bypassCache: true })).toBe(1);
    expect(await second.get('b', { bypassCache: true })).toEqual({ x: [1, 2] });
  });
}

/** Case 3: rollback — a thrown error, nested savepoints, an async rejection, a failed batch check. */
export function rollbackCase(env: () => CaseEnv): void {
  it('rolls a transaction back when its function throws, and re-throws the very error', async () => {
    const pool = await env().pool({ filename: 'rb.db' });
    await pool.run(TABLE);
    await pool.run("INSERT INTO t (id, v) VALUES (1, 'kept')");
    const thrown = new Error('boom');
    const err = await rejectionOf(
      pool.transaction(async (tx) => {
        tx.run("UPDATE t SET v = 'changed' WHERE id = 1");
        tx.run("INSERT INTO t (id, v) VALUES (2, 'lost')");
        await sleep(5);
        throw thrown;
      }),
    );
    expect(err).toBe(thrown);
    expect(await pool.all('SELECT id, v FROM t ORDER BY id')).toEqual([{ id: 1, v: 'kept' }]);
  });

  it('rolls back only the failing nested savepoint; the rest commits', async () => {
    const pool = await env().pool({ filename: 'rb.db' });
    await pool.run(TABLE);
    await pool.transaction(async (tx) => {
      tx.run("INSERT INTO t (id, v) VALUES (1, 'outer')");
      await tx.savepoint(async (s1) => {
        s1.run("INSERT INTO t (id, v) VALUES (2, 'level 1')");
        const inner = await rejectionOf(
          s1.savepoint(async (s2) => {
            s2.run("INSERT INTO t (id, v) VALUES (3, 'level 2')");
            s2.savepoint((s3) => s3.run("INSERT INTO t (id, v) VALUES (4, 'level 3')"));
            await sleep(1);
            throw new Error('inner failure');
          }),
        );
        expect(inner.message).toBe('inner failure');
      });
      expect(() =>
        tx.savepoint((s) => {
          s.run("INSERT INTO t (id, v) VALUES (5, 'sync level 1')");
          s.run("INSERT INTO t (id, v) VALUES (1, 'duplicate')"); // constraint error
        }),
      ).toThrow();
    });
    expect(await pool.all('SELECT id, v FROM t ORDER BY id')).toEqual([
      { id: 1, v: 'outer' },
      { id: 2, v: 'level 1' },
    ]);
  });

  it('applies nothing of a store batch whose check fails, and says which check', async () => {
    const store = await env().store();
    await store.set('a', 'before');
    const err = await rejectionOf(
      store.batch().set('a', 'after').set('new', 1).check({ key: 'a', version: 99 }).commit(),
    );
    expect(err.code).toBe('STORE_VERSION_CONFLICT');
    expect(err.details).toMatchObject({ failed: 'check', key: 'a' });
    expect(await store.get('a', { bypassCache: true })).toBe('before');
    expect(await store.get('new', { bypassCache: true })).toBeNull();
  });
}
