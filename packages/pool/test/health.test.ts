import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import type {
  CheckpointEvent,
  ConnectionCloseEvent,
  ConnectionOpenEvent,
  HealthEvent,
  QueryEvent,
} from '../src/index.js';
import { holdExclusiveLock, sigkill, sleep, useSandbox, waitFor } from './helpers/index.js';

const sb = useSandbox();

describe('health', () => {
  it('checkHealth() probes the idle connections and reports', async () => {
    const pool = sb().pool({ filename: 'h.db', minConnections: 3 });
    const events: HealthEvent[] = [];
    pool.events.on('health', (e) => events.push(e));
    const report = await pool.checkHealth();
    expect(report.ok).toBe(true);
    expect(report.probed).toBe(3);
    expect(report.replaced).toBe(0);
    expect(report.errors).toEqual([]);
    expect(report.circuit).toBe('closed');
    expect(report.durationMs).toBeGreaterThanOrEqual(0);
    expect(events).toHaveLength(1);
    expect(events[0]!.probed).toBe(3);
  });

  it('a leased connection is not probed', async () => {
    const pool = sb().pool({ filename: 'leased.db', minConnections: 3 });
    const lease = await pool.acquire();
    const report = await pool.checkHealth();
    expect(report.probed).toBe(2);
    expect(lease.get('SELECT 1 AS one')).toEqual({ one: 1 });
    lease.release();
  });

  it('an idle connection that fails its probe is closed and replaced', async () => {
    const pool = sb().pool({ filename: 'broken.db', minConnections: 2, maxConnections: 2 });
    const closed: ConnectionCloseEvent[] = [];
    pool.events.on('connection:close', (e) => closed.push(e));
    // Break the reader under the pool's feet (what a failed file handle looks like to the pool).
    const lease = await pool.acquire();
    const broken = lease.connectionId;
    lease.raw.close();
    lease.release();
    const report = await pool.checkHealth();
    expect(report.ok).toBe(false);
    expect(report.replaced).toBe(1);
    expect(closed.map((e) => [e.connectionId, e.reason])).toEqual([[broken, 'failed']]);
    expect(pool.stats().readers.open).toBe(1);
    const again = await pool.acquire({ timeoutMs: 500 });
    expect(again.connectionId).not.toBe(broken);
    expect(again.get('SELECT 1 AS one')).toEqual({ one: 1 });
    again.release();
  });

  it('the health check runs on healthCheckInterval by itself', async () => {
    const pool = sb().pool({ filename: 'interval.db', healthCheckInterval: 50 });
    let n = 0;
    pool.events.on('health', () => {
      n++;
    });
    await waitFor(() => n >= 2, 3000);
  });

  it('readers idle past idleTimeout are closed down to minConnections', async () => {
    const pool = sb().pool({
      filename: 'idle.db',
      minConnections: 2,
      maxConnections: 5,
      idleTimeout: 50,
    });
    const leases = await Promise.all([pool.acquire(), pool.acquire(), pool.acquire()]);
    for (const l of leases) l.release();
    expect(pool.stats().readers.open).toBe(3);
    const closed: ConnectionCloseEvent[] = [];
    pool.events.on('connection:close', (e) => closed.push(e));
    await sleep(120);
    const report = await pool.checkHealth();
    expect(report.closedIdle).toBe(2);
    expect(pool.stats().total).toBe(2); // writer + 1 reader
    expect(pool.stats().readers.open).toBe(1);
    expect(closed).toHaveLength(2);
    expect(closed.every((e) => e.reason === 'idle' && e.role === 'reader')).toBe(true);
    // It still serves reads.
    expect(await pool.get('SELECT 1 AS one')).toEqual({ one: 1 });
  });

  it('connections older than maxLifetime are replaced when idle', async () => {
    const pool = sb().pool({ filename: 'life.db', minConnections: 2, maxLifetime: 50 });
    const closed: ConnectionCloseEvent[] = [];
    pool.events.on('connection:close', (e) => closed.push(e));
    await sleep(120);
    const report = await pool.checkHealth();
    expect(report.recycled).toBeGreaterThanOrEqual(1);
    expect(closed.some((e) => e.reason === 'lifetime')).toBe(true);
    expect(pool.stats().total).toBeGreaterThanOrEqual(2);
    await pool.run('CREATE TABLE t (id INTEGER PRIMARY KEY)');
    expect(await pool.get('SELECT count(*) AS n FROM t')).toEqual({ n: 0 });
  });

  it("walCheckpointer 'sqlite': a WAL past walCheckpointBytes is checkpointed and reported", async () => {
    const pool = sb().pool({
      filename: 'wal.db',
      walCheckpointBytes: 4096,
      walCheckpointer: 'sqlite',
    });
    await pool.run('CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT)');
    for (let i = 0; i < 20; i++)
      await pool.run('INSERT INTO t (body) VALUES (?)', ['x'.repeat(2000)]);
    const events: CheckpointEvent[] = [];
    pool.events.on('checkpoint', (e) => events.push(e));
    const report = await pool.checkHealth();
    expect(report.checkpoint).toBeDefined();
    expect(report.checkpoint!.walBytesBefore).toBeGreaterThan(4096);
    // PASSIVE, then RESTART when readers allow: one event per checkpoint run.
    expect(events.length).toBeGreaterThanOrEqual(1);
    expect(['PASSIVE', 'RESTART', 'TRUNCATE']).toContain(events[0]!.mode);
    expect(events[0]!.walBytesBefore).toBeGreaterThan(4096);
    expect(pool.stats().counters.checkpoints).toBe(events.length);
    expect(await pool.get('SELECT count(*) AS n FROM t')).toEqual({ n: 20 });
  });

  it("walCheckpointer 'coordinated' (the default): the health check leaves the WAL to the checkpointer", async () => {
    const pool = sb().pool({ filename: 'wal2.db', walCheckpointBytes: 4096 });
    await pool.run('CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT)');
    for (let i = 0; i < 20; i++)
      await pool.run('INSERT INTO t (body) VALUES (?)', ['x'.repeat(2000)]);
    const report = await pool.checkHealth();
    expect(report.checkpoint).toBeUndefined();
    expect(report.walBytes).toBeGreaterThan(0);
  });
});

