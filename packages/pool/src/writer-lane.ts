import type { Connection } from './connection.js';
import type { PoolContext } from './context.js';
import { fromSqliteError, HiveDbError, isBusyError, sqliteCodeOf } from './errors.js';
import { isInterruptError, toQueryTimeout } from './interrupt.js';
import { backoffDelay, mayRetry, sleep } from './retry.js';
import { endOpenSnapshots } from './snapshot-reader.js';
import { execute, type Op, rowsOf } from './statement.js';
import type { BindParams } from './types.js';

interface StatementJob {
  readonly kind: 'stmt';
  readonly op: Op;
  readonly sql: string;
  readonly params: BindParams | undefined;
  readonly resolve: (v: unknown) => void;
  readonly reject: (e: unknown) => void;
  readonly firstTriedAt: number;
  readonly timeoutMs: number;
  attempts: number;
}

interface ExclusiveJob {
  readonly kind: 'exclusive';
  readonly grant: (conn: Connection) => void;
  readonly fail: (err: unknown) => void;
  readonly enqueuedAt: number;
  cancelled: boolean;
}

type Job = StatementJob | ExclusiveJob;

/**
 * The single writer of this process, and the queue in front of it. Our own writers never meet as
 * SQLITE_BUSY because they never run at once: single-statement writes queue here and are drained
 * together (group commit: one BEGIN IMMEDIATE … COMMIT, each statement in its own SAVEPOINT, so
 * a failing statement fails only its own caller); transactions and write leases take the writer
 * exclusively in FIFO order. Every caller's promise settles only after its COMMIT.
 */
export class WriterLane {
  readonly #ctx: PoolContext;
  readonly #getWriter: () => Connection;
  readonly #queue: Job[] = [];
  #held = false;
  #drainScheduled = false;
  #retryPending = false;
  #idleWaiters: Array<() => void> = [];

  constructor(ctx: PoolContext, getWriter: () => Connection) {
    this.#ctx = ctx;
    this.#getWriter = getWriter;
  }

  /** Whether the writer is held (a transaction, a lease, a retry pending) right now. */
  get busy(): boolean {
    return this.#held || this.#retryPending;
  }

  get queued(): number {
    return this.#queue.length;
  }

