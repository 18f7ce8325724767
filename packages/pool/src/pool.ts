import fs from 'node:fs';
import path from 'node:path';
import { CircuitBreaker } from './circuit-breaker.js';
import type { Connection } from './connection.js';
import { type Counters, type PoolContext, paramCount } from './context.js';
import { createPoolContext, errorInfo } from './pool-context.js';
import { StatementKinds } from './statement-kinds.js';
import { fromSqliteError, HiveDbError, isBusyError, sqliteCodeOf } from './errors.js';
import { EventBus } from './event-bus.js';
import type { PoolEvents } from './events.js';
import { runHealthCheck } from './health.js';
import { PoolLease } from './lease.js';
import { type PoolOptions, type ResolvedPoolOptions, resolvePoolOptions } from './options.js';
import { resolveDatabasePath } from './path-safety.js';
import { OffloadLane } from './offload-lane.js';
import { QueryCache } from './query-cache.js';
import { ReaderSet } from './reader-set.js';
import { backoffDelay, mayRetry, sleep } from './retry.js';
import { SnapshotReader } from './snapshot-reader.js';
import { assertNotTransactionControl, assertStatementInput, type Op } from './statement.js';
import { runInTransaction, WriteTransaction } from './transaction.js';
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
} from './types.js';
import { busyGaveUp, WriterLane } from './writer-lane.js';

let nextPoolId = 1;

