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

/** How long a RESTART may wait for readers (and hold every writer) after `failures` failed in a row. */
export function restartWaitMs(walBytes: number, failures: number, s: CheckpointSettings): number {
  // Near the bound, wait as long as it takes a descheduled reader of a busy machine to run
  // again: the bound matters more than one stall. Below it, start short and double.
  if (walBytes >= s.limitBytes * 0.75) return 250;
  return Math.min(4 * 2 ** Math.min(failures, 4), 64);
}
