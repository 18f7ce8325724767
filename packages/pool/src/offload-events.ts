import type { PoolContext } from './context.js';
import { sqliteCodeOf } from './errors.js';
import type { OffloadRequest } from './offload-slot.js';
import { rowsOf } from './statement.js';

/** What `stats().offload` reports. */
export interface OffloadStats {
  readonly max: number;
  readonly workers: number;
  readonly busy: number;
  readonly inFlight: number;
  readonly queued: number;
  readonly requests: number;
  readonly crashes: number;
}

/** Counts an offloaded statement for `query` and `query:batch` (call only when `ctx.meter.on`). */
export function emitOffloadQuery(
  ctx: PoolContext,
  req: OffloadRequest,
  connectionId: number,
  durationMs: number,
  value: unknown,
  error?: unknown,
): void {
  ctx.meter.recordTimed(
    req.sql,
    'read',
    req.params,
    durationMs,
    error === undefined ? rowsOf(req.op, value) : 0,
    connectionId,
    error,
    true,
  );
}

/** Counts a retry of an offloaded read and emits `retry`. */
export function emitOffloadRetry(
  ctx: PoolContext,
  req: OffloadRequest,
  delayMs: number,
  err: unknown,
): void {
  ctx.counters.retries++;
  if (ctx.events.listening('retry'))
    ctx.events.emit('retry', {
      poolId: ctx.id,
      attempt: req.attempts,
      delayMs,
      elapsedMs: Date.now() - req.firstAt,
      sqliteCode: sqliteCodeOf(err) ?? 'SQLITE_BUSY',
      operation: 'read',
    });
}

/** Counts an offloaded statement that waited past `connectionTimeout` and emits `acquire:timeout`. */
export function emitOffloadAcquireTimeout(ctx: PoolContext): void {
  ctx.counters.acquireTimeouts++;
  if (ctx.events.listening('acquire:timeout'))
    ctx.events.emit('acquire:timeout', {
      poolId: ctx.id,
      mode: 'offload',
      waitedMs: ctx.opts.connectionTimeout,
    });
}
