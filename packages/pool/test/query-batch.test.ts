// `query:batch`: exact counts of every statement with sampled timings, every failed or slow
// statement in full, delivered on a timer, on flush() and at close(); and the coarse clock thread
// behind it, which runs only while someone listens and never keeps a process alive.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ListenerErrorPayload, Pool, QueryBatchEvent, QueryEvent } from '../src/index.js';
import { BATCH_MS, NOTABLE_MS, SAMPLE_EVERY } from '../src/index.js';
import { clockState, TICK_MS } from '../src/query-clock.js';
import {
  type CodedError,
  rejectionOf,
  requireBuiltEntry,
  type SandboxPoolOptions,
  sleep,
  spawnNode,
  useSandbox,
  waitFor,
  within,
} from './helpers/index.js';

const sb = useSandbox();
const children = join(import.meta.dirname, 'helpers', 'children');

/** One SQL text's figures, added up over every batch received. */
interface Totals {
  kind: 'read' | 'write';
  count: number;
  errors: number;
  rows: number;
  cacheHits: number;
  /** Timings reported (durationsMs.length) and the statements they stand for (sum of weights). */
  timings: number;
  weighted: number;
  /** This text's statements in the batches' `notable`. */
  notable: QueryEvent[];
}

/** Adds up batches per SQL text (a text may appear in several batches, even twice in one). */
function totalsOf(batches: readonly QueryBatchEvent[]): Map<string, Totals> {
  const bySql = new Map<string, Totals>();
  const entry = (sql: string, kind: 'read' | 'write'): Totals => {
    let t = bySql.get(sql);
    if (t === undefined) {
      t = {
        kind,
        count: 0,
        errors: 0,
        rows: 0,
        cacheHits: 0,
        timings: 0,
        weighted: 0,
        notable: [],
      };
      bySql.set(sql, t);
    }
    return t;
  };
  for (const b of batches) {
    for (const s of b.statements) {
      expect(s.durationsMs.length, s.sql).toBe(s.weights.length);
      expect(s.weights.every((w) => Number.isInteger(w) && w >= 1)).toBe(true);
      expect(s.durationsMs.every((d) => Number.isFinite(d) && d >= 0)).toBe(true);
      const t = entry(s.sql, s.kind);
      expect(s.kind, s.sql).toBe(t.kind);
      t.count += s.count;
      t.errors += s.errors;
      t.rows += s.rows;
      t.cacheHits += s.cacheHits;
      t.timings += s.durationsMs.length;
      t.weighted += s.weights.reduce((a, w) => a + w, 0);
    }
    // A notable statement is always counted in its own batch's statements.
    for (const n of b.notable) {
      expect(b.statements.some((s) => s.sql === n.sql)).toBe(true);
      entry(n.sql, n.kind).notable.push(n);
    }
  }
  return bySql;
}

/** Listens to `query:batch` and keeps every batch. */
function collect(pool: Pool): QueryBatchEvent[] {
  const batches: QueryBatchEvent[] = [];
  pool.events.on('query:batch', (b) => batches.push(b));
  return batches;
}

/** Whether the process's coarse clock thread is held by some pool and running. */
function clockRunning(): boolean {
  const { holders, running } = clockState();
  return holders > 0 && running;
}

/**
 * Makes the pool start the clock (a statement while someone listens to batches), waits until it
 * has ticked, then delivers and drops the batches so far.
 */
async function clockLive(pool: Pool, batches: QueryBatchEvent[]): Promise<void> {
  await pool.get('SELECT 1 AS warm');
  await sleep(100);
  await waitFor(() => clockState().live, 2000);
  await pool.get('SELECT 1 AS warm');
  pool.events.flush();
  batches.length = 0;
}

/** A pool with table `t` holding ids 1..rows (v = 'v<id>') and an empty table `w`. */
async function seeded(opts: Partial<SandboxPoolOptions> = {}, rows = 100): Promise<Pool> {
  const pool = sb().pool({ filename: 'batch.db', ...opts });
  await pool.run('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)');
  await pool.run('CREATE TABLE w (id INTEGER PRIMARY KEY, v INTEGER)');
  await pool.transaction((tx) => {
    for (let i = 1; i <= rows; i++) tx.run('INSERT INTO t (id, v) VALUES (?, ?)', [i, `v${i}`]);
  });
  return pool;
}

