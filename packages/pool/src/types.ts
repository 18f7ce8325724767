import type BetterSqlite3 from 'better-sqlite3';
import type { EventSource } from './event-bus.js';
import type { PoolEvents } from './events.js';

/** Bound parameters: positional (`?`) as an array, or named (`@x`, `:x`, `$x`) as an object. */
export type BindParams = readonly unknown[] | Readonly<Record<string, unknown>>;

/** The result of a statement that writes. */
export interface RunResult {
  /** Rows inserted, updated or deleted by the statement. */
  readonly changes: number;
  /** The rowid of the last row inserted by the statement (0 when none). */
  readonly lastInsertRowid: number | bigint;
}

/** Options that every single-statement call accepts. */
export interface QueryOptions {
  /**
   * Per-call query timeout in milliseconds (`0`: none), overriding the pool's `queryTimeout`.
   * At the deadline the statement itself is interrupted and the call fails with
   * `POOL_QUERY_TIMEOUT`. See the README ("Query timeouts").
   */
  readonly timeoutMs?: number;
  /**
   * Use the query result cache for this read (only when the pool has `queryCache` on).
   * `false` bypasses it; an object sets this entry's TTL.
   */
  readonly cache?: boolean | { readonly ttlMs: number };
  /**
   * Run the statement on an offload worker (a worker thread with its own read connection), so
   * that the event loop keeps turning while it runs. Only for statements that read: a statement
   * that writes is refused with `POOL_INVALID_ARGUMENT` (writes stay on the pool's one writer).
   * Timeouts apply as inline; the query cache is bypassed. A round trip costs tens of µs, so
   * use it for long queries, not for point reads. See the README ("Offloaded queries").
   */
  readonly offload?: boolean;
}

/** What `executeQuery` resolves to: rows for a statement that reads, a `RunResult` for one that writes. */
export type QueryResult<Row = Record<string, unknown>> =
  | { readonly kind: 'rows'; readonly rows: Row[] }
  | ({ readonly kind: 'run' } & RunResult);

/**
 * Synchronous statements on one leased connection: the handle a transaction callback, a
 * `read()` callback and a lease receive. Each call runs at once on that connection.
 */
export interface SyncQueryable {
  /** First row of a statement, or `undefined` when it returns none. */
  get<Row = Record<string, unknown>>(sql: string, params?: BindParams): Row | undefined;
  /** Every row of a statement. */
  all<Row = Record<string, unknown>>(sql: string, params?: BindParams): Row[];
  /** Runs a statement that writes (or any statement whose rows are not wanted). */
  run(sql: string, params?: BindParams): RunResult;
  /**
   * Runs several `;`-separated statements with no parameters (for migration scripts).
   * Never pass input from users here: nothing can be bound.
   */
  exec(sql: string): void;
}

/** The handle a `transaction()` callback receives. */
export interface Transaction extends SyncQueryable {
  /** Monotonic id of this transaction within the pool. */
  readonly id: number;
  /** `'immediate'` (the default: takes the write lock at BEGIN), `'exclusive'` or `'deferred'`. */
  readonly mode: TransactionMode;
  /**
   * Runs `fn` inside a SAVEPOINT: if `fn` throws (or its promise rejects), only the work done
   * inside the savepoint is rolled back, and the error is re-thrown to the caller of `savepoint`.
   * Savepoints nest.
   */
  savepoint<T>(fn: (tx: Transaction) => Promise<T>): Promise<T>;
  savepoint<T>(fn: (tx: Transaction) => T): T;
}

/** A transaction begun explicitly: nothing is committed until `commit()`. */
export interface TransactionHandle extends Transaction {
  /** Commits, releases the writer, and makes every later call on this handle fail. */
  commit(): Promise<void>;
  /** Rolls back, releases the writer, and makes every later call on this handle fail. Idempotent. */
  rollback(): Promise<void>;
  /** Whether the transaction is still open (not committed, rolled back, or timed out). */
  readonly active: boolean;
}

/** How a transaction takes its locks. */
export type TransactionMode = 'immediate' | 'exclusive' | 'deferred';

/** Options of `transaction()` and `begin()`. */
export interface TransactionOptions {
  /** Default `'immediate'`. `'deferred'` is for transactions that only read. */
  readonly mode?: TransactionMode;
  /**
   * When this many milliseconds pass, the transaction is rolled back, its writer is released,
   * and every later call on its handle throws `POOL_TRANSACTION_TIMEOUT`.
   * Default: the pool's `transactionTimeout`.
   */
  readonly timeoutMs?: number;
}

/** Options of `acquire()` and `withConnection()`. */
export interface AcquireOptions {
  /** `'read'` (the default) leases a reader; `'write'` leases the writer (queued behind writes). */
  readonly mode?: 'read' | 'write';
  /** How long to wait for a connection, in milliseconds. Default: the pool's `connectionTimeout`. */
  readonly timeoutMs?: number;
}

