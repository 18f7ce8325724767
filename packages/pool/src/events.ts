import type { CircuitState, TransactionMode } from './types.js';

/**
 * Why a connection was opened or closed. `'offload'`: a reader closed to make room for the
 * offload workers when the first `{ offload: true }` statement started them. `'surplus'`: a
 * reader opened beyond `maxConnections` for one `readNow()` while every reader was leased, and
 * closed after it.
 */
export type ConnectionReason =
  | 'min'
  | 'demand'
  | 'replace'
  | 'idle'
  | 'lifetime'
  | 'failed'
  | 'close'
  | 'timeout'
  | 'offload'
  | 'surplus';

/**
 * The role of a connection in events: the writer, a reader, or the read connection of an offload
 * worker (a worker thread that runs `{ offload: true }` statements).
 */
export type ConnectionEventRole = 'writer' | 'reader' | 'worker';

/** One statement finished (or failed). Emitted for every statement, including those inside transactions. */
export interface QueryEvent {
  readonly poolId: number;
  readonly filename: string;
  readonly sql: string;
  /** Number of bound parameters (never their values: they may be secrets). */
  readonly paramCount: number;
  readonly durationMs: number;
  /** Rows returned (reads) or changed (writes). */
  readonly rows: number;
  readonly kind: 'read' | 'write';
  readonly cacheHit: boolean;
  readonly connectionId: number;
  /**
   * Set when the statement failed. (Every payload has the same keys, `undefined` where they do
   * not apply, so that listeners see one object shape: this event is emitted per statement.)
   */
  readonly error:
    | {
        readonly code: string;
        readonly sqliteCode?: string;
        readonly message: string;
      }
    | undefined;
  /** Set when the statement ran inside a transaction of this id. */
  readonly transactionId: number | undefined;
  /**
   * `true` when the statement ran on an offload worker (`{ offload: true }`); `connectionId` is
   * then the worker's connection and `durationMs` the time it ran there (not the time it waited).
   */
  readonly offloaded: boolean;
}

/** One SQL text's statements in a `query:batch`. */
export interface QueryBatchStatement {
  /** The SQL text, as the caller passed it. (A text may appear twice in one batch; add them up.) */
  readonly sql: string;
  /** `'read'` or `'write'`, as the first statement of this text was counted. */
  readonly kind: 'read' | 'write';
  /** Statements of this text since the previous batch, failed ones included. Exact. */
  readonly count: number;
  /** Of those, how many failed. Exact; each one is also in the batch's `notable`. */
  readonly errors: number;
  /** Rows returned (reads) or changed (writes), summed. Exact. */
  readonly rows: number;
  /** Reads served from the query cache. Exact. */
  readonly cacheHits: number;
  /**
   * Measured durations (ms) of the statements that were timed, each standing for `weights[i]`
   * statements: itself and the untimed statements of the same text before it (or, at the end of
   * a batch, after the last one timed). The statements in `notable` are not here, so
   * `sum(weights) + (this text's statements in notable) === count`.
   */
  readonly durationsMs: readonly number[];
  readonly weights: readonly number[];
}

/**
 * Every statement since the previous batch, counted exactly, with sampled timings: what a
 * monitor needs at a fraction of the cost of a `query` event per statement. Emitted about once a
 * second while someone listens, as soon as a statement of 100 ms or more ends, whenever
 * `events.flush()` is called, and at `close()`.
 *
 * Timing: the first statement of each text and then one in 64 are timed with
 * `performance.now()`; the others only read a shared clock that a helper thread ticks every 50
 * ms while statements run, which is enough to tell that a statement took 100 ms (NOTABLE_MS) or
 * more. Such a statement, and every failed one, is reported in full in `notable`, so a
 * slow-query log built from batches misses none over 100 ms. A notable read in a read snapshot
 * has its time to within `snapshotWindowMs` (1 ms by default); another notable statement that was not sampled gets the clock's upper
 * bound, above its real time by the age of the clock's last tick when it started: up to 50 ms,
 * more while the clock thread is starved of CPU (the pool stops trusting a clock whose last tick
 * is over 250 ms old, and times every statement instead). Listen to `query` for an exact time
 * for every statement.
 */
export interface QueryBatchEvent {
  readonly poolId: number;
  readonly filename: string;
  /** `Date.now()` when the batch was cut. */
  readonly at: number;
  readonly statements: readonly QueryBatchStatement[];
  /** Statements that failed or took 100 ms or more, in full (the same payload as `query`). */
  readonly notable: readonly QueryEvent[];
}

/** A caller gave up waiting for a connection (`POOL_ACQUIRE_TIMEOUT`). */
export interface AcquireTimeoutEvent {
  readonly poolId: number;
  readonly mode: 'read' | 'write' | 'offload';
  readonly waitedMs: number;
}

/** A connection was leased. */
export interface AcquireEvent {
  readonly poolId: number;
  readonly connectionId: number;
  readonly mode: 'read' | 'write';
  /** How long the caller waited for it. */
  readonly waitMs: number;
}

/** A lease was returned. */
export interface ReleaseEvent {
  readonly poolId: number;
  readonly connectionId: number;
  readonly mode: 'read' | 'write';
  /** How long it was held. */
  readonly heldMs: number;
}

