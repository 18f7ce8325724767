import type { Connection } from './connection.js';
import type { PoolContext } from './context.js';
import { fromSqliteError, HiveDbError } from './errors.js';
import { isInterruptError, toQueryTimeout } from './interrupt.js';
import type { QueryMeter } from './query-meter.js';
import type { StatementSlot } from './statement-cache.js';
import {
  assertNotTransactionControl,
  assertScriptHasNoTransactionControl,
  executeSlot,
  runPlain,
  type Op,
  rowsOf,
} from './statement.js';
import type {
  BindParams,
  RunResult,
  Transaction,
  TransactionHandle,
  TransactionMode,
} from './types.js';

type State = 'active' | 'committed' | 'rolled-back' | 'timed-out';

/**
 * Inside one synchronous stretch of a transaction (no await between statements, so no timer can
 * run) the clock is read once every this many statements to decide whether to re-arm.
 */
const CLOCK_STRIDE = 32;

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return (
    v !== null &&
    (typeof v === 'object' || typeof v === 'function') &&
    typeof (v as { then?: unknown }).then === 'function'
  );
}

/**
 * A write transaction on the writer connection. Every call first checks that the transaction is
 * still active: after a commit, a rollback or a timeout the writer belongs to other work, and a
 * late call through this handle must never touch it.
 */
export class WriteTransaction implements TransactionHandle {
  readonly id: number;
  readonly mode: TransactionMode;
  readonly #conn: Connection;
  readonly #ctx: PoolContext;
  readonly #onEnd: (outcome: 'commit' | 'rollback' | 'timeout') => void;
  readonly #startedAt: number;
  readonly #deadline: number;
  #state: State = 'active';
  #depth = 0;
  /** The watchdog deadline armed at BEGIN (ms), or 0. */
  #armedMs = 0;
  #armedAt = 0;
  /** Re-arm when this much has passed since arming: a tenth of queryTimeout (0: never). */
  readonly #refreshMs: number;
  /** Set by the refresh timer: the next statement re-arms (an await may have outlasted a tenth). */
  #rearmDue = false;
  /** Statements left before the clock is read again inside a synchronous stretch. */
  #untilClockCheck = CLOCK_STRIDE;
  #refreshTimer: NodeJS.Timeout | undefined;
  readonly #meter: QueryMeter;
  #lastSql: string | undefined;
  #lastSlot: StatementSlot | undefined;
  #timer: NodeJS.Timeout | undefined;
  #onTimeout: ((err: HiveDbError) => void) | undefined;
  /** Retries before this attempt, reported in the `transaction` event. */
  retries = 0;

  constructor(
    conn: Connection,
    ctx: PoolContext,
    mode: TransactionMode,
    timeoutMs: number,
    onEnd: (outcome: 'commit' | 'rollback' | 'timeout') => void,
  ) {
    this.id = ctx.nextTransactionId();
    this.mode = mode;
    this.#conn = conn;
    this.#ctx = ctx;
    this.#onEnd = onEnd;
    this.#startedAt = Date.now();
    this.#deadline = timeoutMs > 0 ? this.#startedAt + timeoutMs : Number.POSITIVE_INFINITY;
    this.#refreshMs =
      conn.interrupter !== null && ctx.opts.queryTimeout > 0 ? ctx.opts.queryTimeout / 10 : 0;
    this.#meter = ctx.meter;
    const begin =
      mode === 'immediate'
        ? 'BEGIN IMMEDIATE'
        : mode === 'exclusive'
          ? 'BEGIN EXCLUSIVE'
          : 'BEGIN DEFERRED';
    conn.internal(begin).run(); // throws SQLITE_BUSY when another process holds the lock past busy_timeout
    // The watchdog is armed at BEGIN and re-armed only when a tenth of queryTimeout has passed
    // (arming per statement would cost a quarter of a small insert, and even reading the clock per
    // statement costs 3% of one): an unref'd timer marks the re-arm due for the first statement
    // after an await, and a synchronous run of statements reads the clock every CLOCK_STRIDE
    // statements. Each statement gets 0.9–1 × queryTimeout, less the time of at most
    // CLOCK_STRIDE − 1 statements before it in the same synchronous stretch, and never runs past
    // the transaction's own deadline.
    if (conn.interrupter !== null) this.#rearm(this.#startedAt);
    if (timeoutMs > 0) {
      // Not unref'd: it bounds a unit of work that a caller awaits, and is cleared when it ends.
      this.#timer = setTimeout(() => this.#expire(), timeoutMs);
    }
  }

  get active(): boolean {
    return this.#state === 'active';
  }

  /** Whether the transaction ended by timing out. */
  get timedOut(): boolean {
    return this.#state === 'timed-out';
  }

  /** Called with the timeout error when the transaction times out while its callback awaits. */
  onTimeout(fn: (err: HiveDbError) => void): void {
    this.#onTimeout = fn;
  }

