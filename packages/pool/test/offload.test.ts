// The offload lane: `{ offload: true }` statements run on worker threads with their own read
// connections. Real files, real worker threads (the built dist/offload-worker.js).
import { spawnSync } from 'node:child_process';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  type ConnectionCloseEvent,
  type ConnectionOpenEvent,
  type PoolOptions,
  type QueryEvent,
  resolvePoolOptions,
} from '../src/index.js';
import {
  type CodedError,
  cpuMsDuring,
  expectRejectCode,
  expectThrowCode,
  rejectionOf,
  requireBuiltEntry,
  useSandbox,
  waitFor,
  within,
} from './helpers/index.js';

const sb = useSandbox();

/** Counts to ? in one sqlite3_step(): pure CPU, no I/O. */
const COUNT =
  'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < ?) SELECT count(*) AS n FROM c';
/** About 10 s here unless something stops it (bounded: a broken deadline fails, not hangs). */
const ENDLESS =
  'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 5e7) SELECT count(*) AS n FROM c';

/** Rows per millisecond the counting CTE runs at here. */
let rowsPerMs = 0;

beforeAll(async () => {
  requireBuiltEntry(); // the worker's script is the built dist/offload-worker.js
  const { default: Database } = await import('better-sqlite3');
  const db = new Database(':memory:');
  const stmt = db.prepare(COUNT);
  stmt.get(100_000);
  const t0 = performance.now();
  stmt.get(2_000_000);
  rowsPerMs = 2_000_000 / (performance.now() - t0);
  db.close();
});

/**
 * Runs `fn` with the event loop's delay recorded (10 ms resolution); returns max and p99 in ms.
 * Node records the interval between the histogram's 10 ms ticks, so 20 ms means 10 ms late.
 */
async function loopDelayDuring<T>(
  fn: () => Promise<T>,
): Promise<{ value: T; maxMs: number; p99Ms: number }> {
  const h = monitorEventLoopDelay({ resolution: 10 });
  h.enable();
  // Let the histogram's timer take its first samples before the work starts.
  await new Promise((r) => setTimeout(r, 30));
  const value = await fn();
  await new Promise((r) => setTimeout(r, 30));
  h.disable();
  return { value, maxMs: h.max / 1e6, p99Ms: h.percentile(99) / 1e6 };
}

describe('offloaded statements run off the event loop', () => {
  // Retried: on this 2-core machine another test file's CPU-bound queries, running in a parallel
  // fork, can delay this thread's timers by tens of ms. A design that blocked the event loop
  // would fail every attempt by seconds.
  it('while an offloaded 2 s query runs the event loop stays responsive; inline, it is blocked', {
    retry: 2,
  }, async () => {
    const pool = sb().pool({ filename: 'loop.db' });
    const n = Math.round(rowsPerMs * 2000);
    await pool.get('SELECT 1', [], { offload: true }); // the worker is started and warm

    const off = await loopDelayDuring(() => pool.get<{ n: number }>(COUNT, [n], { offload: true }));
    expect(off.value).toEqual({ n });
    expect(off.p99Ms, JSON.stringify(off)).toBeLessThan(20);
    expect(off.maxMs, JSON.stringify(off)).toBeLessThan(20);

    const inline = await loopDelayDuring(() => pool.get<{ n: number }>(COUNT, [n]));
    expect(inline.value).toEqual({ n });
    expect(inline.maxMs).toBeGreaterThanOrEqual(1000);
  });

  it('an offloaded 10 s query with timeoutMs 200 is stopped in under 1 s; the worker answers next; the CPU is free', async () => {
    const pool = sb().pool({ filename: 'timeout.db', offloadWorkers: 1 });
    const ids: number[] = [];
    pool.events.on('query', (e) => ids.push(e.connectionId));
    const started = performance.now();
    const err = await rejectionOf(pool.get(ENDLESS, [], { offload: true, timeoutMs: 200 }));
    const ms = performance.now() - started;
    expect(err.code).toBe('POOL_QUERY_TIMEOUT');
    expect(err.sqliteCode).toBe('SQLITE_INTERRUPT');
    expect(ms).toBeGreaterThanOrEqual(190);
    expect(ms).toBeLessThan(1000);
    // One worker: the next statement runs on the connection that was interrupted.
    expect(await pool.get('SELECT 41 + 1 AS n', [], { offload: true })).toEqual({ n: 42 });
    expect(new Set(ids).size).toBe(1);
    expect(await cpuMsDuring(1000)).toBeLessThan(250);
    expect(pool.stats().offload).toMatchObject({ workers: 1, crashes: 0, inFlight: 0 });
  });

  it('the pool option queryTimeout applies to offloaded statements', async () => {
    const pool = sb().pool({ filename: 'timeout.db', queryTimeout: 200 });
    const started = performance.now();
    await expectRejectCode(pool.all(ENDLESS, [], { offload: true }), 'POOL_QUERY_TIMEOUT');
    expect(performance.now() - started).toBeLessThan(1000);
    expect(await pool.all('SELECT 2 AS n', [], { offload: true })).toEqual([{ n: 2 }]);
  });
});

