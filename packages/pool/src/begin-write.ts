import type { PoolContext } from './context.js';
import { fromSqliteError, HiveDbError, isBusyError, sqliteCodeOf } from './errors.js';
import { closedError, readonlyError } from './pool-errors.js';
import { backoffDelay, mayRetry, sleep } from './retry.js';
import { runInTransaction, WriteTransaction } from './transaction.js';
import type { Transaction, TransactionOptions } from './types.js';
import type { WorkInFlight } from './work-in-flight.js';
import { busyGaveUp, type WriterLane } from './writer-lane.js';

/** What beginning a transaction needs from the pool (a part of `PoolParts`). */
export interface BeginTarget {
  readonly ctx: PoolContext;
  /** Undefined for a `readonly` pool: POOL_READONLY. */
  readonly lane: WriterLane | undefined;
  readonly inFlight: WorkInFlight;
  isClosed(): boolean;
}

/**
 * Takes the writer and begins a transaction on it, retrying BEGIN while another process holds
 * the lock. The transaction is in flight until it ends; then the writer is released.
 */
export async function beginWrite(
  t: BeginTarget,
  opts: TransactionOptions | undefined,
  firstAt: number,
  attempt: number,
): Promise<WriteTransaction> {
  const { ctx, lane, inFlight } = t;
  if (lane === undefined) throw readonlyError(ctx.filename);
  const mode = opts?.mode ?? 'immediate';
  if (mode !== 'immediate' && mode !== 'exclusive' && mode !== 'deferred') {
    throw new HiveDbError(
      'POOL_INVALID_ARGUMENT',
      `transaction mode must be 'immediate', 'exclusive' or 'deferred', got ${JSON.stringify(mode)}`,
    );
  }
  const timeoutMs = opts?.timeoutMs ?? ctx.opts.transactionTimeout;
  if (typeof timeoutMs !== 'number' || !Number.isFinite(timeoutMs) || timeoutMs < 0) {
    throw new HiveDbError(
      'POOL_INVALID_ARGUMENT',
      `transaction timeoutMs must be a number >= 0, got ${String(timeoutMs)}`,
    );
  }
  ctx.breaker.beforeCall();
  for (; ; attempt++) {
    const conn = await lane.acquireExclusive(ctx.opts.connectionTimeout);
    if (t.isClosed()) {
      lane.releaseExclusive();
      throw closedError(ctx.filename);
    }
    try {
      const tx = new WriteTransaction(conn, ctx, mode, timeoutMs, (outcome) => {
        inFlight.delete(tx);
        if (outcome === 'commit') ctx.onLocalCommit();
        lane.releaseExclusive();
        inFlight.notifySettled();
      });
      tx.retries = attempt - 1;
      inFlight.add(tx);
      ctx.breaker.success(); // BEGIN went through: the database answered
      return tx;
    } catch (err) {
      lane.releaseExclusive();
      ctx.breaker.failure(err);
      if (!isBusyError(err)) throw fromSqliteError(err, 'could not begin a transaction');
      if (!mayRetry(attempt, firstAt, ctx.opts.retry))
        throw busyGaveUp(err, attempt, Date.now() - firstAt);
      retryEvent(ctx, attempt, firstAt, err, 'transaction');
      await sleep(backoffDelay(attempt, ctx.opts.retry));
    }
  }
}

/** Counts a retry and emits `retry` (the delay is the caller's to take). */
export function retryEvent(
  ctx: PoolContext,
  attempt: number,
  firstAt: number,
  err: unknown,
  operation: 'transaction' | 'write' | 'read',
): void {
  ctx.counters.retries++;
  if (ctx.events.listening('retry')) {
    ctx.events.emit('retry', {
      poolId: ctx.id,
      attempt,
      delayMs: 0,
      elapsedMs: Date.now() - firstAt,
      sqliteCode: sqliteCodeOf(err) ?? 'SQLITE_BUSY',
      operation,
    });
  }
}

/**
 * `pool.transaction(fn)`: begins (through `begin`), runs `fn`, commits; on SQLITE_BUSY met
 * inside `fn` the whole transaction is run again after a backoff, within the retry bounds
 * (never after its own timeout).
 */
export async function runTransaction<T>(
  ctx: PoolContext,
  fn: (tx: Transaction) => T | Promise<T>,
  begin: (firstAt: number, attempt: number) => Promise<WriteTransaction>,
): Promise<T> {
  const firstAt = Date.now();
  for (let attempt = 1; ; attempt++) {
    const tx = await begin(firstAt, attempt);
    try {
      return await runInTransaction(tx, fn);
    } catch (err) {
      if (tx.timedOut || !isBusyError(err) || !mayRetry(attempt, firstAt, ctx.opts.retry))
        throw err;
      retryEvent(ctx, attempt, firstAt, err, 'transaction');
      await sleep(backoffDelay(attempt, ctx.opts.retry));
    }
  }
}
