import type { PoolContext } from './context.js';
import { fromSqliteError, HiveDbError, isBusyError, sqliteCodeOf } from './errors.js';
import { closedError } from './pool-errors.js';
import type { ReaderSet } from './reader-set.js';
import { backoffDelay, mayRetry, sleep } from './retry.js';
import type { SnapshotReader } from './snapshot-reader.js';
import type { Op } from './statement.js';
import type { BindParams, QueryOptions } from './types.js';
import { busyGaveUp } from './writer-lane.js';

/** What a read that must wait needs from the pool (a part of `PoolParts`). */
export interface SlowReadTarget {
  readonly ctx: PoolContext;
  readonly readers: ReaderSet;
  readonly snapshots: SnapshotReader;
  /** Whether `close()` has begun. */
  isClosed(): boolean;
}

/**
 * A read that must wait: for a reader to come free, or for a lock to clear (busy retry, with
 * `retry` events, bounded by the retry options; past them POOL_BUSY). `attempt` is 0 for a read
 * that only waits for a reader, 1 for one that met `lastErr` (SQLITE_BUSY) already.
 */
export async function readSlow(
  t: SlowReadTarget,
  op: Op,
  sql: string,
  params: BindParams | undefined,
  opts: QueryOptions | undefined,
  attempt: number,
  firstAt: number,
  lastErr?: unknown,
): Promise<unknown> {
  const { ctx } = t;
  for (;;) {
    if (attempt > 0) {
      if (!mayRetry(attempt, firstAt, ctx.opts.retry))
        throw busyGaveUp(lastErr, attempt, Date.now() - firstAt);
      const delay = backoffDelay(attempt, ctx.opts.retry);
      ctx.counters.retries++;
      if (ctx.events.listening('retry')) {
        ctx.events.emit('retry', {
          poolId: ctx.id,
          attempt,
          delayMs: delay,
          elapsedMs: Date.now() - firstAt,
          sqliteCode: sqliteCodeOf(lastErr) ?? 'SQLITE_BUSY',
          operation: 'read',
        });
      }
      await sleep(delay);
      if (t.isClosed()) throw closedError(ctx.filename);
    }
    try {
      const conn = await t.readers.take(ctx.opts.connectionTimeout);
      if (t.isClosed()) throw closedError(ctx.filename);
      return t.snapshots.readOn(conn, op, sql, params, opts);
    } catch (err) {
      if (!isBusyError(err)) throw err instanceof HiveDbError ? err : fromSqliteError(err);
      lastErr = err;
      attempt++;
    }
  }
}
