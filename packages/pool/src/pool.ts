import { beginWrite, runTransaction } from './begin-write.js';
import type { CircuitBreaker } from './circuit-breaker.js';
import type { Connection } from './connection.js';
import type { Counters, PoolContext } from './context.js';
import { ensureDatabaseFolder } from './database-folder.js';
import { fromSqliteError, HiveDbError, isBusyError } from './errors.js';
import { EventBus } from './event-bus.js';
import type { PoolEvents } from './events.js';
import { runHealthCheck } from './health.js';
import { acquireLease, readInLease, withLease } from './lease-desk.js';
import { OffloadLane } from './offload-lane.js';
import { type PoolOptions, type ResolvedPoolOptions, resolvePoolOptions } from './options.js';
import { resolveDatabasePath } from './path-safety.js';
import { createPoolBreaker, createPoolContext } from './pool-context.js';
import {
  assertQueryOptions,
  closedError,
  noOffloadError,
  offloadWriteError,
  readonlyError,
  reportRefused,
} from './pool-errors.js';
import { drainAndClose } from './pool-close.js';
import type { PoolParts } from './pool-parts.js';
import { newCounters, occupancyOf, openConnections, poolStats } from './pool-stats.js';
import { clearOnWrite, QueryCache } from './query-cache.js';
import { ReaderSet } from './reader-set.js';
import { readNow } from './read-now.js';
import { readSlow } from './read-slow.js';
import { SnapshotReader } from './snapshot-reader.js';
import { StatementKinds } from './statement-kinds.js';
import { assertNotTransactionControl, assertStatementInput, type Op } from './statement.js';
import type { WriteTransaction } from './transaction.js';
import type {
  AcquireOptions,
  BindParams,
  CloseOptions,
  HealthReport,
  Lease,
  Pool,
  PoolStats,
  QueryOptions,
  QueryResult,
  RunResult,
  SyncQueryable,
  Transaction,
  TransactionHandle,
  TransactionOptions,
  CheckpointOptions,
  CheckpointResult,
} from './types.js';
import { WorkInFlight } from './work-in-flight.js';
import { WriterLane } from './writer-lane.js';
import { WalKeeper } from './wal/wal-keeper.js';
import { checkpointNow } from './wal/wal-checkpoint.js';

let nextPoolId = 1;

/**
 * Creates a pool for one SQLite database file: one writer, up to `maxConnections - 1` readers.
 * Opens `minConnections` at once, so a file that cannot be opened fails here.
 *
 * @example
 * const pool = createPool({ filename: 'memory.db', root: '.hive-mind' });
 * await pool.run('CREATE TABLE IF NOT EXISTS kv (k TEXT PRIMARY KEY, v TEXT)');
 * await pool.run('INSERT INTO kv VALUES (?, ?)', ['a', '1']);
 * const row = await pool.get<{ v: string }>('SELECT v FROM kv WHERE k = ?', ['a']);
 * await pool.close();
 */
export function createPool(options: PoolOptions): Pool {
  return new SqlitePool(options);
}

class SqlitePool implements Pool {
  readonly filename: string;
  readonly events = new EventBus<PoolEvents>();
  readonly #opts: ResolvedPoolOptions;
  readonly #ctx: PoolContext;
  readonly #counters: Counters = newCounters();
  readonly #breaker: CircuitBreaker;
  readonly #readers: ReaderSet;
  readonly #lane: WriterLane | undefined;
  readonly #snapshots: SnapshotReader;
  readonly #cache: QueryCache | null;
  readonly #kinds: StatementKinds;
  /** Connections the offload workers may take (0: offloading is refused). */
  readonly #offloadSlots: number;
  /** Started by the first offloaded statement. */
  #offload: OffloadLane | undefined;
  readonly #inFlight = new WorkInFlight();
  /** What the slow read path, transactions, leases and `close()` need of this pool. */
  readonly #parts: PoolParts;
  #writer: Connection | undefined;
  #wal: WalKeeper | undefined;
  #healthTimer: NodeJS.Timeout | undefined;
  #closing: Promise<void> | undefined;
  #closed = false;

  constructor(options: PoolOptions) {
    this.#opts = resolvePoolOptions(options);
    const opts = this.#opts;
    const id = nextPoolId++;
    this.filename = resolveDatabasePath(opts.filename, opts.root, opts.memory);
    // A readonly pool creates nothing: no folder, no file.
    if (this.filename !== ':memory:')
      ensureDatabaseFolder(this.filename, { create: !opts.readonly });
    this.#breaker = createPoolBreaker(id, opts, this.events);
    this.#cache = opts.queryCache ? new QueryCache(opts.queryCache.maxEntries) : null;
    this.#ctx = createPoolContext({
      id,
      filename: this.filename,
      opts,
      events: this.events,
      breaker: this.#breaker,
      counters: this.#counters,
      occupancy: () =>
        occupancyOf({
          readers: this.#readers,
          writer: this.#writer,
          lane: this.#lane,
          offload: this.#offload,
          opts: this.#opts,
        }),
      onLocalCommit: () => {
        this.#snapshots.localCommit();
        if (this.#cache !== null) clearOnWrite(this.#cache, id, this.events);
      },
    });