function assertQueryOptions(opts: QueryOptions): void {
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
  readonly #counters: Counters = {
    queries: 0,
    errors: 0,
    acquireTimeouts: 0,
    committed: 0,
    rolledBack: 0,
    timedOut: 0,
    retries: 0,
    connectionsOpened: 0,
    connectionsClosed: 0,
    snapshots: 0,
    groupCommits: 0,
    groupedWrites: 0,
    checkpoints: 0,
  };
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
  readonly #inFlight = new Set<PoolLease | WriteTransaction>();
  readonly #settled: Array<() => void> = [];
  #writer: Connection | undefined;
  #healthTimer: NodeJS.Timeout | undefined;
  #closing: Promise<void> | undefined;
  #closed = false;

  constructor(options: PoolOptions) {
    this.#opts = resolvePoolOptions(options);
    const opts = this.#opts;
    const id = nextPoolId++;
    this.filename = resolveDatabasePath(opts.filename, opts.root, opts.memory);
    if (this.filename !== ':memory:')
      fs.mkdirSync(path.dirname(this.filename), { recursive: true });
    this.#breaker = new CircuitBreaker(
      opts.circuitBreaker.failureThreshold,
      opts.circuitBreaker.resetTimeoutMs,
      opts.circuitBreaker.enabled,
      (from, to, failures, reason) => {
        if (this.events.listening('circuit')) {
          this.events.emit('circuit', {
            poolId: id,
            from,
            to,
            consecutiveFailures: failures,
            ...(reason === undefined ? {} : { reason }),
          });
        }
      },
    );
    this.#cache = opts.queryCache ? new QueryCache(opts.queryCache.maxEntries) : null;
    this.#ctx = createPoolContext({
      id,
      filename: this.filename,
      opts,
      events: this.events,
      breaker: this.#breaker,
      counters: this.#counters,
      onLocalCommit: () => {
        this.#snapshots.localCommit();
        const cache = this.#cache;
        if (cache !== null && cache.size > 0) {
          const n = cache.clear();
          if (this.events.listening('cache'))
            this.events.emit('cache', {
              poolId: id,
              type: 'invalidate',
              reason: 'write',
              entries: n,
            });
        }
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

    try {
      if (!opts.readonly) this.#writer = this.#ctx.open('writer', 'min');
      this.#readers.warm(opts.readonly ? opts.minConnections : opts.minConnections - 1, 'min');
    } catch (err) {
      this.#writer?.close();
      this.#readers.closeAll(this.#closedError());
      throw err;
    }
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

  #closedError(): HiveDbError {
    return new HiveDbError('POOL_CLOSED', `the pool for ${this.filename} is closed`);
  }

  #readonlyError(): HiveDbError {
    return new HiveDbError(
      'POOL_READONLY',
      `the pool for ${this.filename} was opened readonly: it has no writer`,
    );
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
      if (this.#closed) throw this.#closedError();
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
        if (!kind.readonly) throw this.#offloadWriteError(sql);
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
        return this.#readSlow(op, sql, params, opts, 0, Date.now());
      }
      if (this.#lane === undefined) throw this.#readonlyError();
      return this.#lane.submit(op, sql, params, opts?.timeoutMs ?? this.#opts.queryTimeout);
    } catch (err) {
      if (isBusyError(err)) return this.#readSlow(op, sql, params, opts, 1, Date.now(), err);
      const failure = err instanceof HiveDbError ? err : fromSqliteError(err);
      if (!reached) this.#refused(op, sql, params, failure);
      return Promise.reject(failure);
    }
  }

  /**
   * A call that failed before reaching a connection (it did not prepare, the circuit is open, …)
   * is still a query that failed: monitors count it in the error rate. `connectionId` is 0.
   */
  #refused(op: Op, sql: string, params: BindParams | undefined, err: HiveDbError): void {
    this.#counters.errors++;
    if (!this.events.listening('query')) return;
    this.events.emit('query', {
      poolId: this.#ctx.id,
      filename: this.filename,
      sql: typeof sql === 'string' ? sql : String(sql),
      paramCount: params !== null && typeof params === 'object' ? paramCount(params) : 0,
      durationMs: 0,
      rows: 0,
      kind: op === 'run' ? 'write' : 'read',
      cacheHit: false,
      connectionId: 0,
      error: errorInfo(err),
      transactionId: undefined,
      offloaded: false,
    });
  }

  /**
   * The offload lane, started by the first offloaded statement: its workers take their
   * connections from the readers' share of `maxConnections` from then on.
   */
  #offloadLane(): OffloadLane {
    if (this.#offload !== undefined) return this.#offload;
    const n = this.#offloadSlots;
    if (n === 0) {
      throw new HiveDbError(
        'POOL_INVALID_ARGUMENT',
        this.filename === ':memory:'
          ? 'offload: true needs a database file: a :memory: database lives on its one connection'
          : `offload: true needs an offload worker, and this pool has none (offloadWorkers 0, or maxConnections ${this.#opts.maxConnections} leaves no connection beside the writer and one reader)`,
      );
    }
    this.#readers.lower(this.#readers.max - n, 'offload');
    this.#offload = new OffloadLane(this.#ctx, n);
    return this.#offload;
  }

  #offloadWriteError(sql: string): HiveDbError {
    return new HiveDbError(
      'POOL_INVALID_ARGUMENT',
      `offload: true runs only statements that read; ${JSON.stringify(sql.trim().slice(0, 40))} writes, and writes go through the pool's one writer (call it without offload)`,
    );
  }

  /** A read that must wait: for a reader to come free, or for a lock to clear (busy retry). */
  async #readSlow(
    op: Op,
    sql: string,
    params: BindParams | undefined,
    opts: QueryOptions | undefined,
    attempt: number,
    firstAt: number,
    lastErr?: unknown,
  ): Promise<unknown> {
    for (;;) {
      if (attempt > 0) {
        if (!mayRetry(attempt, firstAt, this.#opts.retry))
          throw busyGaveUp(lastErr, attempt, Date.now() - firstAt);
        const delay = backoffDelay(attempt, this.#opts.retry);
        this.#counters.retries++;
        if (this.events.listening('retry')) {
          this.events.emit('retry', {
            poolId: this.#ctx.id,
            attempt,
            delayMs: delay,
            elapsedMs: Date.now() - firstAt,
            sqliteCode: sqliteCodeOf(lastErr) ?? 'SQLITE_BUSY',
            operation: 'read',
          });
        }
        await sleep(delay);
        this.#assertOpen();
      }
      try {
        const conn = await this.#readers.take(this.#opts.connectionTimeout);
        this.#assertOpen();
        return this.#snapshots.readOn(conn, op, sql, params, opts);
      } catch (err) {
        if (!isBusyError(err)) throw err instanceof HiveDbError ? err : fromSqliteError(err);
        lastErr = err;
        attempt++;
      }
    }
  }

  async transaction<T>(
    fn: (tx: Transaction) => T | Promise<T>,
    opts?: TransactionOptions,
  ): Promise<T> {
    const firstAt = Date.now();
    for (let attempt = 1; ; attempt++) {
      const tx = await this.#beginWrite(opts, firstAt, attempt);
      try {
        return await runInTransaction(tx, fn);
      } catch (err) {
        if (tx.timedOut || !isBusyError(err) || !mayRetry(attempt, firstAt, this.#opts.retry))
          throw err;
        this.#retryEvent(attempt, firstAt, err, 'transaction');
        await sleep(backoffDelay(attempt, this.#opts.retry));
      }
    }
  }

  begin(opts?: TransactionOptions): Promise<TransactionHandle> {
    return this.#beginWrite(opts, Date.now(), 1);
  }

  /** Takes the writer and begins a transaction on it, retrying BEGIN while another process holds the lock. */
  async #beginWrite(
    opts: TransactionOptions | undefined,
    firstAt: number,
    attempt: number,
  ): Promise<WriteTransaction> {
    this.#assertOpen();
    if (this.#lane === undefined) throw this.#readonlyError();
    const mode = opts?.mode ?? 'immediate';
    if (mode !== 'immediate' && mode !== 'exclusive' && mode !== 'deferred') {
      throw new HiveDbError(
        'POOL_INVALID_ARGUMENT',
        `transaction mode must be 'immediate', 'exclusive' or 'deferred', got ${JSON.stringify(mode)}`,
      );
    }
    const timeoutMs = opts?.timeoutMs ?? this.#opts.transactionTimeout;
    if (typeof timeoutMs !== 'number' || !Number.isFinite(timeoutMs) || timeoutMs < 0) {
      throw new HiveDbError(
        'POOL_INVALID_ARGUMENT',
        `transaction timeoutMs must be a number >= 0, got ${String(timeoutMs)}`,
      );
    }
    this.#breaker.beforeCall();
    const lane = this.#lane;
    for (; ; attempt++) {
      const conn = await lane.acquireExclusive(this.#opts.connectionTimeout);
      if (this.#closed) {
        lane.releaseExclusive();
        throw this.#closedError();
      }
      try {
        const tx = new WriteTransaction(conn, this.#ctx, mode, timeoutMs, (outcome) => {
          this.#inFlight.delete(tx);
          if (outcome === 'commit') this.#ctx.onLocalCommit();
          lane.releaseExclusive();
          this.#notifySettled();
        });
        tx.retries = attempt - 1;
        this.#inFlight.add(tx);
        this.#breaker.success(); // BEGIN went through: the database answered
        return tx;
      } catch (err) {
        lane.releaseExclusive();
        this.#breaker.failure(err);
        if (!isBusyError(err)) throw fromSqliteError(err, 'could not begin a transaction');
        if (!mayRetry(attempt, firstAt, this.#opts.retry))
          throw busyGaveUp(err, attempt, Date.now() - firstAt);
        this.#retryEvent(attempt, firstAt, err, 'transaction');
        await sleep(backoffDelay(attempt, this.#opts.retry));
      }
    }
  }

  #retryEvent(
    attempt: number,
    firstAt: number,
    err: unknown,
    operation: 'transaction' | 'write' | 'read',
  ): void {
    this.#counters.retries++;
    if (this.events.listening('retry')) {
      this.events.emit('retry', {
        poolId: this.#ctx.id,
        attempt,
        delayMs: 0,
        elapsedMs: Date.now() - firstAt,
        sqliteCode: sqliteCodeOf(err) ?? 'SQLITE_BUSY',
        operation,
      });
    }
  }

  async read<T>(fn: (tx: SyncQueryable) => T | Promise<T>, opts?: AcquireOptions): Promise<T> {
    const lease = await this.acquire({ ...opts, mode: 'read' });
    const db = lease.raw;
    db.exec('BEGIN');
    try {
      return await fn(lease);
    } finally {
      if (db.inTransaction) db.exec('COMMIT');
      lease.release();
    }
  }

  async acquire(opts?: AcquireOptions): Promise<Lease> {
    this.#assertOpen();
    const mode = opts?.mode ?? 'read';
    if (mode !== 'read' && mode !== 'write')
      throw new HiveDbError(
        'POOL_INVALID_ARGUMENT',
        `acquire mode must be 'read' or 'write', got ${JSON.stringify(mode)}`,
      );
    const timeoutMs = opts?.timeoutMs ?? this.#opts.connectionTimeout;
    this.#breaker.beforeCall();
    const started = Date.now();
    let conn: Connection;
    const viaWriter = mode === 'write' || this.#readers.max === 0;
    if (viaWriter) {
      if (this.#lane === undefined) throw this.#readonlyError();
      conn = await this.#lane.acquireExclusive(timeoutMs);
    } else {
      conn = await this.#readers.take(timeoutMs);
    }
    if (this.#closed) {
      if (viaWriter) this.#lane!.releaseExclusive();
      else this.#readers.release(conn);
      throw this.#closedError();
    }
    if (this.#breaker.state !== 'closed') {
      // This lease may be the half-open probe: prove the connection answers before handing it out.
      try {
        conn.db.prepare('SELECT count(*) FROM sqlite_schema').pluck().get();
        this.#breaker.success();
      } catch (err) {
        this.#breaker.failure(err);
        conn.broken = true;
        if (viaWriter) this.#lane!.releaseExclusive();
        else this.#readers.release(conn);
        throw fromSqliteError(err, 'the connection failed its probe');
      }
    }
    const lease = new PoolLease(conn, viaWriter ? 'write' : 'read', this.#ctx, (l, c) =>
      this.#releaseLease(l, c, viaWriter),
    );
    this.#inFlight.add(lease);
    if (this.events.listening('acquire'))
      this.events.emit('acquire', {
        poolId: this.#ctx.id,
        connectionId: conn.id,
        mode: lease.mode,
        waitMs: Date.now() - started,
      });
    this.#emitUtilization();
    return lease;
  }

  #releaseLease(lease: PoolLease, conn: Connection, viaWriter: boolean): void {
    this.#inFlight.delete(lease);
    if (conn.db.open && conn.db.inTransaction) {
      // A lease must not hand back a connection with a transaction open: the next user would be inside it.
      try {
        conn.db.exec('ROLLBACK');
      } catch {
        conn.broken = true;
      }
      this.#ctx.reportError(
        'lease release',
        new HiveDbError(
          'POOL_TRANSACTION_CLOSED',
          `connection ${conn.id} was released with a transaction open; it was rolled back`,
        ),
      );
    }
    if (this.events.listening('release'))
      this.events.emit('release', {
        poolId: this.#ctx.id,
        connectionId: conn.id,
        mode: lease.mode,
        heldMs: Date.now() - lease.acquiredAt,
      });
    if (viaWriter) {
      this.#ctx.onLocalCommit();
      this.#lane!.releaseExclusive();
    } else this.#readers.release(conn);
    this.#emitUtilization();
    this.#notifySettled();
  }

  #emitUtilization(): void {
    if (!this.events.listening('utilization')) return;
    const s = this.stats();
    this.events.emit('utilization', {
      poolId: this.#ctx.id,
      total: s.total,
      leased: s.leased,
      waiting: s.waiting,
      max: s.maxConnections,
    });
  }

  async withConnection<T>(fn: (lease: Lease) => T | Promise<T>, opts?: AcquireOptions): Promise<T> {
    const lease = await this.acquire(opts);
    try {
      return await fn(lease);
    } finally {
      lease.release();
    }
  }

  stats(): PoolStats {
    const writerOpen = this.#writer !== undefined && !this.#writer.closed;
    const writerBusy = this.#lane?.busy ?? false;
    const readersLeased = this.#readers.leased;
    const offload = this.#offload?.stats();
    const total = this.#readers.open + (writerOpen ? 1 : 0) + (this.#offload?.open ?? 0);
    const leased = readersLeased + (writerOpen && writerBusy ? 1 : 0) + (offload?.busy ?? 0);
    const c = this.#counters;
    return {
      filename: this.filename,
      closed: this.#closed,
      total,
      leased,
      idle: total - leased,
      readers: { open: this.#readers.open, leased: readersLeased, max: this.#readers.max },
      writer: { open: writerOpen, busy: writerBusy, queued: this.#lane?.queued ?? 0 },
      waiting: this.#readers.waiting,
      maxConnections: this.#opts.maxConnections,
      minConnections: this.#opts.minConnections,
      circuit: this.#breaker.state,
      offload: offload ?? {
        max: 0,
        workers: 0,
        busy: 0,
        inFlight: 0,
        queued: 0,
        requests: 0,
        crashes: 0,
      },
      counters: {
        queries: c.queries,
        errors: c.errors,
        acquireTimeouts: c.acquireTimeouts,
        transactions: { committed: c.committed, rolledBack: c.rolledBack, timedOut: c.timedOut },
        retries: c.retries,
        connectionsOpened: c.connectionsOpened,
        connectionsClosed: c.connectionsClosed,
        snapshots: c.snapshots,
        groupCommits: c.groupCommits,
        groupedWrites: c.groupedWrites,
        checkpoints: c.checkpoints,
      },
      ...(this.#cache === null
        ? {}
        : {
            cache: {
              entries: this.#cache.size,
              hits: this.#cache.hits,
              misses: this.#cache.misses,
              invalidations: this.#cache.invalidations,
            },
          }),
    };
  }

  async checkHealth(): Promise<HealthReport> {
    this.#assertOpen();
    return runHealthCheck({
      ctx: this.#ctx,
      readers: this.#readers,
      lane: this.#lane,
      writer: () => (this.#writer !== undefined && !this.#writer.closed ? this.#writer : undefined),
      snapshotOpen: () => this.#snapshots.open,
      total: () =>
        this.#readers.open +
        (this.#writer !== undefined && !this.#writer.closed ? 1 : 0) +
        (this.#offload?.open ?? 0),
      leased: () => this.stats().leased,
    });
  }

  close(opts?: CloseOptions): Promise<void> {
    this.#closing ??= this.#close(opts?.timeoutMs ?? 5000);
    return this.#closing;
  }

  async #close(timeoutMs: number): Promise<void> {
    const started = Date.now();
    if (this.#healthTimer !== undefined) clearInterval(this.#healthTimer);
    // New calls fail from here on; work already queued or leased gets up to timeoutMs to finish.
    this.#closed = true;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
    });
    await Promise.race([this.#drained(), deadline]);
    clearTimeout(timer);
    const closed = this.#closedError();
    for (const work of this.#inFlight) {
      if (work instanceof WriteTransaction) work.rollbackSync();
      else work.release();
    }
    this.#lane?.rejectQueued(closed);
    this.#snapshots.end();
    this.#readers.closeAll(closed);
    if (this.#writer !== undefined) this.#ctx.close(this.#writer, 'close');
    this.#cache?.clear();
    // Worker threads end in a few ms; one inside a statement ends with it (at its deadline).
    await this.#offload?.close(closed, Math.max(timeoutMs - (Date.now() - started), 100));
  }

  async #drained(): Promise<void> {
    const lane = this.#lane;
    const laneBusy = () => lane !== undefined && (lane.busy || lane.queued > 0);
    const offload = this.#offload;
    const offloadBusy = () => offload !== undefined && !offload.idle;
    while (this.#inFlight.size > 0 || laneBusy() || offloadBusy()) {
      await new Promise<void>((resolve) => {
        this.#settled.push(resolve);
        if (laneBusy()) void lane!.whenIdle().then(resolve);
        if (offloadBusy()) void offload!.whenIdle().then(resolve);
      });
    }
  }

  /** A lease or transaction ended: wake `close()` if it is waiting for work in flight. */
  #notifySettled(): void {
    if (this.#settled.length > 0) for (const wake of this.#settled.splice(0)) wake();
  }

  #assertOpen(): void {
    if (this.#closed) throw this.#closedError();
  }
}