// An offload worker's connection lives on its own thread: the health check probes it with a
// trivial query sent through the worker, bounded by a short timeout (1 s).
describe('health of offload workers', () => {
  it('an idle worker is probed through its thread, and one that answers is kept', async () => {
    const pool = sb().pool({ filename: 'wprobe.db', minConnections: 1, offloadWorkers: 1 });
    await pool.run('CREATE TABLE t (v TEXT)');
    const opened: ConnectionOpenEvent[] = [];
    pool.events.on('connection:open', (e) => opened.push(e));
    await pool.get('SELECT count(*) AS n FROM t', [], { offload: true });
    const [worker] = opened.filter((e) => e.role === 'worker');
    const report = await pool.checkHealth();
    // The writer (minConnections 1: no reader open) and the worker.
    expect(report).toMatchObject({ ok: true, probed: 2, replaced: 0, errors: [] });
    expect(pool.stats().offload).toMatchObject({ workers: 1, busy: 0, inFlight: 0, crashes: 0 });
    // Probes are not queries: they do not count, and the worker still serves.
    const queries = pool.stats().counters.queries;
    const served: QueryEvent[] = [];
    pool.events.on('query', (e) => served.push(e));
    expect(await pool.get('SELECT 1 AS one', [], { offload: true })).toEqual({ one: 1 });
    expect(pool.stats().counters.queries).toBe(queries + 1);
    expect(served.map((e) => e.connectionId)).toEqual([worker!.connectionId]);
  });

  // The fault is real: another process holds SQLite's EXCLUSIVE lock on a rollback-journal
  // database (in WAL mode nothing blocks a reader), so the idle worker's probe waits inside
  // SQLite's busy handler (busy_timeout 5 s): its thread is stuck in a C call, as it would be
  // on a lock held by a hung process or on a file that does not answer. A read lease keeps the
  // pool's own reader from being probed on this thread (the pool is readonly: no writer). The
  // stuck thread is retired at once and terminated when SQLite lets it go (here: when the lock
  // holder is killed), never inside SQLite.
  it('an idle worker that does not answer its probe is terminated and replaced', async () => {
    const s = sb();
    const file = s.file('wstuck.db');
    const setup = new Database(file); // rollback journal (DELETE), not WAL
    setup.exec("CREATE TABLE t (v TEXT); INSERT INTO t VALUES ('ok')");
    setup.close();
    const pool = s.pool({
      filename: 'wstuck.db',
      readonly: true,
      minConnections: 1,
      maxConnections: 2,
      offloadWorkers: 1,
      busyTimeout: 5000,
      circuitBreaker: { enabled: false },
    });
    const opened: ConnectionOpenEvent[] = [];
    const closed: ConnectionCloseEvent[] = [];
    const health: HealthEvent[] = [];
    pool.events.on('connection:open', (e) => opened.push(e));
    pool.events.on('connection:close', (e) => closed.push(e));
    pool.events.on('health', (e) => health.push(e));
    expect(await pool.get('SELECT v FROM t', [], { offload: true })).toEqual({ v: 'ok' });
    const stuck = opened.find((e) => e.role === 'worker')!.connectionId;
    const lease = await pool.acquire();

    const holder = await holdExclusiveLock(file);
    const started = Date.now();
    const report = await pool.checkHealth();
    // Bounded by the probe's timeout, not by the stuck thread's busy_timeout.
    expect(Date.now() - started).toBeLessThan(4000);
    expect(report).toMatchObject({ ok: false, probed: 1, replaced: 1 });
    expect(report.errors).toEqual([
      expect.stringMatching(new RegExp(`^worker ${stuck}: .*did not answer its health probe`)),
    ]);
    expect(health).toEqual([expect.objectContaining({ ok: false, probed: 1, replaced: 1 })]);
    expect(pool.stats().offload.crashes).toBe(0);

    // The lock holder dies: the replacement opens, the stuck thread returns from SQLite and ends.
    await sigkill(holder);
    lease.release();
    await waitFor(() => opened.some((e) => e.role === 'worker' && e.reason === 'replace'), 10_000);
    await waitFor(() => closed.some((e) => e.connectionId === stuck), 10_000);
    expect(closed.filter((e) => e.connectionId === stuck)).toEqual([
      expect.objectContaining({ role: 'worker', reason: 'failed' }),
    ]);
    const fresh = opened.find((e) => e.role === 'worker' && e.reason === 'replace')!.connectionId;
    expect(fresh).not.toBe(stuck);

    const served: QueryEvent[] = [];
    pool.events.on('query', (e) => served.push(e));
    expect(await pool.get('SELECT v FROM t', [], { offload: true })).toEqual({ v: 'ok' });
    expect(served.map((e) => [e.connectionId, e.offloaded])).toEqual([[fresh, true]]);
    expect(pool.stats().offload).toMatchObject({ workers: 1, crashes: 0 });
    expect((await pool.checkHealth()).ok).toBe(true);
  });
});