    // One connection serves everything for ':memory:' (each connection would be its own database).
    const memory = this.filename === ':memory:';
    const maxReaders = memory ? 0 : opts.readonly ? opts.maxConnections : opts.maxConnections - 1;
    this.#readers = new ReaderSet(this.#ctx, maxReaders);
    this.#offloadSlots = memory ? 0 : opts.offloadWorkers;
    this.#lane = opts.readonly ? undefined : new WriterLane(this.#ctx, () => this.#getWriter());
    this.#snapshots = new SnapshotReader(this.#ctx, this.#readers, this.#cache);
    this.#kinds = new StatementKinds(() => this.#writer, this.#readers);
    this.#parts = {
      ctx: this.#ctx,
      readers: this.#readers,
      lane: this.#lane,
      snapshots: this.#snapshots,
      inFlight: this.#inFlight,
      cache: this.#cache,
      isClosed: () => this.#closed,
      writer: () => this.#writer,
      offload: () => this.#offload,
      stats: () => this.stats(),
    };

    try {
      if (!opts.readonly) this.#writer = this.#ctx.open('writer', 'min');
      this.#readers.warm(opts.readonly ? opts.minConnections : opts.minConnections - 1, 'min');
    } catch (err) {
      this.#writer?.close();
      this.#readers.closeAll(closedError(this.filename));
      throw err;
    }
    // A pool that writes a WAL file takes part in electing the database's checkpointer.
    this.#wal = new WalKeeper(
      this.#ctx,
      opts.walCheckpointer === 'coordinated' && !memory && !opts.readonly && opts.enableWAL,
    );
    if (opts.healthCheckInterval > 0) {
      this.#healthTimer = setInterval(() => {
        void this.checkHealth().catch((err: unknown) => this.#ctx.reportError('health check', err));
      }, opts.healthCheckInterval);
      this.#healthTimer.unref();
    }
  }

  #getWriter(): Connection {
    const w = this.#writer;
    if (w !== undefined && !w.closed && !w.broken) return w;
    if (w !== undefined) this.#ctx.close(w, 'failed');
    this.#writer = undefined;
    this.#writer = this.#ctx.open('writer', w === undefined ? 'demand' : 'replace');
    return this.#writer;
  }

  generation(): number | undefined {
    if (this.#closed || this.#readers.max === 0) return undefined;
    return this.#snapshots.generation();
  }

  get<Row = Record<string, unknown>>(
    sql: string,
    params?: BindParams,
    opts?: QueryOptions,
  ): Promise<Row | undefined> {
    return this.#statement('get', sql, params, opts) as Promise<Row | undefined>;
  }

  all<Row = Record<string, unknown>>(
    sql: string,
    params?: BindParams,
    opts?: QueryOptions,
  ): Promise<Row[]> {
    return this.#statement('all', sql, params, opts) as Promise<Row[]>;
  }

  run(sql: string, params?: BindParams, opts?: QueryOptions): Promise<RunResult> {
    return this.#statement('run', sql, params, opts) as Promise<RunResult>;
  }

  async executeQuery<Row = Record<string, unknown>>(
    sql: string,
    params?: BindParams,
    opts?: QueryOptions,
  ): Promise<QueryResult<Row>> {
    this.#assertOpen();
    assertStatementInput(sql, params);
    assertNotTransactionControl(sql);
    const kind = this.#kinds.of(sql);
    if (kind.reader)
      return { kind: 'rows', rows: (await this.#statement('all', sql, params, opts)) as Row[] };
    const result = (await this.#statement('run', sql, params, opts)) as RunResult;
    return { kind: 'run', changes: result.changes, lastInsertRowid: result.lastInsertRowid };
  }

  #statement(
    op: Op,
    sql: string,
    params: BindParams | undefined,
    opts: QueryOptions | undefined,
  ): Promise<unknown> {
    let reached = false;
    try {
      if (this.#closed) throw closedError(this.filename);
      // Known SQL was validated when first seen; only the parameters' shape is checked per call.
      let kind = this.#kinds.known(sql);
      if (kind === undefined) {
        assertStatementInput(sql, params);
        assertNotTransactionControl(sql);
        kind = this.#kinds.of(sql);
      } else if (params !== undefined && (params === null || typeof params !== 'object')) {
        assertStatementInput(sql, params);
      }
      if (opts !== undefined) assertQueryOptions(opts);
      this.#breaker.beforeCall();
      if (opts?.offload === true) {
        if (!kind.readonly) throw offloadWriteError(sql);
        return this.#offloadLane().submit(
          op,
          sql,
          params,
          opts.timeoutMs ?? this.#opts.queryTimeout,
        );
      }
      reached = true; // from here on, failures are reported by the path that ran the statement
      if (kind.readonly && this.#readers.max > 0) {
        const value = this.#snapshots.tryRead(op, sql, params, opts);
        if (value !== SnapshotReader.WAIT) return Promise.resolve(value);
        return readSlow(this.#parts, op, sql, params, opts, 0, Date.now());
      }
      if (this.#lane === undefined) throw readonlyError(this.filename);
      return this.#lane.submit(op, sql, params, opts?.timeoutMs ?? this.#opts.queryTimeout);
    } catch (err) {
      if (isBusyError(err)) return readSlow(this.#parts, op, sql, params, opts, 1, Date.now(), err);
      const failure = err instanceof HiveDbError ? err : fromSqliteError(err);
      if (!reached) reportRefused(this.#ctx, op, sql, params, failure);
      return Promise.reject(failure);
    }
  }

  /**
   * The offload lane, started by the first offloaded statement: its workers take their
   * connections from the readers' share of `maxConnections` from then on.
   */
  #offloadLane(): OffloadLane {
    if (this.#offload !== undefined) return this.#offload;
    const n = this.#offloadSlots;
    if (n === 0) throw noOffloadError(this.filename, this.#opts.maxConnections);
    this.#readers.lower(this.#readers.max - n, 'offload');
    this.#offload = new OffloadLane(this.#ctx, n);
    return this.#offload;
  }

  transaction<T>(fn: (tx: Transaction) => T | Promise<T>, opts?: TransactionOptions): Promise<T> {
    return runTransaction(this.#ctx, fn, (firstAt, attempt) =>
      this.#beginWrite(opts, firstAt, attempt),
    );
  }

  begin(opts?: TransactionOptions): Promise<TransactionHandle> {
    return this.#beginWrite(opts, Date.now(), 1);
  }

  /** Takes the writer and begins a transaction on it (see `beginWrite`). */
  async #beginWrite(
    opts: TransactionOptions | undefined,
    firstAt: number,
    attempt: number,
  ): Promise<WriteTransaction> {
    this.#assertOpen();
    return beginWrite(this.#parts, opts, firstAt, attempt);
  }

  readNow<T>(fn: (db: SyncQueryable) => T): T {
    return readNow(this.#parts, fn);
  }

  read<T>(fn: (tx: SyncQueryable) => T | Promise<T>, opts?: AcquireOptions): Promise<T> {
    return readInLease(this, fn, opts);
  }

  async acquire(opts?: AcquireOptions): Promise<Lease> {
    this.#assertOpen();
    return acquireLease(this.#parts, opts);
  }

  withConnection<T>(fn: (lease: Lease) => T | Promise<T>, opts?: AcquireOptions): Promise<T> {
    return withLease(this, fn, opts);
  }

  stats(): PoolStats {
    return poolStats({
      filename: this.filename,
      closed: this.#closed,
      opts: this.#opts,
      counters: this.#counters,
      breaker: this.#breaker,
      readers: this.#readers,
      writer: this.#writer,
      lane: this.#lane,
      offload: this.#offload,
      cache: this.#cache,
      wal: this.#wal,
    });
  }

  async checkHealth(): Promise<HealthReport> {
    this.#assertOpen();
    return runHealthCheck({
      ctx: this.#ctx,
      readers: this.#readers,
      lane: this.#lane,
      offload: () => this.#offload,
      writer: () => (this.#writer !== undefined && !this.#writer.closed ? this.#writer : undefined),
      snapshotOpen: () => this.#snapshots.open,
      total: () => openConnections(this.#readers, this.#writer, this.#offload),
      leased: () => this.stats().leased,
    });
  }

  checkpoint(opts?: CheckpointOptions): Promise<CheckpointResult> {
    this.#assertOpen();
    return checkpointNow(this.#ctx, this.#lane, opts);
  }

  close(opts?: CloseOptions): Promise<void> {
    this.#closing ??= this.#close(opts?.timeoutMs ?? 5000);
    return this.#closing;
  }

  async #close(timeoutMs: number): Promise<void> {
    if (this.#healthTimer !== undefined) clearInterval(this.#healthTimer);
    // New calls fail from here on; work already queued or leased gets up to timeoutMs to finish.
    this.#closed = true;
    try {
      await drainAndClose(this.#parts, timeoutMs);
    } finally {
      // The last statements' batch, then the timing clock is let go.
      this.#ctx.meter.close();
      await this.#wal?.close();
    }
  }

  #assertOpen(): void {
    if (this.#closed) throw closedError(this.filename);
  }
}