/** A connection leased from the pool. Release it exactly once; `withConnection` does that for you. */
export interface Lease extends SyncQueryable {
  /** The connection's id, as it appears in events and stats. */
  readonly connectionId: number;
  /** Whether this lease holds the writer or a reader. */
  readonly mode: 'read' | 'write';
  /**
   * Escape hatch: the underlying better-sqlite3 `Database`. Do not close it, change its
   * `journal_mode`, or leave a transaction open on it; the pool relies on all three.
   */
  readonly raw: BetterSqlite3.Database;
  /** Returns the connection to the pool. Idempotent. */
  release(): void;
}

/** A point-in-time picture of the pool, for tests and monitors. */
export interface PoolStats {
  readonly filename: string;
  readonly closed: boolean;
  /** Connections open now (writer and offload workers' connections included). */
  readonly total: number;
  /** Connections leased now (a transaction, a lease, an open read snapshot, a busy offload worker). */
  readonly leased: number;
  /** Connections open and idle. */
  readonly idle: number;
  readonly readers: { readonly open: number; readonly leased: number; readonly max: number };
  readonly writer: { readonly open: boolean; readonly busy: boolean; readonly queued: number };
  /** Callers waiting for a reader. */
  readonly waiting: number;
  readonly maxConnections: number;
  readonly minConnections: number;
  readonly circuit: CircuitState;
  /** The offload workers (`{ offload: true }`); all zero until the first offloaded statement. */
  readonly offload: {
    /** Connections of `maxConnections` the workers hold (taken from the readers' share at the first offloaded statement). */
    readonly max: number;
    /** Worker threads running now. */
    readonly workers: number;
    /** Workers with statements in flight. */
    readonly busy: number;
    /** Statements sent to a worker and not answered yet. */
    readonly inFlight: number;
    /** Statements waiting for a worker (each worker takes at most 64 at a time). */
    readonly queued: number;
    /** Statements answered (or failed) so far. */
    readonly requests: number;
    /** Workers that ended unexpectedly (each was replaced). */
    readonly crashes: number;
  };
  readonly counters: {
    readonly queries: number;
    readonly errors: number;
    readonly acquireTimeouts: number;
    readonly transactions: {
      readonly committed: number;
      readonly rolledBack: number;
      readonly timedOut: number;
    };
    readonly retries: number;
    readonly connectionsOpened: number;
    readonly connectionsClosed: number;
    readonly snapshots: number;
    readonly groupCommits: number;
    readonly groupedWrites: number;
    readonly checkpoints: number;
  };
  readonly wal: WalStats;
  /**
   * Waits for a lock another connection (of any process) held, on the writer, as the
   * query-interrupt extension's busy handler measured them (all 0 without the extension):
   * waits begun, waits that ran out (SQLITE_BUSY), time slept, and the longest single wait.
   */
  readonly locks: {
    readonly waits: number;
    readonly timeouts: number;
    readonly sleptMs: number;
    readonly maxWaitMs: number;
  };
  /** Present only when `queryCache` is on. */
  readonly cache?: {
    readonly entries: number;
    readonly hits: number;
    readonly misses: number;
    readonly invalidations: number;
  };
}

/** How the pool's WAL is kept bounded, and what was measured of it (`stats().wal`). */
export interface WalStats {
  /** `coordinated`: an elected process checkpoints; `sqlite`: SQLite's autocheckpoint (or no WAL). */
  readonly mode: 'coordinated' | 'sqlite';
  /** The WAL's size at the last report (every second), bytes. */
  readonly walBytes: number;
  /** The largest size reported since the pool opened, bytes. */
  readonly maxWalBytes: number;
  readonly limitBytes: number;
  /** Whether the last report's WAL passed `walLimitBytes`. */
  readonly overLimit: boolean;
  /** Whether this process is the database's elected checkpointer now. */
  readonly checkpointer: boolean;
  /** PASSIVE checkpoints, RESTART attempts and failed RESTARTs this process made on the file. */
  readonly passiveCheckpoints: number;
  readonly restarts: number;
  readonly restartFailures: number;
}

/** The circuit breaker's state. */
export type CircuitState = 'closed' | 'open' | 'half-open';

/** What `checkHealth()` found. */
export interface HealthReport {
  readonly ok: boolean;
  readonly checkedAt: number;
  readonly durationMs: number;
  /**
   * Idle connections and idle offload workers probed, and those that failed and were replaced
   * (a worker that failed its probe is counted in `replaced` once its replacement has started).
   */
  readonly probed: number;
  readonly replaced: number;
  /** Readers closed because they were idle past `idleTimeout`, or older than `maxLifetime`. */
  readonly closedIdle: number;
  readonly recycled: number;
  readonly walBytes: number;
  readonly checkpoint?: {
    readonly mode: 'PASSIVE' | 'RESTART';
    readonly walBytesBefore: number;
    readonly walBytesAfter: number;
  };
  readonly circuit: CircuitState;
  readonly errors: readonly string[];
}

/** Options of `pool.checkpoint()`. */
export interface CheckpointOptions {
  /** SQLite's checkpoint mode. Default `'PASSIVE'`. */
  readonly mode?: 'PASSIVE' | 'FULL' | 'RESTART' | 'TRUNCATE';
  /**
   * How long it may wait for other connections (FULL, RESTART and TRUNCATE hold every writer of
   * every process meanwhile). Default: the pool's `busyTimeout`.
   */
  readonly waitMs?: number;
}