  /** Queues one statement for the writer; settles after the COMMIT that includes it. */
  submit(op: Op, sql: string, params: BindParams | undefined, timeoutMs: number): Promise<unknown> {
    return new Promise((resolve, reject) => {
      this.#queue.push({
        kind: 'stmt',
        op,
        sql,
        params,
        resolve,
        reject,
        firstTriedAt: 0,
        timeoutMs,
        attempts: 0,
      });
      this.#scheduleDrain();
    });
  }

  /**
   * Waits for exclusive use of the writer (FIFO behind everything queued). Resolves with the
   * writer; the holder must call `releaseExclusive()` exactly once. A waiter that times out is
   * taken out of the queue at once and can never be granted the writer later.
   */
  acquireExclusive(timeoutMs: number): Promise<Connection> {
    return new Promise((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const job: ExclusiveJob = {
        kind: 'exclusive',
        enqueuedAt: Date.now(),
        cancelled: false,
        grant: (conn) => {
          if (timer !== undefined) clearTimeout(timer);
          resolve(conn);
        },
        fail: (err) => {
          if (timer !== undefined) clearTimeout(timer);
          reject(err);
        },
      };
      if (timeoutMs > 0 && Number.isFinite(timeoutMs)) {
        // Not unref'd: it bounds a wait that a caller awaits, and is cleared when the wait ends.
        timer = setTimeout(() => {
          const at = this.#queue.indexOf(job);
          if (at >= 0) this.#queue.splice(at, 1);
          job.cancelled = true;
          this.#ctx.counters.acquireTimeouts++;
          if (this.#ctx.events.listening('acquire:timeout')) {
            this.#ctx.events.emit('acquire:timeout', {
              poolId: this.#ctx.id,
              mode: 'write',
              waitedMs: Date.now() - job.enqueuedAt,
            });
          }
          reject(
            new HiveDbError(
              'POOL_ACQUIRE_TIMEOUT',
              `timed out after ${timeoutMs} ms waiting for the writer (${this.#queue.length} queued ahead or behind)`,
              { details: { mode: 'write', timeoutMs } },
            ),
          );
        }, timeoutMs);
      }
      this.#queue.push(job);
      this.#scheduleDrain();
    });
  }

  /** Returns the writer after exclusive use. */
  releaseExclusive(): void {
    this.#held = false;
    this.#ctx.utilizationChanged();
    this.#drain();
  }

  /** Resolves when nothing is queued and the writer is not held (for `close()`). */
  whenIdle(): Promise<void> {
    if (!this.busy && this.#queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /** Rejects everything still queued (the pool is closing and will not run it). */
  rejectQueued(err: HiveDbError): void {
    for (const job of this.#queue.splice(0)) {
      if (job.kind === 'stmt') job.reject(err);
      else {
        job.cancelled = true;
        job.fail(err);
      }
    }
  }

  #scheduleDrain(): void {
    if (this.#drainScheduled) return;
    this.#drainScheduled = true;
    // A microtask, not a synchronous run: writes issued in the same tick join one group.
    queueMicrotask(() => {
      this.#drainScheduled = false;
      this.#drain();
    });
  }

  #drain(): void {
    while (!this.#held && !this.#retryPending && this.#queue.length > 0) {
      // The write may wait for the lock, synchronously: no snapshot of ours may pin the WAL then.
      endOpenSnapshots();
      const head = this.#queue[0]!;
      if (head.kind === 'exclusive') {
        this.#queue.shift();
        if (head.cancelled) continue;
        this.#held = true;
        let writer: Connection;
        try {
          writer = this.#getWriter();
        } catch (err) {
          this.#held = false;
          head.fail(err);
          continue;
        }
        head.grant(writer);
        this.#ctx.utilizationChanged();
        return;
      }
      let n = 1;
      const max = this.#ctx.opts.groupCommitMax;
      while (n < this.#queue.length && n < max && this.#queue[n]!.kind === 'stmt') n++;
      const group = this.#queue.splice(0, n) as StatementJob[];
      this.#runGroup(group);
    }
    if (!this.busy && this.#queue.length === 0 && this.#idleWaiters.length > 0) {
      for (const w of this.#idleWaiters.splice(0)) w();
    }
  }

  #runGroup(group: StatementJob[]): void {
    let conn: Connection;
    try {
      conn = this.#getWriter();
    } catch (err) {
      for (const job of group) job.reject(err);
      return;
    }
    const now = Date.now();
    for (const job of group) {
      job.attempts++;
      if (job.firstTriedAt === 0) (job as { firstTriedAt: number }).firstTriedAt = now;
    }
    if (group.length === 1) this.#runSingle(conn, group[0]!);
    else this.#runMany(conn, group);
  }

  #runSingle(conn: Connection, job: StatementJob): void {
    const meter = this.#ctx.meter;
    const stat = meter.on ? meter.start(job.sql, 'write') : undefined;
    this.#ctx.counters.queries++;
    let result: unknown;
    try {
      result = execute(conn, job.op, job.sql, job.params, job.timeoutMs);
    } catch (err) {
      // A busy statement that will run again is not counted (its retry is).
      if (isBusyError(err) && this.#retryLater(conn, [job], err)) return;
      if (stat !== undefined) meter.end(stat, job.params, 0, conn, err);
      this.#fail(job, err);
      return;
    }
    conn.lastUsedAt = Date.now();
    this.#ctx.breaker.success();
    if (stat !== undefined) meter.end(stat, job.params, rowsOf(job.op, result), conn);
    if (!conn.db.inTransaction) this.#ctx.onLocalCommit();
    job.resolve(result);
  }

  /**
   * Commits a group in one transaction. First without savepoints (the common case: every
   * statement succeeds, and a SAVEPOINT/RELEASE pair would cost about a quarter of each write);
   * when a statement fails and the transaction is still open, the whole group is rolled back and
   * run again with each statement in its own SAVEPOINT, so that only the failing statement's
   * caller fails and its partial work (ON CONFLICT FAIL keeps it) is undone. Nothing is
   * acknowledged before the COMMIT, so running a statement twice is never visible.
   */
  #runMany(conn: Connection, group: StatementJob[], savepoints = false): void {
    const db = conn.db;
    const started = Date.now();
    try {
      conn.internal('BEGIN IMMEDIATE').run();
    } catch (err) {
      if (isBusyError(err) && this.#retryLater(conn, group, err)) return;
      this.#ctx.breaker.failure(err);
      const wrapped = fromSqliteError(err, 'could not begin a group commit');
      for (const job of group) job.reject(wrapped);
      return;
    }
    const results: unknown[] = new Array(group.length);
    const errors: unknown[] = new Array(group.length);
    const listening = this.#ctx.meter.on;
    const durations: number[] = listening ? new Array(group.length) : [];
    const sp = savepoints ? conn.internal('SAVEPOINT hivedb_group') : undefined;
    const release = savepoints ? conn.internal('RELEASE hivedb_group') : undefined;
    const deadline = new GroupDeadline(conn, this.#ctx.opts.queryTimeout);
    for (let i = 0; i < group.length; i++) {
      const job = group[i]!;
      const t0 = listening ? performance.now() : 0;
      sp?.run();
      try {
        results[i] = execute(conn, job.op, job.sql, job.params, deadline.before(job.timeoutMs));
        release?.run();
        if (listening) durations[i] = performance.now() - t0;
      } catch (cause) {
        const err = deadline.failed(cause);
        if (!db.inTransaction) {
          deadline.done();
          // SQLite rolled the whole transaction back (RAISE(ROLLBACK), disk full, an interrupt):
          // every other statement of the group is undone, not failed. Fail this one; queue the
          // rest again.
          if (isBusyError(err) && this.#retryLater(conn, group, err)) return;
          this.#ctx.counters.queries++;
          if (listening) this.#record(conn, job, 0, performance.now() - t0, err);
          this.#fail(job, err);
          const rest = group.filter((_, j) => j !== i);
          for (const r of rest) r.attempts--;
          this.#queue.unshift(...rest);
          return;
        }
        if (!savepoints) {
          deadline.done();
          conn.internal('ROLLBACK').run();
          this.#runMany(conn, group, true);
          return;
        }
        conn.internal('ROLLBACK TO hivedb_group').run();
        release!.run();
        errors[i] = err;
        if (listening) durations[i] = performance.now() - t0;
      }
    }
    deadline.done();
    this.#ctx.counters.queries += group.length;
    try {
      conn.internal('COMMIT').run();
    } catch (err) {
      if (db.inTransaction) db.exec('ROLLBACK');
      if (isBusyError(err) && this.#retryLater(conn, group, err)) return;
      this.#ctx.breaker.failure(err);
      const wrapped = fromSqliteError(
        err,
        'group COMMIT failed; nothing in the group was committed',
      );
      for (const job of group) job.reject(wrapped);
      return;
    }
    conn.lastUsedAt = Date.now();
    this.#ctx.counters.groupCommits++;
    this.#ctx.counters.groupedWrites += group.length;
    this.#ctx.counters.committed++;
    this.#ctx.breaker.success();
    this.#ctx.onLocalCommit();
    if (this.#ctx.events.listening('transaction')) {
      this.#ctx.events.emit('transaction', {
        poolId: this.#ctx.id,
        transactionId: this.#ctx.nextTransactionId(),
        mode: 'group',
        outcome: 'commit',
        durationMs: Date.now() - started,
        retries: Math.max(...group.map((j) => j.attempts)) - 1,
        statements: group.length,
      });
    }
    for (let i = 0; i < group.length; i++) {
      const job = group[i]!;
      if (listening) {
        const rows = errors[i] === undefined ? rowsOf(job.op, results[i]) : 0;
        this.#record(conn, job, rows, durations[i]!, errors[i]);
      }
      if (errors[i] !== undefined) {
        this.#ctx.counters.errors++;
        this.#ctx.breaker.failure(errors[i]);
        job.reject(fromSqliteError(errors[i]));
      } else job.resolve(results[i]);
    }
  }

  /** Counts a statement of a group commit, timed by the group (`query`, `query:batch`). */
  #record(conn: Connection, job: StatementJob, rows: number, ms: number, err: unknown): void {
    this.#ctx.meter.recordTimed(job.sql, 'write', job.params, ms, rows, conn.id, err);
  }

  #fail(job: StatementJob, err: unknown): void {
    this.#ctx.counters.errors++;
    this.#ctx.breaker.failure(err);
    if (isBusyError(err)) {
      job.reject(busyGaveUp(err, job.attempts, Date.now() - job.firstTriedAt));
      return;
    }
    job.reject(fromSqliteError(err));
  }

  /** Puts a group back at the head of the queue after a backoff; false when the retry budget is spent. */
  #retryLater(conn: Connection, group: StatementJob[], err: unknown): boolean {
    const first = group.reduce((a, j) => Math.min(a, j.firstTriedAt), Number.POSITIVE_INFINITY);
    const attempts = group.reduce((a, j) => Math.max(a, j.attempts), 0);
    if (!mayRetry(attempts, first, this.#ctx.opts.retry)) {
      const giveUp = busyGaveUp(err, attempts, Date.now() - first);
      this.#ctx.counters.errors += group.length;
      const listening = this.#ctx.meter.on;
      for (const job of group) {
        // Counted as failed statements (monitors' error rates), timed from their first attempt.
        if (listening) this.#record(conn, job, 0, Date.now() - job.firstTriedAt, giveUp);
        job.reject(giveUp);
      }
      return true;
    }
    const delay = backoffDelay(attempts, this.#ctx.opts.retry);
    this.#ctx.counters.retries++;
    if (this.#ctx.events.listening('retry')) {
      this.#ctx.events.emit('retry', {
        poolId: this.#ctx.id,
        attempt: attempts,
        delayMs: delay,
        elapsedMs: Date.now() - first,
        sqliteCode: sqliteCodeOf(err) ?? 'SQLITE_BUSY',
        operation: 'write',
      });
    }
    this.#retryPending = true;
    void sleep(delay).then(() => {
      this.#retryPending = false;
      this.#queue.unshift(...group);
      this.#drain();
    });
    return true;
  }
}