describe('offloaded results equal inline results', () => {
  async function seeded(): Promise<ReturnType<ReturnType<typeof sb>['pool']>> {
    const pool = sb().pool({ filename: 'types.db' });
    await pool.run(
      'CREATE TABLE t (id INTEGER PRIMARY KEY, i INTEGER, r REAL, s TEXT, b BLOB, n NULL)',
    );
    const rows: unknown[][] = [
      [1, 42, 1.5, 'plain', Buffer.from([0, 1, 2, 255]), null],
      [2, -7, -0.25, 'ünïcødé ✓', Buffer.alloc(0), null],
      [3, 2 ** 53 + 2, 1e300, '', null, null], // above 2^53: a lossy number, as inline
      [4, 9007199254740991n, Number.NaN, 'x'.repeat(10_000), Buffer.alloc(70_000, 7), null],
      [5, null, null, null, null, null],
    ];
    for (const row of rows) await pool.run('INSERT INTO t VALUES (?, ?, ?, ?, ?, ?)', row);
    return pool;
  }

  it('rows, types and BLOBs (Buffers), with positional and named parameters', async () => {
    const pool = await seeded();
    const cases: Array<[string, unknown[] | Record<string, unknown> | undefined]> = [
      ['SELECT * FROM t ORDER BY id', undefined],
      ['SELECT * FROM t WHERE id >= ? AND id <= ? ORDER BY id', [2, 4]],
      ['SELECT * FROM t WHERE id = @id OR s = :s OR i = $i ORDER BY id', { id: 1, s: '', i: -7 }],
      ['SELECT b, length(b) AS len FROM t WHERE b = ?', [Buffer.from([0, 1, 2, 255])]],
      ['SELECT ? AS big, typeof(?) AS kind', [123456789012345n, 5n]],
      ['SELECT * FROM t WHERE id = ?', [99]],
    ];
    for (const [sql, params] of cases) {
      const inline = await pool.all(sql, params);
      const off = await pool.all(sql, params, { offload: true });
      expect(off, sql).toEqual(inline);
      const inlineOne = await pool.get(sql, params);
      expect(await pool.get(sql, params, { offload: true }), sql).toEqual(inlineOne);
    }
    const rows = await pool.all<{ b: unknown; i: unknown }>('SELECT * FROM t ORDER BY id', [], {
      offload: true,
    });
    expect(Buffer.isBuffer(rows[0]!.b)).toBe(true);
    expect(Buffer.isBuffer(rows[1]!.b)).toBe(true);
    expect(Buffer.isBuffer(rows[3]!.b)).toBe(true);
    expect(typeof rows[2]!.i).toBe('number'); // safeIntegers is off: plain numbers, as inline
    expect(await pool.get('SELECT * FROM t WHERE id = 99', [], { offload: true })).toBeUndefined();
  });

  it('run and executeQuery of a read, and errors, are what they are inline', async () => {
    const pool = await seeded();
    const sql = 'SELECT count(*) AS n FROM t';
    expect(await pool.run(sql, [], { offload: true })).toEqual(await pool.run(sql));
    expect(await pool.executeQuery(sql, [], { offload: true })).toEqual({
      kind: 'rows',
      rows: [{ n: 5 }],
    });
    const inlineErr = await rejectionOf(pool.all('SELECT nope FROM t'));
    const offErr = await rejectionOf(pool.all('SELECT nope FROM t', [], { offload: true }));
    expect(offErr.name).toBe('HiveDbError');
    expect(offErr.code).toBe(inlineErr.code);
    expect(offErr.sqliteCode).toBe(inlineErr.sqliteCode);
    expect(offErr.message).toBe(inlineErr.message);
    const tooFew = await rejectionOf(pool.get('SELECT ? + ?', [1], { offload: true }));
    expect(tooFew.code).toBe('POOL_SQLITE_ERROR');
    expect(pool.stats().offload.crashes).toBe(0);
  });

  it('parameters that cannot be sent to a thread fail that statement alone', async () => {
    const pool = sb().pool({ filename: 'clone.db', offloadWorkers: 1 });
    const sql = 'SELECT ? AS a';
    const [bad, good, badNamed] = await Promise.allSettled([
      pool.get(sql, [() => 1], { offload: true }),
      pool.get(sql, [7], { offload: true }),
      pool.get('SELECT @x AS a', { x: Symbol('x') }, { offload: true }),
    ]);
    expect(good).toEqual({ status: 'fulfilled', value: { a: 7 } });
    for (const r of [bad, badNamed]) {
      expect(r.status).toBe('rejected');
      expect(((r as PromiseRejectedResult).reason as CodedError).code).toBe(
        'POOL_INVALID_ARGUMENT',
      );
    }
    // The worker still knows the statements it was taught, and learns them again if it must.
    expect(await pool.get(sql, [8], { offload: true })).toEqual({ a: 8 });
    expect(await pool.get('SELECT @x AS a', { x: 9 }, { offload: true })).toEqual({ a: 9 });
    expect(pool.stats().offload).toMatchObject({ crashes: 0, inFlight: 0 });
  });

  it('a read offloaded after a write resolved sees it', async () => {
    const pool = sb().pool({ filename: 'ryw.db' });
    await pool.run('CREATE TABLE t (id INTEGER PRIMARY KEY)');
    for (let i = 1; i <= 20; i++) {
      await pool.run('INSERT INTO t (id) VALUES (?)', [i]);
      expect(await pool.get('SELECT count(*) AS n FROM t', [], { offload: true })).toEqual({
        n: i,
      });
    }
  });

  it('many statements in flight, on both workers, each get their own answer', async () => {
    const pool = sb().pool({ filename: 'many.db' });
    await pool.run('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)');
    await pool.transaction((tx) => {
      for (let i = 1; i <= 500; i++) tx.run('INSERT INTO t VALUES (?, ?)', [i, `v${i}`]);
    });
    const workers = new Set<number>();
    pool.events.on('query', (e) => {
      if (e.offloaded) workers.add(e.connectionId);
    });
    // A slow statement keeps one worker busy while the point reads flow.
    const slow = pool.get(COUNT, [Math.round(rowsPerMs * 300)], { offload: true });
    const ids = Array.from({ length: 500 }, (_, k) => 500 - k);
    const rows = await Promise.all(
      ids.map((id) =>
        pool.get<{ v: string }>('SELECT v FROM t WHERE id = ?', [id], { offload: true }),
      ),
    );
    expect(rows.map((r) => r!.v)).toEqual(ids.map((id) => `v${id}`));
    await slow;
    expect(workers.size).toBe(2);
    expect(pool.stats().offload).toMatchObject({ inFlight: 0, queued: 0, requests: 501 });
  });
});

