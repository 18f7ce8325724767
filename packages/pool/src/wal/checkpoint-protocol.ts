/**
 * Messages between the pools of a process and its checkpointer thread (`checkpointer.ts` ↔
 * `checkpointer-worker.ts`). Private to the package.
 */

/** How one database is checkpointed (from the options of the first pool that registered it). */
export interface CheckpointSettings {
  /** PASSIVE every this many ms. */
  readonly intervalMs: number;
  /** A RESTART is attempted once the WAL is at least this large. */
  readonly restartBytes: number;
  /** The bound the WAL is kept under; waits grow as the WAL nears it. */
  readonly limitBytes: number;
  /** The busy timeout of ordinary connections (for the election's retry pacing only). */
  readonly busyTimeoutMs: number;
}

/** Pool → thread. */
export type ToCheckpointer =
  | { readonly type: 'add'; readonly file: string; readonly settings: CheckpointSettings }
  | { readonly type: 'remove'; readonly file: string }
  | { readonly type: 'stop' };

/** One RESTART attempt by the checkpointer (this process leads the file). */
export interface RestartReport {
  readonly type: 'restart';
  readonly file: string;
  readonly ok: boolean;
  readonly walBytesBefore: number;
  readonly walBytesAfter: number;
  /** How long the attempt held the write lock and waited for readers, ms. */
  readonly durationMs: number;
  /** The busy budget it was given, ms. */
  readonly waitMs: number;
}

/** A second's summary of one file, from every process (leader or not). */
export interface WalReport {
  readonly type: 'wal';
  readonly file: string;
  readonly walBytes: number;
  /** The largest WAL size seen during the second (sampled every tick when leading). */
  readonly maxWalBytes: number;
  readonly leader: boolean;
  readonly passive: number;
  readonly passiveMs: number;
  readonly restarts: number;
  readonly restartFailures: number;
}

/** Something failed in the thread (an election, a checkpoint); the pools report it as `error`. */
export interface CheckpointerErrorReport {
  readonly type: 'error';
  readonly file: string | null;
  readonly where: string;
  readonly message: string;
  readonly code?: string;
}

/** Thread → pool. */
export type FromCheckpointer =
  | RestartReport
  | WalReport
  | CheckpointerErrorReport
  | { readonly type: 'stopped' };

/**
 * How long a RESTART may wait for readers, holding every writer of every process meanwhile (ms).
 *
 * A RESTART succeeds once every reader that began before the WAL was fully copied has ended. On a
 * machine with more busy processes than cores, some of those readers belong to processes that are
 * waiting for a core (measured with 24 agents on 2 cores: a process holds a read snapshot about a
 * seventh of the time, so one of the 22 waiting for a core nearly always does), and they end only
 * once the scheduler runs them again: tens of ms. Short attempts therefore mostly fail, and each
 * failure stalls the writers for its whole wait for nothing (measured: 4–64 ms attempts, 75%
 * failed, writers stalled a third of the time). So the checkpointer restarts seldom and waits
 * long enough to succeed: the WAL grows to `restartBytes` (24 of the 64 MiB by default) between
 * restarts, and past 60% of the bound the wait is longer still.
 */
export function restartWaitMs(walBytes: number, s: CheckpointSettings): number {
  return walBytes >= s.limitBytes * 0.6 ? 250 : 150;
}

/** The pause after a failed RESTART before the next attempt (ms), doubled for each further failure in a row. */
export const RESTART_RETRY_MS = 50;