  get<Row = Record<string, unknown>>(sql: string, params?: BindParams): Row | undefined {
    return this.#run('get', sql, params) as Row | undefined;
  }

  all<Row = Record<string, unknown>>(sql: string, params?: BindParams): Row[] {
    return this.#run('all', sql, params) as Row[];
  }

  run(sql: string, params?: BindParams): RunResult {
    return this.#run('run', sql, params) as RunResult;
  }

  exec(sql: string): void {
    this.#assertActive();
    assertScriptHasNoTransactionControl(sql);
    const meter = this.#meter;
    const stat = meter.on ? meter.start(sql, 'write') : undefined;
    try {
      this.#beforeStatement();
      this.#conn.db.exec(sql);
      if (!this.#conn.db.inTransaction) {
        // The script ended the transaction itself (a COMMIT or ROLLBACK inside it).
        this.#end('rolled-back', 'rollback');
        throw new HiveDbError(
          'POOL_TRANSACTION_CONTROL',
          `exec() ended transaction ${this.id} from inside; it is over`,
        );
      }
      if (stat !== undefined) meter.end(stat, undefined, 0, this.#conn, undefined, this.id);
    } catch (cause) {
      if (cause instanceof HiveDbError) throw cause;
      const err =
        this.#armedMs > 0 && isInterruptError(cause)
          ? toQueryTimeout(cause, this.#armedMs, `transaction ${this.id}`)
          : cause;
      if (stat !== undefined) meter.end(stat, undefined, 0, this.#conn, err, this.id);
      this.#ctx.breaker.failure(err);
      throw fromSqliteError(err);
    }
  }

  savepoint<T>(fn: (tx: this) => Promise<T>): Promise<T>;
  savepoint<T>(fn: (tx: this) => T): T;
  savepoint<T>(fn: (tx: this) => T | Promise<T>): T | Promise<T> {
    this.#assertActive();
    const name = `hivedb_sp_${++this.#depth}`;
    this.#conn.db.exec(`SAVEPOINT ${name}`);
    const undo = () => {
      this.#depth--;
      if (this.#state !== 'active') return;
      this.#conn.db.exec(`ROLLBACK TO ${name}`);
      this.#conn.db.exec(`RELEASE ${name}`);
    };
    const done = () => {
      this.#depth--;
      this.#assertActive();
      this.#conn.db.exec(`RELEASE ${name}`);
    };
    let out: T | Promise<T>;
    try {
      out = fn(this);
    } catch (err) {
      undo();
      throw err;
    }
    if (isThenable(out)) {
      return Promise.resolve(out).then(
        (v) => {
          done();
          return v;
        },
        (err: unknown) => {
          undo();
          throw err;
        },
      );
    }
    done();
    return out;
  }

  async commit(): Promise<void> {
    this.commitSync();
  }

  /** Commits now. A transaction past its deadline is rolled back instead, and this throws the timeout. */
  commitSync(): void {
    this.#assertActive();
    if (Date.now() >= this.#deadline) {
      this.#expire();
      this.#assertActive();
    }
    try {
      // Disarmed first: past its deadline the watchdog keeps interrupting until disarmed, and a
      // COMMIT is not runaway work.
      this.#disarm();
      this.#conn.internal('COMMIT').run();
    } catch (err) {
      this.#ctx.breaker.failure(err);
      this.#end('rolled-back', 'rollback');
      throw fromSqliteError(err, 'COMMIT failed; the transaction was rolled back');
    }
    this.#end('committed', 'commit');
  }

  async rollback(): Promise<void> {
    this.rollbackSync();
  }

  /** Rolls back if still active. Idempotent. */
  rollbackSync(): void {
    if (this.#state !== 'active') return;
    this.#end('rolled-back', 'rollback');
  }

  #end(state: State, outcome: 'commit' | 'rollback' | 'timeout'): void {
    this.#state = state;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    if (this.#refreshTimer !== undefined) clearTimeout(this.#refreshTimer);
    this.#disarm();
    if (state !== 'committed' && this.#conn.db.inTransaction) {
      try {
        this.#conn.db.exec('ROLLBACK');
      } catch (err) {
        // A failed ROLLBACK leaves the connection in doubt: the writer is replaced.
        this.#conn.broken = true;
        this.#ctx.reportError('transaction rollback', err);
      }
    }
    if (state === 'committed') this.#ctx.counters.committed++;
    else if (state === 'timed-out') this.#ctx.counters.timedOut++;
    else this.#ctx.counters.rolledBack++;
    if (this.#ctx.events.listening('transaction')) {
      this.#ctx.events.emit('transaction', {
        poolId: this.#ctx.id,
        transactionId: this.id,
        mode: this.mode,
        outcome,
        durationMs: Date.now() - this.#startedAt,
        retries: this.retries,
      });
    }
    this.#onEnd(outcome);
  }

  #expire(): void {
    if (this.#state !== 'active') return;
    this.#end('timed-out', 'timeout');
    this.#onTimeout?.(this.#timeoutError());
  }

  #timeoutError(): HiveDbError {
    return new HiveDbError(
      'POOL_TRANSACTION_TIMEOUT',
      `transaction ${this.id} exceeded its timeout of ${this.#deadline - this.#startedAt} ms and was rolled back`,
      { details: { transactionId: this.id } },
    );
  }

  #assertActive(): void {
    if (this.#state === 'active') return;
    if (this.#state === 'timed-out') throw this.#timeoutError();
    throw new HiveDbError(
      'POOL_TRANSACTION_CLOSED',
      `transaction ${this.id} is already ${this.#state}`,
    );
  }

  #rearm(now: number): void {
    const query = this.#ctx.opts.queryTimeout;
    const left = Number.isFinite(this.#deadline) ? Math.max(1, this.#deadline - now) : 0;
    const ms = query > 0 && left > 0 ? Math.min(query, left) : query > 0 ? query : left;
    if (ms <= 0) return;
    this.#conn.interrupter!.arm(ms);
    this.#armedMs = ms;
    this.#armedAt = now;
    this.#rearmDue = false;
    this.#untilClockCheck = CLOCK_STRIDE;
    if (this.#refreshMs > 0) {
      if (this.#refreshTimer === undefined) {
        this.#refreshTimer = setTimeout(() => {
          this.#rearmDue = true;
        }, this.#refreshMs);
        this.#refreshTimer.unref();
      } else this.#refreshTimer.refresh();
    }
  }

  /** Before a statement: refresh the deadline once a tenth of queryTimeout has gone by. */
  #beforeStatement(): void {
    if (this.#armedMs === 0) return;
    const now = Date.now();
    if (now - this.#armedAt > this.#refreshMs) this.#rearm(now);
    else {
      this.#rearmDue = false;
      this.#untilClockCheck = CLOCK_STRIDE;
    }
  }

  #disarm(): void {
    if (this.#armedMs === 0) return;
    this.#armedMs = 0;
    this.#conn.interrupter!.disarm();
  }

  #run(op: Op, sql: string, params: BindParams | undefined): unknown {
    if (this.#state !== 'active') this.#assertActive();
    const meter = this.#meter;
    const stat = meter.on ? meter.start(sql, op === 'run' ? 'write' : 'read') : undefined;
    this.#ctx.counters.queries++;
    try {
      if (this.#refreshMs > 0 && (this.#rearmDue || --this.#untilClockCheck <= 0))
        this.#beforeStatement();
      // A transaction usually repeats one statement: keep its slot and skip the cache lookup.
      let slot = this.#lastSlot;
      if (sql !== this.#lastSql || slot === undefined) {
        slot = this.#conn.statements.slot(sql, assertNotTransactionControl);
        this.#lastSql = sql;
        this.#lastSlot = slot;
      }
      // The common write (`run` of a statement that returns no rows) goes straight to SQLite.
      const result =
        op === 'run' && !slot.reader
          ? runPlain(slot.stmt, params)
          : executeSlot(this.#conn, slot, op, params);
      if (stat !== undefined)
        meter.end(stat, params, rowsOf(op, result), this.#conn, undefined, this.id);
      return result;
    } catch (cause) {
      const err =
        this.#armedMs > 0 && isInterruptError(cause)
          ? toQueryTimeout(cause, this.#armedMs, `transaction ${this.id}`)
          : cause;
      this.#ctx.counters.errors++;
      if (stat !== undefined) meter.end(stat, params, 0, this.#conn, err, this.id);
      this.#ctx.breaker.failure(err);
      if (this.#state === 'active' && !this.#conn.db.inTransaction) {
        // SQLite rolled the whole transaction back (an interrupted write, disk full, …).
        this.#end('rolled-back', 'rollback');
      }
      throw fromSqliteError(err);
    }
  }
}

/**
 * Runs a transaction callback: commits when it returns (or its promise resolves), rolls back and
 * re-throws its error unchanged when it throws, and settles with the timeout error as soon as the
 * transaction times out while the callback is still awaiting.
 */
export function runInTransaction<T>(
  tx: WriteTransaction,
  fn: (tx: Transaction) => T | Promise<T>,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    tx.onTimeout(reject);
    let out: T | Promise<T>;
    try {
      out = fn(tx);
    } catch (err) {
      tx.rollbackSync();
      reject(err);
      return;
    }
    if (!isThenable(out)) {
      try {
        tx.commitSync();
        resolve(out);
      } catch (err) {
        reject(err);
      }
      return;
    }
    Promise.resolve(out).then(
      (value) => {
        if (!tx.active) return; // timed out: the caller already has the timeout error
        try {
          tx.commitSync();
          resolve(value);
        } catch (err) {
          reject(err);
        }
      },
      (err: unknown) => {
        tx.rollbackSync();
        reject(err);
      },
    );
  });
}

export { isThenable };
