import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import type { AcquireEvent, Lease } from '../src/index.js';
import {
  type CodedError,
  corruptHeader,
  expectRejectCode,
  sleep,
  timed,
  useSandbox,
} from './helpers/index.js';

const sb = useSandbox();

describe('pool exhaustion and the acquire queue', () => {
  it('with every reader leased, acquire times out with POOL_ACQUIRE_TIMEOUT; releasing gives every connection back', async () => {
    const pool = sb().pool({ filename: 'ex.db', maxConnections: 3 });
    expect(pool.stats().readers.max).toBe(2);
    const a = await pool.acquire();
    const b = await pool.acquire();
    expect(a.mode).toBe('read');
    expect(a.connectionId).not.toBe(b.connectionId);
    expect(pool.stats().readers.leased).toBe(2);

    const t = await timed(() => pool.acquire({ timeoutMs: 100 }));
    expect((t.error as { code?: string }).code).toBe('POOL_ACQUIRE_TIMEOUT');
    expect(t.ms).toBeGreaterThanOrEqual(90);
    expect(t.ms).toBeLessThan(2000);
    expect(pool.stats().waiting).toBe(0);
    expect(pool.stats().counters.acquireTimeouts).toBe(1);

    a.release();
    b.release();
    a.release(); // idempotent
    const st = pool.stats();
    expect(st.leased).toBe(0);
    expect(st.readers.leased).toBe(0);
    expect(st.readers.open).toBeLessThanOrEqual(2);
    expect(st.total).toBeLessThanOrEqual(3);
    expect(st.idle).toBe(st.total);
    expect(st.waiting).toBe(0);

    // Both readers can be leased again: none leaked.
    const again = await Promise.all([
      pool.acquire({ timeoutMs: 500 }),
      pool.acquire({ timeoutMs: 500 }),
    ]);
    for (const l of again) l.release();
    expect(pool.stats().leased).toBe(0);
  });

  it('a waiter that timed out never takes a connection later; the others are served in order', async () => {
    const pool = sb().pool({ filename: 'fifo.db', maxConnections: 3 });
    const acquired: AcquireEvent[] = [];
    const a = await pool.acquire();
    const b = await pool.acquire();
    pool.events.on('acquire', (e) => acquired.push(e));

    const order: string[] = [];
    const first = pool.acquire({ timeoutMs: 5000 }).then((l) => {
      order.push('first');
      return l;
    });
    const doomed = expectRejectCode(pool.acquire({ timeoutMs: 50 }), 'POOL_ACQUIRE_TIMEOUT');
    const third = pool.acquire({ timeoutMs: 5000 }).then((l) => {
      order.push('third');
      return l;
    });
    expect(pool.stats().waiting).toBe(3);
    await doomed;
    expect(pool.stats().waiting).toBe(2);

    a.release();
    const l1 = await first;
    b.release();
    const l3 = await third;
    expect(order).toEqual(['first', 'third']);
    expect(acquired).toHaveLength(2);
    expect(pool.stats().readers.leased).toBe(2);

    l1.release();
    await sleep(20);
    // The released reader is idle: the timed-out waiter did not take it.
    expect(pool.stats().readers.leased).toBe(1);
    l3.release();
    expect(pool.stats().leased).toBe(0);
    expect(pool.stats().waiting).toBe(0);
    expect(acquired).toHaveLength(2);
  });

  it('waiting for the writer lease times out too, and the writer is not leaked', async () => {
    const pool = sb().pool({ filename: 'wlease.db' });
    await pool.run('CREATE TABLE t (id INTEGER PRIMARY KEY)');
    const w = await pool.acquire({ mode: 'write' });
    expect(w.mode).toBe('write');
    await expectRejectCode(pool.acquire({ mode: 'write', timeoutMs: 100 }), 'POOL_ACQUIRE_TIMEOUT');
    const queued = pool.run('INSERT INTO t (id) VALUES (1)');
    await sleep(50);
    w.release();
    await queued;
    expect(await pool.get('SELECT count(*) AS n FROM t')).toEqual({ n: 1 });
    expect(pool.stats().writer.busy).toBe(false);
  });

  it('withConnection releases the lease when fn throws or rejects', async () => {
    const pool = sb().pool({ filename: 'with.db', maxConnections: 2 });
    const boom = new Error('boom');
    await expect(
      pool.withConnection(() => {
        throw boom;
      }),
    ).rejects.toBe(boom);
    expect(pool.stats().leased).toBe(0);
    await expect(
      pool.withConnection(async () => {
        await sleep(5);
        throw boom;
      }),
    ).rejects.toBe(boom);
    expect(pool.stats().leased).toBe(0);
    await expect(
      pool.withConnection(
        () => {
          throw boom;
        },
        { mode: 'write' },
      ),
    ).rejects.toBe(boom);
    expect(pool.stats().writer.busy).toBe(false);

    // The only reader is free again: a short acquire succeeds.
    const lease: Lease = await pool.acquire({ timeoutMs: 200 });
    expect(lease.get('SELECT 1 AS one')).toEqual({ one: 1 });
    lease.release();
    expect(await pool.withConnection((l) => l.get('SELECT 2 AS two'))).toEqual({ two: 2 });
  });

  it('a released lease can no longer be used', async () => {
    const pool = sb().pool({ filename: 'released.db' });
    const lease = await pool.acquire();
    lease.release();
    let caught: unknown;
    try {
      lease.get('SELECT 1');
    } catch (err) {
      caught = err;
    }
    expect((caught as { code?: string } | undefined)?.code).toBe('POOL_LEASE_RELEASED');
  });

  it('reads wait for a reader while every reader is leased: served on release, else timed out', async () => {
    const pool = sb().pool({ filename: 'reads.db', maxConnections: 2, connectionTimeout: 200 });
    const lease = await pool.acquire();
    const t = await timed(() => pool.get('SELECT 1 AS one'));
    expect((t.error as { code?: string }).code).toBe('POOL_ACQUIRE_TIMEOUT');
    expect(t.ms).toBeGreaterThanOrEqual(180);
    expect(t.ms).toBeLessThan(2000);
    await expectRejectCode(
      pool.read((tx) => tx.get('SELECT 1')),
      'POOL_ACQUIRE_TIMEOUT',
    );

    const waiting = pool.get('SELECT 2 AS two');
    await sleep(50);
    lease.release();
    expect(await waiting).toEqual({ two: 2 });
  });

  it('an acquire timeout carries the reason the pool could not open another reader', async () => {
    const s = sb();
    const file = s.file('reason.db');
    const setup = new Database(file);
    setup.pragma('journal_mode = WAL');
    setup.exec('CREATE TABLE t (id INTEGER PRIMARY KEY)');
    setup.close();
    const pool = s.pool({
      filename: 'reason.db',
      maxConnections: 3,
      circuitBreaker: { enabled: false },
    });
    const held = await pool.acquire(); // the one reader open so far
    const header = corruptHeader(file);
    try {
      let caught: unknown;
      try {
        const lease = await pool.acquire({ timeoutMs: 200 });
        lease.release();
      } catch (err) {
        caught = err;
      }
      const err = caught as CodedError & { cause?: unknown };
      expect(err?.name).toBe('HiveDbError');
      expect(['POOL_ACQUIRE_TIMEOUT', 'POOL_OPEN_FAILED']).toContain(err.code);
      const causeText = err.cause instanceof Error ? err.cause.message : String(err.cause);
      expect(`${err.message} ${causeText} ${err.sqliteCode}`).toMatch(/not a database|NOTADB/i);
    } finally {
      header.restore();
      held.release();
    }
  });
});
