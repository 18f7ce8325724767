import type BetterSqlite3 from 'better-sqlite3';
import type { Connection } from './connection.js';
import type { PoolContext } from './context.js';
import { fromSqliteError, HiveDbError } from './errors.js';
import { assertScriptHasNoTransactionControl, execute, type Op, rowsOf } from './statement.js';
import type { BindParams, Lease, RunResult } from './types.js';

/**
 * A connection leased to a caller. Its statements run synchronously on that connection; after
 * `release()` every call throws `POOL_LEASE_RELEASED`, so a lease kept by mistake cannot touch a
 * connection that now serves someone else.
 */
export class PoolLease implements Lease {
  readonly connectionId: number;
  readonly mode: 'read' | 'write';
  readonly #conn: Connection;
  readonly #ctx: PoolContext;
  readonly #onRelease: (lease: PoolLease, conn: Connection) => void;
  readonly acquiredAt = Date.now();
  #released = false;

  constructor(
    conn: Connection,
    mode: 'read' | 'write',
    ctx: PoolContext,
    onRelease: (lease: PoolLease, conn: Connection) => void,
  ) {
    this.connectionId = conn.id;
    this.mode = mode;
    this.#conn = conn;
    this.#ctx = ctx;
    this.#onRelease = onRelease;
  }

  get raw(): BetterSqlite3.Database {
    this.#assertHeld();
    return this.#conn.db;
  }

  get released(): boolean {
    return this.#released;
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
    this.#assertHeld();
    assertScriptHasNoTransactionControl(sql);
    const meter = this.#ctx.meter;
    const stat = meter.on ? meter.start(sql, 'write') : undefined;
    try {
      this.#conn.db.exec(sql);
      if (stat !== undefined) meter.end(stat, undefined, 0, this.#conn);
    } catch (err) {
      if (stat !== undefined) meter.end(stat, undefined, 0, this.#conn, err);
      this.#ctx.breaker.failure(err);
      throw fromSqliteError(err);
    } finally {
      if (this.mode === 'write' && !this.#conn.db.inTransaction) this.#ctx.onLocalCommit();
    }
  }

  release(): void {
    if (this.#released) return;
    this.#released = true;
    this.#onRelease(this, this.#conn);
  }

  #assertHeld(): void {
    if (this.#released) {
      throw new HiveDbError(
        'POOL_LEASE_RELEASED',
        `connection ${this.connectionId} was already released by this lease`,
      );
    }
  }

  #run(op: Op, sql: string, params: BindParams | undefined): unknown {
    this.#assertHeld();
    const meter = this.#ctx.meter;
    const stat = meter.on ? meter.start(sql, op === 'run' ? 'write' : 'read') : undefined;
    this.#ctx.counters.queries++;
    try {
      const result = execute(this.#conn, op, sql, params, this.#ctx.opts.queryTimeout);
      if (stat !== undefined) meter.end(stat, params, rowsOf(op, result), this.#conn);
      if (op === 'run' && this.mode === 'write' && !this.#conn.db.inTransaction)
        this.#ctx.onLocalCommit();
      return result;
    } catch (err) {
      this.#ctx.counters.errors++;
      if (stat !== undefined) meter.end(stat, params, 0, this.#conn, err);
      this.#ctx.breaker.failure(err);
      throw fromSqliteError(err);
    }
  }
}
