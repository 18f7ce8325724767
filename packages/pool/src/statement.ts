import type BetterSqlite3 from 'better-sqlite3';
import type { Connection } from './connection.js';
import type { StatementSlot } from './statement-cache.js';
import { HiveDbError } from './errors.js';
import { withDeadline } from './interrupt.js';
import { statementKeywords } from './sql-script.js';
import type { BindParams, RunResult } from './types.js';

/** The three ways a statement is executed. */
export type Op = 'get' | 'all' | 'run';

// Leading white space and comments are skipped: SQLite skips them too.
const TX_CONTROL =
  /^(?:\s+|--[^\n]*(?:\n|$)|\/\*[\s\S]*?(?:\*\/|$))*(?:BEGIN|COMMIT|END|ROLLBACK|SAVEPOINT|RELEASE)\b/i;

/**
 * Refuses a script (`exec`) any of whose statements is transaction control, before it runs: a
 * COMMIT inside a transaction's script would commit work the transaction may still roll back.
 */
export function assertScriptHasNoTransactionControl(script: string): void {
  const control = statementKeywords(script).find((k) => CONTROL_KEYWORDS.has(k));
  if (control !== undefined) {
    throw new HiveDbError(
      'POOL_TRANSACTION_CONTROL',
      `the script contains a ${control} statement; transactions are managed by the pool (pool.transaction(), tx.savepoint())`,
    );
  }
}

const CONTROL_KEYWORDS = new Set(['BEGIN', 'COMMIT', 'END', 'ROLLBACK', 'SAVEPOINT', 'RELEASE']);

/** Refuses transaction control in a single statement: the pool owns BEGIN/COMMIT on its connections. */
export function assertNotTransactionControl(sql: string): void {
  if (TX_CONTROL.test(sql)) {
    throw new HiveDbError(
      'POOL_TRANSACTION_CONTROL',
      `transaction control statements are managed by the pool: use pool.transaction(), pool.begin() or tx.savepoint() instead of ${JSON.stringify(sql.trim().slice(0, 40))}`,
    );
  }
}

/** Validates `sql` and `params` before anything runs, so that a bad call never reaches a connection. */
export function assertStatementInput(sql: unknown, params: unknown): void {
  if (typeof sql !== 'string' || sql.trim().length === 0) {
    throw new HiveDbError(
      'POOL_INVALID_ARGUMENT',
      `sql must be a non-empty string, got ${typeof sql}`,
    );
  }
  if (params !== undefined && (params === null || typeof params !== 'object')) {
    throw new HiveDbError(
      'POOL_INVALID_ARGUMENT',
      `params must be an array or an object of named parameters, got ${params === null ? 'null' : typeof params}`,
    );
  }
}

type Method = 'get' | 'all' | 'run';

/** Calls `stmt.get/all/run` with the parameters spread, without a computed call on the hot path. */
function call(
  stmt: BetterSqlite3.Statement,
  method: Method,
  params: BindParams | undefined,
): unknown {
  const fn = method === 'run' ? stmt.run : method === 'get' ? stmt.get : stmt.all;
  if (params === undefined) return fn.call(stmt);
  if (!Array.isArray(params)) return fn.call(stmt, params);
  switch (params.length) {
    case 0:
      return fn.call(stmt);
    case 1:
      return fn.call(stmt, params[0]);
    case 2:
      return fn.call(stmt, params[0], params[1]);
    case 3:
      return fn.call(stmt, params[0], params[1], params[2]);
    default:
      return fn.apply(stmt, params as unknown[]);
  }
}

/**
 * `stmt.run(...params)` for a statement that returns no rows: the write path of a transaction,
 * without the op dispatch of `executeSlot`. Throws SQLite's own error.
 */
export function runPlain(stmt: BetterSqlite3.Statement, params: BindParams | undefined): RunResult {
  if (params === undefined) return stmt.run();
  if (!Array.isArray(params)) return stmt.run(params);
  switch (params.length) {
    case 0:
      return stmt.run();
    case 1:
      return stmt.run(params[0]);
    case 2:
      return stmt.run(params[0], params[1]);
    case 3:
      return stmt.run(params[0], params[1], params[2]);
    default:
      return stmt.run(...(params as unknown[]));
  }
}

function run(
  conn: Connection,
  slot: StatementSlot,
  op: Op,
  params: BindParams | undefined,
): unknown {
  const stmt = slot.stmt;
  if (op !== 'run') {
    if (!slot.reader) {
      // A statement that returns no rows asked for with get/all: run it, and return what it returns (none).
      call(stmt, 'run', params);
      return op === 'get' ? undefined : [];
    }
    return call(stmt, op, params);
  }
  if (slot.reader) {
    // `INSERT … RETURNING` and friends: better-sqlite3's run() refuses statements that return rows.
    call(stmt, 'all', params);
    const meta = conn.statements
      .get('SELECT changes() AS changes, last_insert_rowid() AS lastInsertRowid')
      .get() as RunResult;
    return { changes: meta.changes, lastInsertRowid: meta.lastInsertRowid };
  }
  return call(stmt, 'run', params);
}

/** Runs one statement on `conn` through its statement cache. Throws SQLite's own error. */
export function execute(
  conn: Connection,
  op: Op,
  sql: string,
  params: BindParams | undefined,
  timeoutMs = 0,
): unknown {
  // A caller's SQL is checked once, when its statement is first prepared on this connection.
  const slot = conn.statements.slot(sql, assertNotTransactionControl);
  return executeSlot(conn, slot, op, params, timeoutMs);
}

/** `execute` for a statement slot the caller already holds. */
export function executeSlot(
  conn: Connection,
  slot: StatementSlot,
  op: Op,
  params: BindParams | undefined,
  timeoutMs = 0,
): unknown {
  if (timeoutMs > 0 && conn.interrupter !== null) {
    // The watchdog interrupts SQLite itself at the deadline: the statement really stops. This
    // arm/disarm replaces any deadline a run of reads left armed on the connection.
    conn.armedAt = 0;
    return withDeadline(conn.interrupter, timeoutMs, () => run(conn, slot, op, params));
  }
  return run(conn, slot, op, params);
}

/** Rows a result counts for events: rows returned or rows changed. */
export function rowsOf(op: Op, result: unknown): number {
  if (op === 'all') return (result as unknown[]).length;
  if (op === 'get') return result === undefined ? 0 : 1;
  return (result as RunResult).changes;
}