/** A connection was opened. */
export interface ConnectionOpenEvent {
  readonly poolId: number;
  readonly connectionId: number;
  readonly role: ConnectionEventRole;
  readonly reason: ConnectionReason;
  readonly durationMs: number;
}

/** A connection was closed. */
export interface ConnectionCloseEvent {
  readonly poolId: number;
  readonly connectionId: number;
  readonly role: ConnectionEventRole;
  readonly reason: ConnectionReason;
  /** How long it had been open. */
  readonly ageMs: number;
}

/** A connection could not be opened. */
export interface ConnectionErrorEvent {
  readonly poolId: number;
  readonly role: ConnectionEventRole;
  readonly error: { readonly code: string; readonly sqliteCode?: string; readonly message: string };
}

/** A transaction ended. */
export interface TransactionEvent {
  readonly poolId: number;
  readonly transactionId: number;
  readonly mode: TransactionMode | 'group';
  readonly outcome: 'commit' | 'rollback' | 'timeout';
  readonly durationMs: number;
  /** Attempts beyond the first (retries on SQLITE_BUSY). */
  readonly retries: number;
  /** Statements in a group commit. */
  readonly statements?: number;
}

/** A unit of work hit SQLITE_BUSY (or LOCKED) and will be retried after `delayMs`. */
export interface RetryEvent {
  readonly poolId: number;
  readonly attempt: number;
  readonly delayMs: number;
  readonly elapsedMs: number;
  readonly sqliteCode: string;
  readonly operation: 'write' | 'transaction' | 'read' | 'open';
}

/** The circuit breaker changed state. */
export interface CircuitEvent {
  readonly poolId: number;
  readonly from: CircuitState;
  readonly to: CircuitState;
  readonly consecutiveFailures: number;
  /** The failure that opened it, if it opened. */
  readonly reason?: string;
}

/** A health check ran. */
export interface HealthEvent {
  readonly poolId: number;
  readonly ok: boolean;
  readonly durationMs: number;
  /** Idle connections and idle offload workers probed, and those that failed and were replaced. */
  readonly probed: number;
  readonly replaced: number;
  readonly closedIdle: number;
  readonly recycled: number;
  readonly walBytes: number;
  readonly total: number;
  readonly leased: number;
  /** `maxConnections`, and callers waiting for a reader: utilisation is `leased / max`. */
  readonly max: number;
  readonly waiting: number;
  readonly errors: readonly string[];
}

/** The pool ran a WAL checkpoint. */
export interface CheckpointEvent {
  readonly poolId: number;
  readonly mode: 'PASSIVE' | 'RESTART' | 'TRUNCATE';
  readonly walBytesBefore: number;
  readonly walBytesAfter: number;
  readonly durationMs: number;
  /** Whether SQLite reported the checkpoint blocked by readers or the writer. */
  readonly busy: boolean;
}

/**
 * Every second, the state of the pool's WAL, in `walCheckpointer: 'coordinated'` mode (from every
 * process, whether or not it is the one that checkpoints). `overLimit` says the WAL passed
 * `walLimitBytes` during the second: a reader held a snapshot open for long (see the README,
 * "Keeping the WAL bounded"); `@hivedb/monitor` raises its `wal_size` alert on it.
 */
export interface WalEvent {
  readonly poolId: number;
  /** The WAL's size now, in bytes. */
  readonly walBytes: number;
  /** The largest size seen during the second (sampled at every check by the checkpointing process). */
  readonly maxWalBytes: number;
  readonly limitBytes: number;
  readonly overLimit: boolean;
  /** Whether this process is the elected checkpointer of the database. */
  readonly checkpointer: boolean;
  /** Checkpoints this process ran during the second (0 unless it is the checkpointer). */
  readonly passive: number;
  readonly restarts: number;
  readonly restartFailures: number;
}

/** The query cache served, missed or dropped entries. */
export interface CacheEvent {
  readonly poolId: number;
  readonly type: 'hit' | 'miss' | 'invalidate';
  /** For `invalidate`: why (a write here, a commit elsewhere seen through `data_version`, TTL). */
  readonly reason?: 'write' | 'external-commit' | 'ttl' | 'evict';
  readonly entries?: number;
}

/** Something failed that no caller was awaiting (a background check, a connection close). */
export interface PoolErrorEvent {
  readonly poolId: number;
  readonly where: string;
  readonly error: unknown;
}

/** A snapshot of the pool's occupancy, emitted on lease changes for utilisation monitors. */
export interface UtilizationEvent {
  readonly poolId: number;
  readonly total: number;
  readonly leased: number;
  readonly waiting: number;
  readonly max: number;
}

/** The pool's event map: event name → payload. */
export interface PoolEvents {
  query: QueryEvent;
  'query:batch': QueryBatchEvent;
  acquire: AcquireEvent;
  'acquire:timeout': AcquireTimeoutEvent;
  release: ReleaseEvent;
  'connection:open': ConnectionOpenEvent;
  'connection:close': ConnectionCloseEvent;
  'connection:error': ConnectionErrorEvent;
  transaction: TransactionEvent;
  retry: RetryEvent;
  circuit: CircuitEvent;
  health: HealthEvent;
  checkpoint: CheckpointEvent;
  wal: WalEvent;
  cache: CacheEvent;
  utilization: UtilizationEvent;
  error: PoolErrorEvent;
}