/** What `pool.checkpoint()` did. */
export interface CheckpointResult {
  readonly mode: 'PASSIVE' | 'FULL' | 'RESTART' | 'TRUNCATE';
  /** Whether it could not finish because another connection was busy. */
  readonly busy: boolean;
  /** Frames in the WAL, and frames copied into the database (both -1 when unknown). */
  readonly walFrames: number;
  readonly checkpointedFrames: number;
  readonly durationMs: number;
}

/** Options of `close()`. */
export interface CloseOptions {
  /** How long to wait for leases and transactions in flight before closing anyway. Default 5000. */
  readonly timeoutMs?: number;
}

/** A SQLite connection manager for one database file. Create one with `createPool`. */
export interface Pool {
  /** The absolute path of the database file (or `':memory:'`). */
  readonly filename: string;
  /** The pool's typed events. */
  readonly events: EventSource<PoolEvents>;
  /** First row of a statement, or `undefined`. Reads run in a read snapshot; writes queue for the writer. */
  get<Row = Record<string, unknown>>(
    sql: string,
    params?: BindParams,
    opts?: QueryOptions,
  ): Promise<Row | undefined>;
  /** Every row of a statement. */
  all<Row = Record<string, unknown>>(
    sql: string,
    params?: BindParams,
    opts?: QueryOptions,
  ): Promise<Row[]>;
  /** Runs a statement that writes: queued for the writer, committed with whatever else is queued (group commit). */
  run(sql: string, params?: BindParams, opts?: QueryOptions): Promise<RunResult>;
  /** Runs any single statement, reading or writing, and says which it was. */
  executeQuery<Row = Record<string, unknown>>(
    sql: string,
    params?: BindParams,
    opts?: QueryOptions,
  ): Promise<QueryResult<Row>>;
  /**
   * Runs `fn` in a write transaction (`BEGIN IMMEDIATE` by default) on the writer, queued behind
   * this process's other writes. Commits when `fn` returns (or its promise resolves); rolls back
   * and re-throws `fn`'s error unchanged when it throws. When another process holds the write
   * lock past `busyTimeout`, the whole transaction is retried, so `fn` may run more than once:
   * keep side effects outside the database out of it.
   */
  transaction<T>(fn: (tx: Transaction) => T | Promise<T>, opts?: TransactionOptions): Promise<T>;
  /** Begins a write transaction and hands it over: you call `commit()` or `rollback()`. */
  begin(opts?: TransactionOptions): Promise<TransactionHandle>;
  /**
   * Runs `fn` now, synchronously, in a read transaction that begins inside this call: it sees
   * every commit of any process made before the call, never waits, and never joins an older
   * snapshot. For a read whose point in time must be the call's (where a change feed starts);
   * `get`/`read` are cheaper. When every reader is leased, a connection is opened for this read
   * and closed after it. `fn` must be synchronous.
   *
   * @example
   * const head = pool.readNow((db) => db.get<{ seq: number }>('SELECT max(seq) AS seq FROM log'));
   */
  readNow<T>(fn: (db: SyncQueryable) => T): T;
  /** Runs `fn` in one read transaction on a reader: every statement sees the same snapshot. */
  read<T>(fn: (tx: SyncQueryable) => T | Promise<T>, opts?: AcquireOptions): Promise<T>;
  /** Leases a connection; release it with `lease.release()`. */
  acquire(opts?: AcquireOptions): Promise<Lease>;
  /** Leases a connection for the duration of `fn`, and always releases it. */
  withConnection<T>(fn: (lease: Lease) => T | Promise<T>, opts?: AcquireOptions): Promise<T>;
  /**
   * A number that moves whenever the database may have changed: on every commit through this
   * pool, and when a read snapshot finds `PRAGMA data_version` changed (a commit by any other
   * connection or process). It opens or joins the read snapshot that `get`/`all` are served
   * from, so a value cached with generation `g` equals a fresh read while `generation() === g`.
   * Cheap (no statement) inside an open snapshot. `undefined` when it cannot tell (every reader
   * leased, a `:memory:` pool, a closed pool): then read fresh.
   */
  generation(): number | undefined;
  /** A point-in-time picture of connections, queues and counters. */
  stats(): PoolStats;
  /** Probes idle connections now, replaces failed ones, trims idle ones, watches the WAL. */
  checkHealth(): Promise<HealthReport>;
  /**
   * A WAL checkpoint now, on the writer (behind this pool's queued writes), waiting at most
   * `waitMs` for other connections. Seldom needed: with `walCheckpointer: 'coordinated'` (the
   * default) an elected process keeps the WAL bounded on its own.
   */
  checkpoint(opts?: CheckpointOptions): Promise<CheckpointResult>;
  /**
   * Waits for work in flight (up to `timeoutMs`), then closes every connection and clears every
   * timer. Idempotent. After it, every call fails with `POOL_CLOSED`.
   */
  close(opts?: CloseOptions): Promise<void>;
}