describe('what offloading refuses', () => {
  it('a statement that writes, a bad flag, transaction control, a :memory: pool, no room for a worker', async () => {
    const s = sb();
    const pool = s.pool({ filename: 'refuse.db' });
    await pool.run('CREATE TABLE t (id INTEGER PRIMARY KEY)');
    const write = await expectRejectCode(
      pool.run('INSERT INTO t (id) VALUES (1)', [], { offload: true }),
      'POOL_INVALID_ARGUMENT',
    );
    expect(write.message).toMatch(/only statements that read/);
    await expectRejectCode(
      pool.get('INSERT INTO t (id) VALUES (2) RETURNING id', [], { offload: true }),
      'POOL_INVALID_ARGUMENT',
    );
    expect(await pool.get('SELECT count(*) AS n FROM t')).toEqual({ n: 0 });
    await expectRejectCode(
      pool.get('SELECT 1', [], { offload: 'yes' as unknown as boolean }),
      'POOL_INVALID_ARGUMENT',
    );
    await expectRejectCode(pool.run('BEGIN', [], { offload: true }), 'POOL_TRANSACTION_CONTROL');
    // Nothing above started a worker.
    expect(pool.stats().offload.workers).toBe(0);

    const memory = s.pool({ filename: ':memory:', memory: true });
    const mem = await expectRejectCode(
      memory.get('SELECT 1', [], { offload: true }),
      'POOL_INVALID_ARGUMENT',
    );
    expect(mem.message).toMatch(/:memory:/);
    const small = s.pool({ filename: 'small.db', maxConnections: 2 });
    const none = await expectRejectCode(
      small.get('SELECT 1', [], { offload: true }),
      'POOL_INVALID_ARGUMENT',
    );
    expect(none.message).toMatch(/maxConnections 2/);
    expect(await small.get('SELECT 1 AS one')).toEqual({ one: 1 });
  });

  it('offloadWorkers is validated against maxConnections; the default shrinks to fit', () => {
    const resolve = (o: Partial<PoolOptions>) => resolvePoolOptions({ filename: 'o.db', ...o });
    expect(resolve({}).offloadWorkers).toBe(2);
    expect(resolve({ maxConnections: 3 }).offloadWorkers).toBe(1);
    expect(resolve({ maxConnections: 2 }).offloadWorkers).toBe(0);
    expect(resolve({ maxConnections: 2, readonly: true }).offloadWorkers).toBe(1);
    expect(resolve({ maxConnections: 4, offloadWorkers: 0 }).offloadWorkers).toBe(0);
    const tooMany = expectThrowCode(
      () => resolve({ maxConnections: 4, offloadWorkers: 3 }),
      'POOL_INVALID_OPTION',
    );
    expect(tooMany.message).toMatch(/offloadWorkers: 3 \(expected at most 2/);
    for (const bad of [-1, 1.5, '2']) {
      expectThrowCode(() => resolve({ offloadWorkers: bad as number }), 'POOL_INVALID_OPTION');
    }
    expect(resolve({ offloadHeapLimitMb: 64 }).offloadHeapLimitMb).toBe(64);
    expectThrowCode(() => resolve({ offloadHeapLimitMb: 4 }), 'POOL_INVALID_OPTION');
  });
});

describe('offload workers inside maxConnections: stats and events', () => {
  it('the workers take their connections from the readers; stats and events show them', async () => {
    const s = sb();
    const pool = s.pool({ filename: 'stats.db', maxConnections: 4, minConnections: 4 });
    const opened: ConnectionOpenEvent[] = [];
    const closed: ConnectionCloseEvent[] = [];
    const queries: QueryEvent[] = [];
    pool.events.on('connection:open', (e) => opened.push(e));
    pool.events.on('connection:close', (e) => closed.push(e));
    pool.events.on('query', (e) => queries.push(e));
    let st = pool.stats();
    expect(st.readers).toMatchObject({ open: 3, max: 3 });
    expect(st.offload).toEqual({
      max: 0,
      workers: 0,
      busy: 0,
      inFlight: 0,
      queued: 0,
      requests: 0,
      crashes: 0,
    });

    // Long enough (about 1 s each) that none can finish before the in-flight count is read on a busy machine.
    const n = Math.round(rowsPerMs * 1000);
    const running = Promise.all([1, 2, 3, 4].map(() => pool.get(COUNT, [n], { offload: true })));
    st = pool.stats();
    // Two readers were closed at once to make room for the two workers (started a microtask later).
    expect(st.readers).toMatchObject({ open: 1, max: 1 });
    expect(st.offload).toMatchObject({ max: 2 });
    await waitFor(() => pool.stats().offload.workers === 2);
    expect(st.readers.max + 1 + st.offload.max).toBe(4);
    expect(closed.map((e) => [e.role, e.reason])).toEqual([
      ['reader', 'offload'],
      ['reader', 'offload'],
    ]);
    await waitFor(() => pool.stats().offload.busy === 2 && pool.stats().total === 4);
    st = pool.stats();
    expect(st.total).toBe(4);
    expect(st.total).toBeLessThanOrEqual(st.maxConnections);
    expect(st.leased).toBeGreaterThanOrEqual(2);
    expect(st.offload.inFlight).toBe(4);
    await running;

    const workerOpens = opened.filter((e) => e.role === 'worker');
    expect(workerOpens).toHaveLength(2);
    expect(workerOpens.map((e) => e.reason)).toEqual(['demand', 'demand']);
    const workerIds = new Set(workerOpens.map((e) => e.connectionId));
    expect(workerIds.size).toBe(2);
    const offloaded = queries.filter((q) => q.offloaded === true);
    expect(offloaded).toHaveLength(4);
    for (const q of offloaded) {
      expect(workerIds.has(q.connectionId)).toBe(true);
      expect(q).toMatchObject({ kind: 'read', rows: 1, paramCount: 1, sql: COUNT });
      expect(q.durationMs).toBeGreaterThan(0);
    }
    expect(pool.stats().offload).toMatchObject({ busy: 0, inFlight: 0, requests: 4 });
    expect(pool.stats().leased).toBe(0);

    // Inline reads still work with the one reader left.
    expect(await Promise.all([pool.get('SELECT 1 AS a'), pool.get('SELECT 2 AS a')])).toEqual([
      { a: 1 },
      { a: 2 },
    ]);
    await pool.close();
    const workerCloses = closed.filter((e) => e.role === 'worker');
    expect(workerCloses.map((e) => e.reason)).toEqual(['close', 'close']);
    expect(pool.stats().offload.workers).toBe(0);
    const c = pool.stats().counters;
    expect(c.connectionsOpened).toBe(c.connectionsClosed);
  });
});

describe('close() and offloaded statements', () => {
  it('close waits for an offloaded statement in flight, then every call fails with POOL_CLOSED', async () => {
    const pool = sb().pool({ filename: 'close.db' });
    const n = Math.round(rowsPerMs * 300);
    const running = pool.get(COUNT, [n], { offload: true });
    await waitFor(() => pool.stats().offload.busy === 1);
    await within(5000, pool.close(), 'close()');
    expect(await running).toEqual({ n });
    await expectRejectCode(pool.get('SELECT 1', [], { offload: true }), 'POOL_CLOSED');
    expect(pool.stats().offload.workers).toBe(0);
  });

  it('close is bounded: a statement still running past its timeoutMs is rejected with POOL_CLOSED', async () => {
    const pool = sb().pool({ filename: 'close.db' });
    const running = expectRejectCode(
      pool.get(ENDLESS, [], { offload: true, timeoutMs: 1500 }),
      'POOL_CLOSED',
    );
    await waitFor(() => pool.stats().offload.busy === 1);
    const started = performance.now();
    await within(3000, pool.close({ timeoutMs: 100 }), 'close()');
    expect(performance.now() - started).toBeLessThan(1000);
    await running;
  });

  it('a process that closes its pool while an offloaded statement runs survives the statement ending, then exits by itself', () => {
    // A worker thread terminated while inside SQLite aborts the whole process when its
    // statement then ends (better-sqlite3 cannot build the error in a terminating thread); the
    // pool stops its workers by a shared flag instead, and they end themselves.
    const root = sb().root;
    const script = `
      const { createPool } = require(${JSON.stringify(requireBuiltEntry().replace(/index\.js$/, 'index.cjs'))});
      const pool = createPool({ filename: 'c.db', root: ${JSON.stringify(root)} });
      const running = pool.get(${JSON.stringify(ENDLESS)}, [], { offload: true, timeoutMs: 800 })
        .then(() => 'resolved', (e) => e.code);
      setTimeout(async () => {
        await pool.close({ timeoutMs: 50 });
        console.log('closed');
        console.log('caller: ' + (await running));
      }, 300);
      process.on('exit', (code) => console.log('exit ' + code));
    `;
    const started = performance.now();
    const res = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 30_000 });
    expect(res.stderr).not.toMatch(/FATAL|Aborted/);
    expect({ status: res.status, signal: res.signal }).toEqual({ status: 0, signal: null });
    expect(res.stdout).toContain('closed');
    expect(res.stdout).toContain('caller: POOL_CLOSED');
    expect(res.stdout).toContain('exit 0');
    // It stayed alive until the statement ended at its deadline, not for the whole query.
    expect(performance.now() - started).toBeLessThan(8000);
  });
});
