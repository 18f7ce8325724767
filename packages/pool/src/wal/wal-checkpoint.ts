import type { Connection } from '../connection.js';
import type { PoolContext } from '../context.js';
import { fromSqliteError, HiveDbError } from '../errors.js';
import { readonlyError } from '../pool-errors.js';
import type { CheckpointOptions, CheckpointResult, HealthReport } from '../types.js';
import type { WriterLane } from '../writer-lane.js';
import { walBytes } from './wal-file.js';

/**
 * How long a RESTART checkpoint may wait for readers (ms, capped by the pool's `busyTimeout`).
 * RESTART holds the write lock while it waits, so every writer of every process waits with it;
 * and a reader of this process cannot finish while this thread waits. Short, then: under a
 * steady load a later attempt finds the moment when every reader is on the newest snapshot.
 */
export const RESTART_WAIT_MS = 20;

/**
 * The health check's checkpoint, in `walCheckpointer: 'sqlite'` mode (in the default
 * `'coordinated'` mode the elected checkpointer does it, see checkpointer.ts). Checkpoints a WAL
 * grown past `walCheckpointBytes`: PASSIVE first (it copies what readers allow
 * and never waits), then RESTART when PASSIVE could not copy everything or the file is still past
 * the bound, and `mayRestart()` says no reader of this process holds a snapshot. RESTART makes
 * the next writer start the WAL from its beginning (and `journal_size_limit` trims the file), so
 * the WAL stops growing even when readers of other processes never all stop at once: a WAL that
 * is never wholly copied is never restarted, and grows without bound. It waits at most
 * RESTART_WAIT_MS for readers; a busy RESTART is reported (`busy: true`) and tried again at the
 * next health check.
 * Emits `checkpoint` per attempt. Never throws: a failure goes to `errors` and `error`.
 */
export function checkpointWal(
  ctx: PoolContext,
  writer: Connection,
  before: number,
  mayRestart: () => boolean,
  errors: string[],
): HealthReport['checkpoint'] {
  const attempt = (mode: 'PASSIVE' | 'RESTART') => {
    const started = Date.now();
    const row = writer.db.prepare(`PRAGMA wal_checkpoint(${mode})`).get() as {
      busy: number;
      log: number;
      checkpointed: number;
    };
    ctx.counters.checkpoints++;
    const after = walBytes(ctx.filename);
    if (ctx.events.listening('checkpoint')) {
      ctx.events.emit('checkpoint', {
        poolId: ctx.id,
        mode,
        walBytesBefore: before,
        walBytesAfter: after,
        durationMs: Date.now() - started,
        busy: row.busy !== 0,
      });
    }
    return { row, after };
  };
  try {
    const passive = attempt('PASSIVE');
    let result: HealthReport['checkpoint'] = {
      mode: 'PASSIVE',
      walBytesBefore: before,
      walBytesAfter: passive.after,
    };
    const fullyCopied = passive.row.log === passive.row.checkpointed;
    if ((!fullyCopied || passive.after > ctx.opts.walCheckpointBytes) && mayRestart()) {
      const wait = Math.min(RESTART_WAIT_MS, ctx.opts.busyTimeout);
      writer.setBusyTimeout(wait);
      try {
        const restart = attempt('RESTART');
        result = { mode: 'RESTART', walBytesBefore: before, walBytesAfter: restart.after };
      } finally {
        writer.setBusyTimeout(ctx.opts.busyTimeout);
      }
    }
    return result;
  } catch (err) {
    errors.push(`checkpoint: ${err instanceof Error ? err.message : String(err)}`);
    ctx.reportError('checkpoint', err);
    return undefined;
  }
}

const MODES = new Set(['PASSIVE', 'FULL', 'RESTART', 'TRUNCATE']);

/**
 * `pool.checkpoint()`: takes the writer (behind this pool's queued writes and transactions),
 * runs `PRAGMA wal_checkpoint(mode)` with a busy budget of `waitMs`, gives the writer back its
 * own budget, and emits `checkpoint`. Throws POOL_INVALID_ARGUMENT for bad options, POOL_READONLY
 * for a read-only pool.
 */
export async function checkpointNow(
  ctx: PoolContext,
  lane: WriterLane | undefined,
  opts: CheckpointOptions | undefined,
): Promise<CheckpointResult> {
  const mode = opts?.mode ?? 'PASSIVE';
  const waitMs = opts?.waitMs ?? ctx.opts.busyTimeout;
  if (!MODES.has(mode))
    throw new HiveDbError(
      'POOL_INVALID_ARGUMENT',
      `checkpoint mode must be 'PASSIVE', 'FULL', 'RESTART' or 'TRUNCATE', got ${JSON.stringify(mode)}`,
    );
  if (typeof waitMs !== 'number' || !Number.isFinite(waitMs) || waitMs < 0)
    throw new HiveDbError(
      'POOL_INVALID_ARGUMENT',
      `checkpoint waitMs must be a number >= 0, got ${String(waitMs)}`,
    );
  if (lane === undefined) throw readonlyError(ctx.filename);
  const writer = await lane.acquireExclusive(ctx.opts.connectionTimeout);
  const before = walBytes(ctx.filename);
  const started = performance.now();
  try {
    writer.setBusyTimeout(waitMs);
    const row = writer.db.prepare(`PRAGMA wal_checkpoint(${mode})`).get() as
      | { busy: number; log: number; checkpointed: number }
      | undefined;
    const durationMs = performance.now() - started;
    ctx.counters.checkpoints++;
    if (ctx.events.listening('checkpoint')) {
      ctx.events.emit('checkpoint', {
        poolId: ctx.id,
        mode: mode === 'FULL' ? 'PASSIVE' : mode,
        walBytesBefore: before,
        walBytesAfter: walBytes(ctx.filename),
        durationMs,
        busy: row?.busy === 1,
      });
    }
    return {
      mode,
      busy: row?.busy === 1,
      walFrames: row?.log ?? -1,
      checkpointedFrames: row?.checkpointed ?? -1,
      durationMs,
    };
  } catch (err) {
    throw fromSqliteError(err, `checkpoint (${mode}) failed`);
  } finally {
    writer.setBusyTimeout(ctx.opts.busyTimeout);
    lane.releaseExclusive();
  }
}