/** The error a caller gets when another connection kept the lock past every retry. */
export function busyGaveUp(err: unknown, attempts: number, elapsedMs: number): HiveDbError {
  const sqliteCode = sqliteCodeOf(err) ?? 'SQLITE_BUSY';
  return new HiveDbError(
    'POOL_BUSY',
    `the database stayed locked by another connection: gave up after ${attempts} attempt(s) over ${elapsedMs} ms (${sqliteCode})`,
    { cause: err, sqliteCode, details: { attempts, elapsedMs } },
  );
}

/**
 * The query deadline of a group's statements. Arming the watchdog costs two SQL calls, a
 * quarter of a grouped write, so statements that use the pool's `queryTimeout` share one
 * deadline armed for the group and re-armed once a tenth of it has passed (each statement gets
 * 0.9–1 × `queryTimeout`); a statement with its own `timeoutMs` is armed for itself.
 */
class GroupDeadline {
  readonly #conn: Connection;
  readonly #timeoutMs: number;
  #armedAt = 0;

  constructor(conn: Connection, queryTimeout: number) {
    this.#conn = conn;
    this.#timeoutMs = conn.interrupter === null ? 0 : queryTimeout;
  }

  /** Call before each statement; returns the per-statement timeout to pass to `execute` (0: armed here). */
  before(jobTimeoutMs: number): number {
    if (this.#timeoutMs <= 0 || jobTimeoutMs !== this.#timeoutMs) {
      // Its own deadline: execute() arms and disarms it, which clears the group's.
      this.#armedAt = 0;
      return jobTimeoutMs;
    }
    const now = Date.now();
    if (this.#armedAt === 0 || now - this.#armedAt > this.#timeoutMs / 10) {
      this.#conn.interrupter!.arm(this.#timeoutMs);
      this.#armedAt = now;
    }
    return 0;
  }

  /** The error to report: an interrupt from the group's deadline is a query timeout. */
  failed(cause: unknown): unknown {
    if (this.#armedAt !== 0 && isInterruptError(cause) && this.#conn.interrupter!.stats().fired) {
      return toQueryTimeout(cause, this.#timeoutMs);
    }
    return cause;
  }

  /** Disarms before COMMIT or ROLLBACK (past its deadline the watchdog keeps interrupting). */
  done(): void {
    if (this.#armedAt === 0) return;
    this.#armedAt = 0;
    this.#conn.interrupter!.disarm();
  }
}
