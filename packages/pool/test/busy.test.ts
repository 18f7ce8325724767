import { describe, expect, it } from 'vitest';
import type { QueryBatchEvent, QueryEvent, RetryEvent } from '../src/index.js';
import {
  holdWriteLock,
  sigkill,
  timed,
  useSandbox,
  within,
  writeInChild,
} from './helpers/index.js';
import type { CodedError } from './helpers/index.js';

const sb = useSandbox();

describe('another process holding the write lock', () => {
  it('our write waits, retries, and succeeds once the other process commits', async () => {
    const s = sb();
    const pool = s.pool({ filename: 'busy.db', busyTimeout: 50 });
    await pool.run('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)');
    const retries: RetryEvent[] = [];
    pool.events.on('retry', (e) => retries.push(e));

    const holder = await holdWriteLock(s.file('busy.db'), 600);
    const [single, tx] = await Promise.all([
      timed(() => within(10_000, pool.run('INSERT INTO t (v) VALUES (?)', ['single']))),
      timed(() =>
        within(
          10_000,
          pool.transaction((t) => t.run('INSERT INTO t (v) VALUES (?)', ['tx'])),
        ),
      ),
    ]);
    expect(single.error).toBeUndefined();
    expect(tx.error).toBeUndefined();
    // The lock was held ~600 ms after `ready`: neither write can have finished long before that.
    expect(single.ms).toBeGreaterThanOrEqual(400);
    expect(single.ms).toBeLessThan(5000);
    expect(tx.ms).toBeLessThan(5000);
    await holder.committed;

    expect(retries.length).toBeGreaterThanOrEqual(1);
    expect(retries[0]!.sqliteCode).toMatch(/^SQLITE_BUSY/);
    expect(retries[0]!.attempt).toBeGreaterThanOrEqual(1);
    expect(pool.stats().counters.retries).toBeGreaterThanOrEqual(1);
    expect(await pool.all('SELECT v FROM t ORDER BY v')).toEqual([{ v: 'single' }, { v: 'tx' }]);
  });

  it('with the other process never letting go, our write fails with POOL_BUSY after the bound', async () => {
    const s = sb();
    const pool = s.pool({
      filename: 'stuck.db',
      busyTimeout: 50,
      retry: { maxElapsedMs: 500 },
      // Busy is not "the database is unwell": even a threshold of 1 must not open the circuit.
      circuitBreaker: { failureThreshold: 1, resetTimeoutMs: 60_000 },
    });
    await pool.run('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)');
    await pool.run("INSERT INTO t (v) VALUES ('before')");
    // The write that gives up is a failed statement for whoever counts them.
    const failed: QueryEvent[] = [];
    pool.events.on('query', (e) => {
      if (e.error !== undefined) failed.push(e);
    });
    const batches: QueryBatchEvent[] = [];
    pool.events.on('query:batch', (b) => batches.push(b));
    const holder = await holdWriteLock(s.file('stuck.db'), 'forever');

    // Readers are not blocked by another process's writer (WAL).
    const read = await timed(() => pool.get<{ n: number }>('SELECT count(*) AS n FROM t'));
    expect(read.value).toEqual({ n: 1 });
    expect(read.ms).toBeLessThan(1000);

    const [write, tx] = await Promise.all([
      timed(() => within(5000, pool.run("INSERT INTO t (v) VALUES ('lost')"))),
      timed(() =>
        within(
          5000,
          pool.transaction((t) => t.run("INSERT INTO t (v) VALUES ('lost tx')")),
        ),
      ),
    ]);
    for (const outcome of [write, tx]) {
      const err = outcome.error as CodedError;
      expect(err).toBeInstanceOf(Error);
      expect(err.name).toBe('HiveDbError');
      expect(err.code).toBe('POOL_BUSY');
      expect(err.sqliteCode).toMatch(/^SQLITE_BUSY/);
      expect(outcome.ms).toBeGreaterThanOrEqual(400);
      expect(outcome.ms).toBeLessThan(5000);
    }
    expect(pool.stats().circuit).toBe('closed');
    expect(failed.map((e) => [e.sql, e.error?.code])).toEqual([
      ["INSERT INTO t (v) VALUES ('lost')", 'POOL_BUSY'],
    ]);
    pool.events.flush();
    const lost = batches
      .flatMap((b) => b.statements)
      .filter((st) => st.sql === "INSERT INTO t (v) VALUES ('lost')");
    expect(lost.reduce((n, st) => n + st.errors, 0)).toBe(1);

    await sigkill(holder);
    // The pool is not poisoned by the failure: the next write goes through.
    await pool.run("INSERT INTO t (v) VALUES ('after')");
    expect(await pool.all('SELECT v FROM t ORDER BY id')).toEqual([
      { v: 'before' },
      { v: 'after' },
    ]);
  });

  it('a deferred transaction overtaken by another process is retried whole (SQLITE_BUSY_SNAPSHOT), losing no update', async () => {
    const s = sb();
    const pool = s.pool({ filename: 'snapshot.db' });
    await pool.run('CREATE TABLE c (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)');
    await pool.run('INSERT INTO c (id, n) VALUES (1, 0)');
    const retries: RetryEvent[] = [];
    pool.events.on('retry', (e) => retries.push(e));
    let runs = 0;
    await pool.transaction(
      async (tx) => {
        runs++;
        const { n } = tx.get<{ n: number }>('SELECT n FROM c WHERE id = 1')!;
        // Another process commits after our read and before our write.
        if (runs === 1)
          await writeInChild(s.file('snapshot.db'), 'UPDATE c SET n = n + 100 WHERE id = 1');
        tx.run('UPDATE c SET n = ? WHERE id = 1', [n + 1]);
      },
      { mode: 'deferred' },
    );
    expect(await pool.get('SELECT n FROM c WHERE id = 1')).toEqual({ n: 101 });
    expect(runs).toBe(2);
    expect(retries.map((e) => e.sqliteCode)).toEqual(['SQLITE_BUSY_SNAPSHOT']);
    expect(retries[0]!.operation).toBe('transaction');
  });
});
