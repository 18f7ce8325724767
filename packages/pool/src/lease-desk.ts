import type { Connection } from './connection.js';
import type { PoolContext } from './context.js';
import { fromSqliteError, HiveDbError } from './errors.js';
import { PoolLease } from './lease.js';
import { closedError, readonlyError } from './pool-errors.js';
import type { ReaderSet } from './reader-set.js';
import type { AcquireOptions, Lease, SyncQueryable } from './types.js';
import type { WorkInFlight } from './work-in-flight.js';
import type { WriterLane } from './writer-lane.js';

/** What handing out and taking back leases needs from the pool (a part of `PoolParts`). */
export interface LeaseTarget {
  readonly ctx: PoolContext;
  readonly readers: ReaderSet;
  readonly lane: WriterLane | undefined;
  readonly inFlight: WorkInFlight;
  isClosed(): boolean;
}

/**
 * Leases a connection: a reader (`mode: 'read'`, or the writer when the pool has no readers)
 * or the writer (`'write'`, queued behind this process's other writes). While the circuit is
 * not closed the connection is probed first (the lease may be the half-open probe).
 */
export async function acquireLease(
  t: LeaseTarget,
  opts: AcquireOptions | undefined,
): Promise<Lease> {
  const { ctx, readers, lane } = t;
  const mode = opts?.mode ?? 'read';
  if (mode !== 'read' && mode !== 'write')
    throw new HiveDbError(
      'POOL_INVALID_ARGUMENT',
      `acquire mode must be 'read' or 'write', got ${JSON.stringify(mode)}`,
    );
  const timeoutMs = opts?.timeoutMs ?? ctx.opts.connectionTimeout;
  ctx.breaker.beforeCall();
  const started = Date.now();
  let conn: Connection;
  const viaWriter = mode === 'write' || readers.max === 0;
  if (viaWriter) {
    if (lane === undefined) throw readonlyError(ctx.filename);
    conn = await lane.acquireExclusive(timeoutMs);
  } else {
    conn = await readers.take(timeoutMs);
  }
  if (t.isClosed()) {
    if (viaWriter) lane!.releaseExclusive();
    else readers.release(conn);
    throw closedError(ctx.filename);
  }
  if (ctx.breaker.state !== 'closed') {
    // This lease may be the half-open probe: prove the connection answers before handing it out.
    try {
      conn.db.prepare('SELECT count(*) FROM sqlite_schema').pluck().get();
      ctx.breaker.success();
    } catch (err) {
      ctx.breaker.failure(err);
      conn.broken = true;
      if (viaWriter) lane!.releaseExclusive();
      else readers.release(conn);
      throw fromSqliteError(err, 'the connection failed its probe');
    }
  }
  const lease = new PoolLease(conn, viaWriter ? 'write' : 'read', ctx, (l, c) =>
    releaseLease(t, l, c, viaWriter),
  );
  t.inFlight.add(lease);
  if (ctx.events.listening('acquire'))
    ctx.events.emit('acquire', {
      poolId: ctx.id,
      connectionId: conn.id,
      mode: lease.mode,
      waitMs: Date.now() - started,
    });
  return lease;
}

function releaseLease(
  t: LeaseTarget,
  lease: PoolLease,
  conn: Connection,
  viaWriter: boolean,
): void {
  const { ctx } = t;
  t.inFlight.delete(lease);
  if (conn.db.open && conn.db.inTransaction) {
    // A lease must not hand back a connection with a transaction open: the next user would be inside it.
    try {
      conn.db.exec('ROLLBACK');
    } catch {
      conn.broken = true;
    }
    ctx.reportError(
      'lease release',
      new HiveDbError(
        'POOL_TRANSACTION_CLOSED',
        `connection ${conn.id} was released with a transaction open; it was rolled back`,
      ),
    );
  }
  if (ctx.events.listening('release'))
    ctx.events.emit('release', {
      poolId: ctx.id,
      connectionId: conn.id,
      mode: lease.mode,
      heldMs: Date.now() - lease.acquiredAt,
    });
  if (viaWriter) {
    ctx.onLocalCommit();
    t.lane!.releaseExclusive();
  } else t.readers.release(conn);
  t.inFlight.notifySettled();
}

/** `pool.read(fn)`: `fn` on a read lease inside one read transaction (one snapshot). */
export async function readInLease<T>(
  pool: { acquire(opts?: AcquireOptions): Promise<Lease> },
  fn: (tx: SyncQueryable) => T | Promise<T>,
  opts: AcquireOptions | undefined,
): Promise<T> {
  const lease = await pool.acquire({ ...opts, mode: 'read' });
  const db = lease.raw;
  db.exec('BEGIN');
  try {
    return await fn(lease);
  } finally {
    if (db.inTransaction) db.exec('COMMIT');
    lease.release();
  }
}

/** `pool.withConnection(fn)`: `fn` on a lease, released when `fn` settles. */
export async function withLease<T>(
  pool: { acquire(opts?: AcquireOptions): Promise<Lease> },
  fn: (lease: Lease) => T | Promise<T>,
  opts: AcquireOptions | undefined,
): Promise<T> {
  const lease = await pool.acquire(opts);
  try {
    return await fn(lease);
  } finally {
    lease.release();
  }
}
