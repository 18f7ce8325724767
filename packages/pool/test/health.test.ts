import { describe, expect, it } from 'vitest';
import type { CheckpointEvent, ConnectionCloseEvent, HealthEvent } from '../src/index.js';
import { sleep, useSandbox, waitFor } from './helpers/index.js';

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

  it('a WAL past walCheckpointBytes is checkpointed and reported', async () => {
    const pool = sb().pool({ filename: 'wal.db', walCheckpointBytes: 4096 });
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
});