const POINT = 'SELECT v FROM t WHERE id = ?';
const CACHED = 'SELECT id, v FROM t WHERE id = ?';
const RANGE = 'SELECT id FROM t WHERE id <= ?';
const INSERT = 'INSERT INTO w (v) VALUES (?)';
const INSERT_TX = 'INSERT INTO w (v) VALUES (? + 100000)';
const LEASE_READ = 'SELECT count(*) AS n FROM t WHERE id > ?';
const LEASE_WRITE = 'UPDATE t SET v = v WHERE id = ?';

describe('query:batch', () => {
  it('counts every statement exactly while timing a sample: reads (cached too), writes (single and grouped), a transaction, leases', async () => {
    const pool = await seeded({ queryCache: { cacheAllReads: false } });
    const batches = collect(pool);
    await clockLive(pool, batches);

    // Reads the query cache serves (before any write, which would drop its entries).
    let cachedRows = 0;
    for (let i = 0; i < 200; i++)
      cachedRows += (await pool.all(CACHED, [(i % 5) + 1], { cache: true })).length;

    let found = 0;
    for (let i = 0; i < 5000; i++) {
      if ((await pool.get(POINT, [(i % 100) + 1])) !== undefined) found++;
    }
    let ranged = 0;
    for (let i = 0; i < 300; i++) ranged += (await pool.all(RANGE, [i % 4])).length;
    for (let i = 0; i < 100; i++) await pool.run(INSERT, [i]); // one at a time
    await Promise.all(Array.from({ length: 100 }, (_, i) => pool.run(INSERT, [i]))); // group commits
    await pool.transaction((tx) => {
      for (let i = 0; i < 100; i++) tx.run(INSERT_TX, [i]);
    });
    const reader = await pool.acquire({ mode: 'read' });
    for (let i = 0; i < 50; i++) reader.get(LEASE_READ, [i]);
    reader.release();
    const writer = await pool.acquire({ mode: 'write' });
    for (let i = 1; i <= 20; i++) writer.run(LEASE_WRITE, [i]);
    writer.release();
    pool.events.flush();

    expect(found).toBe(5000);
    expect(ranged).toBe(450); // 0 + 1 + 2 + 3 rows, 75 times
    expect(cachedRows).toBe(200);
    const expected: Record<string, { kind: 'read' | 'write'; count: number; rows: number }> = {
      [CACHED]: { kind: 'read', count: 200, rows: 200 },
      [POINT]: { kind: 'read', count: 5000, rows: 5000 },
      [RANGE]: { kind: 'read', count: 300, rows: 450 },
      [INSERT]: { kind: 'write', count: 200, rows: 200 },
      [INSERT_TX]: { kind: 'write', count: 100, rows: 100 },
      [LEASE_READ]: { kind: 'read', count: 50, rows: 50 },
      [LEASE_WRITE]: { kind: 'write', count: 20, rows: 20 },
    };
    expect(batches.length).toBeGreaterThan(0);
    for (const b of batches) {
      expect(b.poolId).toBe(batches[0]!.poolId);
      expect(b.filename).toBe(pool.filename);
      expect(Math.abs(b.at - Date.now())).toBeLessThan(30_000);
    }
    const totals = totalsOf(batches);
    // Exactly the statements made: nothing the pool ran for itself (BEGIN, COMMIT, …).
    expect([...totals.keys()].sort()).toEqual(Object.keys(expected).sort());
    for (const [sql, want] of Object.entries(expected)) {
      const t = totals.get(sql)!;
      expect({ sql, kind: t.kind, count: t.count, rows: t.rows }).toEqual({ sql, ...want });
      expect({ sql, errors: t.errors, cacheHits: t.cacheHits }).toEqual({
        sql,
        errors: 0,
        cacheHits: sql === CACHED ? 195 : 0, // each of the 5 texts missed once
      });
      expect(t.weighted + t.notable.length, sql).toBe(t.count);
      expect(t.notable.every((n) => n.error === undefined && n.durationMs >= NOTABLE_MS)).toBe(
        true,
      );
    }
    // Sampling: about one point read in SAMPLE_EVERY was timed, not each of them.
    const point = totals.get(POINT)!;
    expect(point.timings).toBeGreaterThan(5000 / SAMPLE_EVERY / 4);
    expect(point.timings).toBeLessThan((5000 / SAMPLE_EVERY) * 4);
  });

  it('failed statements are counted exactly and each is in notable with its codes: refused at prepare, constraint violations (single, grouped, in a transaction, on a lease)', async () => {
    const pool = await seeded({}, 3);
    const batches = collect(pool);
    await pool.run('CREATE TABLE u (id INTEGER PRIMARY KEY)');
    pool.events.flush();
    batches.length = 0;

    const MISSING = 'SELECT * FROM missing_table';
    const UNIQUE = 'INSERT INTO u (id) VALUES (?)';
    const failures: CodedError[] = [];
    // Refused before reaching a connection (it does not prepare), twice.
    failures.push(await rejectionOf(pool.get(MISSING)));
    failures.push(await rejectionOf(pool.all(MISSING)));
    // On a lease, where the statement is prepared on the leased connection.
    const lease = await pool.acquire({ mode: 'read' });
    try {
      lease.get(MISSING);
    } catch (err) {
      failures.push(err as CodedError);
    }
    lease.release();
    const missingFailures = failures.length;
    // Constraint violations: alone, inside a group commit, inside a transaction that goes on.
    await pool.run(UNIQUE, [1]);
    await pool.run(UNIQUE, [2]);
    failures.push(await rejectionOf(pool.run(UNIQUE, [1])));
    const grouped = await Promise.allSettled([
      pool.run(UNIQUE, [3]),
      pool.run(UNIQUE, [2]),
      pool.run(UNIQUE, [4]),
    ]);
    expect(grouped.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    failures.push((grouped[1] as PromiseRejectedResult).reason as CodedError);
    await pool.transaction((tx) => {
      tx.run(UNIQUE, [5]);
      try {
        tx.run(UNIQUE, [5]);
      } catch (err) {
        failures.push(err as CodedError);
      }
      tx.run(UNIQUE, [6]);
    });
    expect(await pool.all('SELECT id FROM u ORDER BY id')).toEqual(
      [1, 2, 3, 4, 5, 6].map((id) => ({ id })),
    );
    pool.events.flush();

    const totals = totalsOf(batches);
    const missing = totals.get(MISSING)!;
    expect({ count: missing.count, errors: missing.errors, rows: missing.rows }).toEqual({
      count: missingFailures,
      errors: missingFailures,
      rows: 0,
    });
    expect(missing.kind).toBe('read');
    const unique = totals.get(UNIQUE)!;
    const uniqueFailures = failures.length - missingFailures;
    expect(uniqueFailures).toBe(3);
    expect({ count: unique.count, errors: unique.errors, rows: unique.rows }).toEqual({
      count: 6 + uniqueFailures,
      errors: uniqueFailures,
      rows: 6,
    });
    for (const t of [missing, unique]) {
      const failed = t.notable.filter((n) => n.error !== undefined);
      expect(failed).toHaveLength(t.errors);
      expect(t.weighted + t.notable.length).toBe(t.count);
    }
    // In full, with the codes the callers got, in the order they happened.
    const failedEvents = [...missing.notable, ...unique.notable].filter(
      (n) => n.error !== undefined,
    );
    expect(failedEvents.map((n) => [n.sql, n.error!.code, n.error!.sqliteCode])).toEqual(
      failures.map((f, i) => [i < missingFailures ? MISSING : UNIQUE, f.code, f.sqliteCode]),
    );
    for (const n of missing.notable) {
      expect(n.error).toMatchObject({ code: 'POOL_SQLITE_ERROR', sqliteCode: 'SQLITE_ERROR' });
      expect(n.error!.message).toContain('missing_table');
      expect(n.rows).toBe(0);
    }
    for (const n of unique.notable.filter((e) => e.error !== undefined)) {
      expect(n.error).toMatchObject({
        code: 'POOL_SQLITE_ERROR',
        sqliteCode: 'SQLITE_CONSTRAINT_PRIMARYKEY',
      });
      expect(n.kind).toBe('write');
      expect(n.paramCount).toBe(1);
    }
    expect(unique.notable.filter((n) => n.transactionId !== undefined)).toHaveLength(1);
  });

  it('every slow statement is in notable, timed or not; statements well under NOTABLE_MS are not', async () => {
    const pool = await seeded({}, 1);
    const batches = collect(pool);
    await clockLive(pool, batches);
    const lease = await pool.acquire({ mode: 'read' });
    const wait = new Int32Array(new SharedArrayBuffer(4));
    // Sleeps for real inside sqlite3_step(). The WHERE clause decides whether it is called: a
    // fast call returns no row, a slow one returns one, so the two can be told apart in notable.
    const slept: number[] = []; // each slow call's time inside SQLite, measured by the function
    lease.raw.function('sleep_ms', (ms) => {
      const t0 = performance.now();
      Atomics.wait(wait, 0, 0, Number(ms));
      slept.push(performance.now() - t0);
      return ms;
    });
    const SQL = 'SELECT sleep_ms(?) AS slept WHERE ?';
    const fastMs: number[] = [];
    const slowMs: number[] = [];
    const call = (sleepMs: number): number => {
      const t0 = performance.now();
      const rows = lease.all(SQL, [sleepMs, sleepMs > 0 ? 1 : 0]);
      const ms = performance.now() - t0;
      expect(rows).toHaveLength(sleepMs > 0 ? 1 : 0);
      return ms;
    };
    // First the text runs fast a few dozen times: it has been timed and is read by the clock now.
    for (let i = 0; i < 40; i++) fastMs.push(call(0));
    // Then slow calls, between fast ones, at every position of the sampling cycle.
    const SLOW = 8;
    for (let i = 0; i < SLOW; i++) {
      slowMs.push(call(NOTABLE_MS + 20));
      for (let j = 0; j < 1 + (i % 3); j++) fastMs.push(call(0));
    }
    lease.release();
    pool.events.flush();

    const t = totalsOf(batches).get(SQL)!;
    expect(t.count).toBe(fastMs.length + slowMs.length);
    expect(t.weighted + t.notable.length).toBe(t.count);
    // Most calls were read by the clock, not timed: a timing stands for several statements.
    expect(t.timings).toBeLessThan(t.count / 2);
    const slow = t.notable.filter((n) => n.rows === 1);
    expect(slow).toHaveLength(SLOW);
    expect(slept).toHaveLength(SLOW);
    slow.forEach((n, i) => {
      expect(n.durationMs, `slow call ${i}`).toBeGreaterThanOrEqual(NOTABLE_MS);
      // Timed or read by the clock, the duration is never less than the statement ran (the
      // clock's is an upper bound).
      expect(n.durationMs, `slow call ${i}`).toBeGreaterThanOrEqual(slept[i]! - 0.05);
      expect(n.error).toBeUndefined();
    });
    // Nor much more than it took, measured around the call. A statement on a lease that the
    // clock timed may read more by the age of the last tick when it started: up to a tick
    // (TICK_MS), more while the clock thread is kept off a CPU, up to the 250 ms past which the
    // pool stops trusting the clock.
    const excess = slow.map((n, i) => n.durationMs - slowMs[i]!);
    const sorted = [...excess].sort((a, b) => a - b);
    expect(
      sorted[SLOW / 2]!,
      `ms over the measured time: ${excess.join(', ')}`,
    ).toBeLessThanOrEqual(TICK_MS + 5);
    expect(
      sorted[SLOW - 1]!,
      `ms over the measured time: ${excess.join(', ')}`,
    ).toBeLessThanOrEqual(250);
    // A fast call can only be notable if it really took NOTABLE_MS less a tick (a pause of this
    // process).
    const fastNotable = t.notable.filter((n) => n.rows === 0);
    const fastSlowForReal = fastMs.filter((ms) => ms >= NOTABLE_MS - TICK_MS).length;
    expect(fastNotable.length).toBeLessThanOrEqual(fastSlowForReal);
    expect(fastMs.filter((ms) => ms < 1).length).toBeGreaterThan(fastMs.length / 2);
    if (fastSlowForReal === 0) expect(fastNotable).toEqual([]);
  });

  it('a long read in a read snapshot, left to the clock, gets its exact time', async () => {
    const pool = await seeded({}, 1);
    const batches = collect(pool);
    await clockLive(pool, batches);
    const COUNT =
      'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < ?) SELECT count(*) AS n FROM c';
    // The length that takes ~150 ms here: over NOTABLE_MS, under the PARK_TICKS ticks after
    // which an idle clock thread parks (so it ticks all along).
    let probe = 0;
    for (const n of [200_000, 200_000]) {
      const t0 = performance.now();
      await pool.get(COUNT, [n]);
      probe = performance.now() - t0;
    }
    const n = Math.round((200_000 * 150) / probe);
    // A few fast ones of the same text over a tick or two: the clock is awake and ticking, and
    // the slow one is left to it (the text's first was timed; 2 + 4 + 1 is not a 16th).
    for (let i = 0; i < 4; i++) {
      await pool.get(COUNT, [10]);
      await sleep(15);
    }
    expect(clockState().parked).toBe(false);
    const t0 = performance.now();
    await pool.get(COUNT, [n]);
    const took = performance.now() - t0;
    expect(took).toBeGreaterThanOrEqual(NOTABLE_MS);
    pool.events.flush();
    const notable = totalsOf(batches).get(COUNT)!.notable;
    const last = notable.at(-1)!;
    expect(last.durationMs).toBeLessThanOrEqual(took);
    // Exact (the snapshot's own clock read before it), not the clock's upper bound (a tick more).
    expect(last.durationMs).toBeGreaterThan(took - 5);
  });

  it('the clock thread parks when no statement runs, and the next statement wakes it', async () => {
    const pool = await seeded({}, 3);
    const batches = collect(pool);
    await clockLive(pool, batches);
    // Parked after PARK_TICKS ticks with no statement (a few hundred ms).
    const until = async (parked: boolean, ms: number): Promise<boolean> => {
      const end = Date.now() + ms;
      while (clockState().parked !== parked && Date.now() < end) await sleep(5);
      return clockState().parked === parked;
    };
    expect(await until(true, 3000), 'the clock parks').toBe(true);
    // The statement that finds it parked is timed exactly and wakes it; it ticks again.
    await pool.get(POINT, [1]);
    expect(await until(false, 1000), 'the clock wakes').toBe(true);
    expect(clockState()).toMatchObject({ running: true, live: true, parked: false });
    pool.events.flush();
    expect(totalsOf(batches).get(POINT)).toMatchObject({ count: 1 });
  });

  it('a batch arrives on its own, about BATCH_MS after its first statement', async () => {
    const pool = await seeded({}, 3);
    const batches = collect(pool);
    const t0 = performance.now();
    await pool.get(POINT, [1]);
    await pool.get(POINT, [2]);
    await pool.run(INSERT, [1]);
    await within(
      BATCH_MS + 2000,
      waitFor(() => batches.length > 0, BATCH_MS + 2000),
    );
    const ms = performance.now() - t0;
    expect(ms).toBeGreaterThanOrEqual(BATCH_MS - 50);
    expect(batches).toHaveLength(1);
    const totals = totalsOf(batches);
    expect(totals.get(POINT)).toMatchObject({ count: 2, rows: 2 });
    expect(totals.get(INSERT)).toMatchObject({ count: 1, rows: 1 });
  });

  it('a process that listens to query:batch and closes its pool exits by itself, having received every statement at close()', async () => {
    requireBuiltEntry();
    const child = spawnNode(join(children, 'query-batch-lifecycle.mjs'), [
      sb().root,
      'life.db',
      'close',
    ]);
    const { code, signal } = await within(10_000, child.exited, 'the child exiting by itself');
    expect({ code, signal }, child.stderr()).toEqual({ code: 0, signal: null });
    const out = JSON.parse(child.lines[0]!) as {
      made: number;
      counted: number;
      batches: number;
      atClose: number;
    };
    expect(out.made).toBe(251);
    expect(out.counted).toBe(out.made);
    expect(out.atClose).toBeGreaterThanOrEqual(1);
  });

  it('a process that listens to query:batch and leaves its pool open (clock thread running, batch pending) exits by itself', async () => {
    requireBuiltEntry();
    const child = spawnNode(join(children, 'query-batch-lifecycle.mjs'), [
      sb().root,
      'life.db',
      'leave-open',
    ]);
    const line = await child.waitForLine((l) => l.startsWith('{'), 10_000);
    const out = JSON.parse(line) as { made: number; handles: string[] };
    expect(out.made).toBe(251);
    // Nothing of the pool's holds the event loop: no ref'd timer, no ref'd port to the clock
    // thread. (A 'message' listener added to a Worker after its unref() refs its port again:
    // nodejs/node#53036.)
    expect(out.handles, 'handles left ref()ed after the work').toEqual([]);
    const { code, signal } = await within(3000, child.exited, 'the child exiting by itself');
    expect({ code, signal }, child.stderr()).toEqual({ code: 0, signal: null });
  });

  it('close() delivers the last batch and lets go of the clock; flush() after close does nothing', async () => {
    const pool = await seeded({}, 3);
    const got: Array<{ phase: string; batch: QueryBatchEvent }> = [];
    let phase = 'before';
    pool.events.on('query:batch', (batch) => got.push({ phase, batch }));
    await pool.get(POINT, [1]);
    pool.events.flush();
    got.length = 0;
    await sleep(50);
    expect(clockRunning()).toBe(true);

    for (let i = 0; i < 3; i++) await pool.run(INSERT, [i]);
    for (let i = 0; i < 5; i++) await pool.get(POINT, [(i % 3) + 1]);
    phase = 'closing';
    await pool.close();
    phase = 'after';

    expect(got.map((g) => g.phase)).toEqual(['closing']);
    const totals = totalsOf(got.map((g) => g.batch));
    expect(totals.get(INSERT)).toMatchObject({ count: 3, rows: 3, errors: 0 });
    expect(totals.get(POINT)).toMatchObject({ count: 5, rows: 5, errors: 0 });
    expect(clockRunning()).toBe(false);

    // After close: a refused call, flush(), a second close(): no throw, no batch.
    expect((await rejectionOf(pool.get(POINT, [1]))).code).toBe('POOL_CLOSED');
    expect(() => pool.events.flush()).not.toThrow();
    await pool.close();
    expect(() => pool.events.flush()).not.toThrow();
    await sleep(BATCH_MS / 10);
    expect(got).toHaveLength(1);
  });

  it('with query and query:batch both listened to, every statement has its query event and the batches count the same statements', async () => {
    const pool = await seeded({ queryCache: true }, 10);
    const events: QueryEvent[] = [];
    pool.events.on('query', (e) => events.push(e));
    const batches = collect(pool);

    for (let i = 0; i < 200; i++) await pool.get(POINT, [(i % 10) + 1]); // cached after the first 10
    for (let i = 0; i < 30; i++) await pool.all(RANGE, [i % 4], { cache: false });
    for (let i = 0; i < 20; i++) await pool.run(INSERT, [i]);
    await Promise.all(Array.from({ length: 20 }, (_, i) => pool.run(INSERT, [i])));
    await pool.transaction((tx) => {
      for (let i = 0; i < 10; i++) tx.run(INSERT_TX, [i]);
    });
    await pool.withConnection((lease) => {
      for (let i = 0; i < 5; i++) lease.get(LEASE_READ, [i]);
    });
    await rejectionOf(pool.get('SELECT nope FROM t'));
    pool.events.flush();

    const fromEvents = new Map<
      string,
      { count: number; errors: number; rows: number; cacheHits: number }
    >();
    for (const e of events) {
      const f = fromEvents.get(e.sql) ?? { count: 0, errors: 0, rows: 0, cacheHits: 0 };
      f.count++;
      if (e.error !== undefined) f.errors++;
      f.rows += e.rows;
      if (e.cacheHit) f.cacheHits++;
      fromEvents.set(e.sql, f);
    }
    expect(events).toHaveLength(200 + 30 + 40 + 10 + 5 + 1);
    expect(fromEvents.get(POINT)).toEqual({ count: 200, errors: 0, rows: 200, cacheHits: 190 });
    const fromBatches = new Map(
      [...totalsOf(batches)].map(([sql, t]) => {
        expect(t.weighted + t.notable.length, sql).toBe(t.count);
        return [
          sql,
          { count: t.count, errors: t.errors, rows: t.rows, cacheHits: t.cacheHits },
        ] as const;
      }),
    );
    expect(fromBatches).toEqual(fromEvents);
  });

  it('nothing is counted and no clock runs while nobody listens to query:batch; a listener added later counts from then on', async () => {
    const pool = await seeded({}, 3);
    // Nobody listens: statements, a flush, nothing to see and no clock thread.
    for (let i = 0; i < 20; i++) await pool.get(POINT, [1]);
    expect(() => pool.events.flush()).not.toThrow();
    expect(clockRunning()).toBe(false);
    // Only `query` listened to: statements are metered for it (each timed exactly), still not
    // counted for batches, and the clock is not needed.
    const each: QueryEvent[] = [];
    const onQuery = (e: QueryEvent): void => {
      each.push(e);
    };
    pool.events.on('query', onQuery);
    for (let i = 0; i < 10; i++) await pool.run(INSERT, [i]);
    await sleep(50);
    expect(clockRunning()).toBe(false);
    pool.events.off('query', onQuery);
    expect(each).toHaveLength(10);

    // A listener now: it sees none of the statements above.
    const batches: QueryBatchEvent[] = [];
    const onBatch = (b: QueryBatchEvent): void => {
      batches.push(b);
    };
    pool.events.on('query:batch', onBatch);
    pool.events.flush();
    expect(batches).toEqual([]);
    for (let i = 0; i < 3; i++) await pool.get(POINT, [2]);
    await sleep(50);
    expect(clockRunning()).toBe(true); // the clock runs while someone listens
    pool.events.flush();
    let totals = totalsOf(batches);
    expect([...totals.keys()]).toEqual([POINT]);
    expect(totals.get(POINT)).toMatchObject({ count: 3, rows: 3 });

    // The listener gone and back: what ran in between is not counted.
    pool.events.off('query:batch', onBatch);
    for (let i = 0; i < 5; i++) await pool.get(POINT, [3]);
    pool.events.on('query:batch', onBatch);
    const seen = batches.length;
    pool.events.flush();
    expect(batches).toHaveLength(seen);
    await pool.get(POINT, [1]);
    pool.events.flush();
    totals = totalsOf(batches.slice(seen));
    expect([...totals.keys()]).toEqual([POINT]);
    expect(totals.get(POINT)).toMatchObject({ count: 1, rows: 1 });
  });

  it('when the last query:batch listener leaves, the pool lets go of the clock thread (it stops ticking)', async () => {
    const pool = await seeded({}, 3);
    const onBatch = (): void => {};
    pool.events.on('query:batch', onBatch);
    for (let i = 0; i < 3; i++) await pool.get(POINT, [1]);
    pool.events.flush();
    await sleep(50);
    expect(clockRunning()).toBe(true);
    pool.events.off('query:batch', onBatch);
    // Statements go on with nobody listening to anything; the pool stays open.
    for (let i = 0; i < 5; i++) await pool.get(POINT, [2]);
    await sleep(BATCH_MS + 200);
    expect(clockRunning(), 'clock thread still held after the last listener left').toBe(false);
  });

  it('a query:batch listener that throws never fails a statement; its error goes to listener:error and the pool keeps working', async () => {
    const pool = await seeded({}, 10);
    const listenerErrors: ListenerErrorPayload[] = [];
    pool.events.on('listener:error', (e) => listenerErrors.push(e));
    let calls = 0;
    const bad = new Error('batch listener bug');
    pool.events.on('query:batch', () => {
      calls++;
      throw bad;
    });
    // With `query` listened to every statement is timed: 4096 timings cut a batch inside the
    // statement that takes the last one, so the listener throws from within a statement.
    pool.events.on('query', () => {});
    let found = 0;
    for (let i = 0; i < 5000; i++) {
      const row = await pool.get<{ v: string }>(POINT, [(i % 10) + 1]);
      if (row?.v === `v${(i % 10) + 1}`) found++;
    }
    expect(found).toBe(5000);
    expect(calls).toBeGreaterThanOrEqual(1);
    expect(() => pool.events.flush()).not.toThrow();
    await pool.run(INSERT, [1]);
    await pool.transaction((tx) => tx.run(INSERT_TX, [1]));
    expect(() => pool.events.flush()).not.toThrow();
    expect(calls).toBeGreaterThanOrEqual(3);
    expect(listenerErrors).toHaveLength(calls);
    expect(listenerErrors.every((e) => e.event === 'query:batch' && e.error === bad)).toBe(true);
    expect(await pool.get(POINT, [3])).toEqual({ v: 'v3' });
    expect((await pool.get<{ n: number }>('SELECT count(*) AS n FROM w'))!.n).toBe(2);
  });
});
