import type { Connection } from './connection.js';
import type { PoolContext } from './context.js';
import { HiveDbError } from './errors.js';
import { PoolLease } from './lease.js';
import { closedError } from './pool-errors.js';
import type { ReaderSet } from './reader-set.js';
import type { SnapshotReader } from './snapshot-reader.js';
import type { SyncQueryable } from './types.js';

/** What `pool.readNow()` needs from the pool (a part of `PoolParts`). */
export interface ReadNowTarget {
  readonly ctx: PoolContext;
  readonly readers: ReaderSet;
  readonly snapshots: SnapshotReader;
  isClosed(): boolean;
}

/**
 * `pool.readNow(fn)`: `fn` at once, synchronously, in a read transaction that begins inside the
 * call, so it sees every commit (of any process) made before the call, and none after. The
 * reader is an idle one, a new one under `maxConnections`, the open snapshot's (that snapshot
 * ends), or, when every reader is leased, a connection opened for this read alone and closed
 * after it (reason `'surplus'`): the read never waits, so its point in time is the call's.
 */
export function readNow<T>(t: ReadNowTarget, fn: (db: SyncQueryable) => T): T {
  const { ctx, readers, snapshots } = t;
  if (t.isClosed()) throw closedError(ctx.filename);
  if (typeof fn !== 'function')
    throw new HiveDbError('POOL_INVALID_ARGUMENT', 'readNow(fn) needs a function');
  if (readers.max === 0)
    throw new HiveDbError(
      'POOL_INVALID_ARGUMENT',
      `readNow() needs a reader, and the pool for ${ctx.filename} has none (a :memory: pool)`,
    );
  let conn: Connection | undefined = readers.tryTake();
  if (conn === undefined && snapshots.open) {
    snapshots.end();
    conn = readers.tryTake();
  }
  const surplus = conn === undefined;
  if (conn === undefined) conn = ctx.open('reader', 'surplus');
  const lease = new PoolLease(conn, 'read', ctx, () => undefined);
  try {
    conn.internal('BEGIN').run();
    try {
      const out = fn(lease);
      if (out !== null && typeof (out as { then?: unknown })?.then === 'function')
        throw new HiveDbError(
          'POOL_INVALID_ARGUMENT',
          'readNow(fn) runs fn synchronously: fn must not return a promise (use pool.read)',
        );
      return out;
    } finally {
      if (conn.db.inTransaction) conn.internal('COMMIT').run();
    }
  } finally {
    lease.release();
    if (surplus) ctx.close(conn, 'surplus');
    else readers.release(conn);
  }
}
