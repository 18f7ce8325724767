import { describe, expect, it } from 'vitest';
import { interruptSupport } from '../src/interrupt.js';
import {
  type CodedError,
  cpuMsDuring,
  rejectionOf,
  useSandbox,
  writeInChild,
} from './helpers/index.js';

const sb = useSandbox();

/** Counts to 5·10^7 in one sqlite3_step(): about 10 s of CPU here unless something stops it (bounded, so that a broken watchdog fails the test instead of hanging it). */
const ENDLESS =
  'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 5e7) SELECT count(*) AS n FROM c';
const ENDLESS_INSERT =
  'INSERT INTO t (v) WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 5e7) SELECT x FROM c';

// These tests are the reason the watchdog exists: the build must have produced it here.
describe('query timeouts stop the work (watchdog extension)', () => {
  it('the extension is built and loads', () => {
    expect(interruptSupport()).toMatchObject({ available: true });
  });

  it('a query that would run about 10 s, with a 200 ms timeout, ends in under 1 s; the connection answers next; the CPU is free', async () => {
    const s = sb();
    const pool = s.pool({ filename: 'qt.db', maxConnections: 2 });
    const started = performance.now();
    const err = await rejectionOf(pool.get(ENDLESS, [], { timeoutMs: 200 }));
    const ms = performance.now() - started;
    expect(err.code).toBe('POOL_QUERY_TIMEOUT');
    expect(err.sqliteCode).toBe('SQLITE_INTERRUPT');
    expect(ms).toBeGreaterThanOrEqual(190);
    expect(ms).toBeLessThan(1000);
    // maxConnections 2: one reader, so this runs on the connection that was interrupted.
    expect(await pool.get('SELECT 41 + 1 AS n')).toEqual({ n: 42 });
    expect(await cpuMsDuring(1000)).toBeLessThan(250);
    expect(pool.stats().readers.open).toBe(1);
  });

  it('the pool option queryTimeout applies to every statement (reads in a snapshot too)', async () => {
    const s = sb();
    const pool = s.pool({ filename: 'qt.db', queryTimeout: 200 });
    await pool.get('SELECT 1'); // a snapshot is open and armed when the long read joins it
    const started = performance.now();
    const err = await rejectionOf(pool.get(ENDLESS));
    expect(err.code).toBe('POOL_QUERY_TIMEOUT');
    expect(performance.now() - started).toBeLessThan(1000);
    expect(await pool.get('SELECT 2 AS n')).toEqual({ n: 2 });
  });

  it('with snapshotWindowMs 0 (readers kept armed across a run of reads) a read is stopped too, and so is one after a lease disarmed the reader', async () => {
    const s = sb();
    const pool = s.pool({
      filename: 'qt.db',
      queryTimeout: 200,
      snapshotWindowMs: 0,
      maxConnections: 2,
    });
    await pool.get('SELECT 1'); // arms the only reader for this macrotask
    let err = await rejectionOf(pool.get(ENDLESS));
    expect(err.code).toBe('POOL_QUERY_TIMEOUT');
    await pool.withConnection((lease) => lease.get('SELECT 1')); // its own deadline, then disarmed
    const started = performance.now();
    err = await rejectionOf(pool.get(ENDLESS));
    expect(err.code).toBe('POOL_QUERY_TIMEOUT');
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('a write transaction that times out is rolled back; the database holds exactly the committed rows; a concurrent writer proceeds', async () => {
    const s = sb();
    const pool = s.pool({ filename: 'qt.db', queryTimeout: 200 });
    await pool.run('CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER)');
    await pool.run('INSERT INTO t (v) VALUES (-1), (-2)');
    const tx = pool.transaction((t) => {
      t.run('INSERT INTO t (v) VALUES (100)');
      t.run(ENDLESS_INSERT);
    });
    // Queued behind the transaction on the writer: it must run once the writer is free again.
    const behind = pool.run('INSERT INTO t (v) VALUES (-3)');
    const err = await rejectionOf(tx);
    expect(err.code).toBe('POOL_QUERY_TIMEOUT');
    await behind;
    expect(await pool.all('SELECT v FROM t ORDER BY id')).toEqual([
      { v: -1 },
      { v: -2 },
      { v: -3 },
    ]);
    // Another process can take the write lock at once: nothing is left holding it.
    await writeInChild(s.file('qt.db'), 'INSERT INTO t (v) VALUES (?)', [-4]);
    expect((await pool.get<{ n: number }>('SELECT count(*) AS n FROM t'))!.n).toBe(4);
    expect(await pool.all('PRAGMA integrity_check')).toEqual([{ integrity_check: 'ok' }]);
  });

  it('a timed-out statement in a group commit fails alone; the rest of the group commits', async () => {
    const s = sb();
    const pool = s.pool({ filename: 'qt.db' });
    await pool.run('CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER)');
    const results = await Promise.allSettled([
      pool.run('INSERT INTO t (v) VALUES (1)'),
      pool.run(ENDLESS_INSERT, [], { timeoutMs: 200 }),
      pool.run('INSERT INTO t (v) VALUES (3)'),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(((results[1] as PromiseRejectedResult).reason as CodedError).code).toBe(
      'POOL_QUERY_TIMEOUT',
    );
    expect(await pool.all('SELECT v FROM t ORDER BY v')).toEqual([{ v: 1 }, { v: 3 }]);
  });

  it('with the pool-level queryTimeout (one deadline for the group), a runaway member of a group fails alone', async () => {
    const s = sb();
    const pool = s.pool({ filename: 'qt.db', queryTimeout: 200 });
    await pool.run('CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER)');
    const started = performance.now();
    const results = await Promise.allSettled([
      pool.run('INSERT INTO t (v) VALUES (1)'),
      pool.run(ENDLESS_INSERT),
      pool.run('INSERT INTO t (v) VALUES (3)'),
    ]);
    expect(performance.now() - started).toBeLessThan(1500);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(((results[1] as PromiseRejectedResult).reason as CodedError).code).toBe(
      'POOL_QUERY_TIMEOUT',
    );
    expect(await pool.all('SELECT v FROM t ORDER BY v')).toEqual([{ v: 1 }, { v: 3 }]);
  });

  it('a statement inside a transaction never outlives the transaction timeout', async () => {
    const s = sb();
    const pool = s.pool({ filename: 'qt.db', queryTimeout: 0 });
    await pool.run('CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER)');
    const started = performance.now();
    const err = await rejectionOf(
      pool.transaction((t) => t.run(ENDLESS_INSERT), { timeoutMs: 250 }),
    );
    expect(['POOL_QUERY_TIMEOUT', 'POOL_TRANSACTION_TIMEOUT']).toContain(err.code);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(await pool.all('SELECT * FROM t')).toEqual([]);
  });

  it('a long transaction is re-armed: an await longer than queryTimeout, and a synchronous run of statements longer than it, both go on', async () => {
    const s = sb();
    const pool = s.pool({ filename: 'qt.db', queryTimeout: 200 });
    await pool.run('CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER)');
    const inserted = await pool.transaction(async (t) => {
      t.run('INSERT INTO t (v) VALUES (?)', [1]);
      // The refresh timer marks the re-arm due; the first statement after the await re-arms.
      await new Promise((r) => setTimeout(r, 450));
      t.run('INSERT INTO t (v) VALUES (?)', [2]);
      // About 400 ms of short statements with no await: the clock is read every few statements.
      const until = performance.now() + 400;
      let n = 2;
      while (performance.now() < until) {
        t.run('INSERT INTO t (v) VALUES (?)', [++n]);
        t.get('SELECT count(*) AS c FROM t');
      }
      return n;
    });
    expect((await pool.get<{ c: number }>('SELECT count(*) AS c FROM t'))?.c).toBe(inserted);
    // And a runaway statement at the end of such a transaction is still stopped at queryTimeout.
    const started = performance.now();
    const err = await rejectionOf(
      pool.transaction(async (t) => {
        await new Promise((r) => setTimeout(r, 300));
        for (let i = 0; i < 100; i++) t.run('INSERT INTO t (v) VALUES (?)', [-i]);
        t.run(ENDLESS_INSERT);
      }),
    );
    expect(err.code).toBe('POOL_QUERY_TIMEOUT');
    expect(performance.now() - started).toBeLessThan(1500);
    expect((await pool.get<{ c: number }>('SELECT count(*) AS c FROM t WHERE v < 0'))?.c).toBe(0);
  });
});
