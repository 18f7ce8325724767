import type { PoolContext } from './context.js';
import { HiveDbError } from './errors.js';
import type { Op } from './statement.js';
import type { BindParams, QueryOptions } from './types.js';

/** POOL_CLOSED: every call after `close()` began. */
export function closedError(filename: string): HiveDbError {
  return new HiveDbError('POOL_CLOSED', `the pool for ${filename} is closed`);
}

/** POOL_READONLY: a write, a transaction or a write lease on a pool opened `readonly`. */
export function readonlyError(filename: string): HiveDbError {
  return new HiveDbError(
    'POOL_READONLY',
    `the pool for ${filename} was opened readonly: it has no writer`,
  );
}

/** POOL_INVALID_ARGUMENT: `offload: true` on a statement that writes. */
export function offloadWriteError(sql: string): HiveDbError {
  return new HiveDbError(
    'POOL_INVALID_ARGUMENT',
    `offload: true runs only statements that read; ${JSON.stringify(sql.trim().slice(0, 40))} writes, and writes go through the pool's one writer (call it without offload)`,
  );
}

/** POOL_INVALID_ARGUMENT: `offload: true` on a pool that has no offload worker. */
export function noOffloadError(filename: string, maxConnections: number): HiveDbError {
  return new HiveDbError(
    'POOL_INVALID_ARGUMENT',
    filename === ':memory:'
      ? 'offload: true needs a database file: a :memory: database lives on its one connection'
      : `offload: true needs an offload worker, and this pool has none (offloadWorkers 0, or maxConnections ${maxConnections} leaves no connection beside the writer and one reader)`,
  );
}

/** Checks a call's `QueryOptions` (POOL_INVALID_ARGUMENT naming the bad value). */
export function assertQueryOptions(opts: QueryOptions): void {
  if (opts.timeoutMs !== undefined) assertTimeout(opts.timeoutMs);
  if (opts.offload !== undefined && typeof opts.offload !== 'boolean') {
    throw new HiveDbError(
      'POOL_INVALID_ARGUMENT',
      `offload must be true or false, got ${String(opts.offload)}`,
    );
  }
}

function assertTimeout(ms: unknown): void {
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) {
    throw new HiveDbError(
      'POOL_INVALID_ARGUMENT',
      `timeoutMs must be a number >= 0 (0: no timeout), got ${String(ms)}`,
    );
  }
}

/**
 * A call that failed before reaching a connection (it did not prepare, the circuit is open, …)
 * is still a query that failed: monitors count it in the error rate. `connectionId` is 0.
 */
export function reportRefused(
  ctx: PoolContext,
  op: Op,
  sql: string,
  params: BindParams | undefined,
  err: HiveDbError,
): void {
  ctx.counters.errors++;
  if (!ctx.meter.on) return;
  // (A refused call may carry what failed validation: a non-string sql, non-object params.)
  ctx.meter.recordTimed(
    typeof sql === 'string' ? sql : String(sql),
    op === 'run' ? 'write' : 'read',
    params !== null && typeof params === 'object' ? params : undefined,
    0,
    0,
    0,
    err,
  );
}
