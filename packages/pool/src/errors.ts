/**
 * Every error code hivedb's pool throws. Callers branch on `err.code`, which keeps working when
 * two copies of a package are installed (an `instanceof` check would not).
 */
export type PoolErrorCode =
  | 'POOL_INVALID_OPTION'
  | 'POOL_UNSAFE_PATH'
  | 'POOL_OPEN_FAILED'
  | 'POOL_CLOSED'
  | 'POOL_ACQUIRE_TIMEOUT'
  | 'POOL_TRANSACTION_TIMEOUT'
  | 'POOL_TRANSACTION_CLOSED'
  | 'POOL_QUERY_TIMEOUT'
  | 'POOL_CIRCUIT_OPEN'
  | 'POOL_BUSY'
  | 'POOL_SQLITE_ERROR'
  | 'POOL_LEASE_RELEASED'
  | 'POOL_TRANSACTION_CONTROL'
  | 'POOL_READONLY'
  | 'POOL_INVALID_ARGUMENT'
  | 'POOL_WORKER_CRASHED'
  | 'POOL_UNKNOWN';

/** Options of the `HiveDbError` constructor. */
export interface HiveDbErrorOptions {
  /** The error this one was caused by; always passed on. */
  readonly cause?: unknown;
  /** SQLite's own extended result code (`SQLITE_BUSY`, `SQLITE_CONSTRAINT_UNIQUE`, …) when SQLite raised it. */
  readonly sqliteCode?: string;
  /** Anything else a caller may need to act on (the current version of a conflicting entry, …). */
  readonly details?: Readonly<Record<string, unknown>>;
}

/**
 * The base of every error hivedb's packages throw across a package boundary.
 *
 * @example
 * try { await pool.acquire({ timeoutMs: 100 }); }
 * catch (err) { if (err instanceof Error && (err as HiveDbError).code === 'POOL_ACQUIRE_TIMEOUT') … }
 */
export class HiveDbError extends Error {
  /** A stable code: `POOL_…`, `SCHEMA_…`, `STORE_…`, `MONITOR_…`. */
  readonly code: string;
  /** SQLite's own extended result code, when the error came from SQLite. */
  readonly sqliteCode: string | undefined;
  /** Structured details for the caller. */
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(code: string, message: string, options: HiveDbErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'HiveDbError';
    this.code = code;
    this.sqliteCode = options.sqliteCode;
    this.details = options.details;
  }
}

/** Whether `err` is a `HiveDbError` (by shape, so that it works across package copies). */
export function isHiveDbError(err: unknown): err is HiveDbError {
  return (
    err instanceof Error &&
    typeof (err as { code?: unknown }).code === 'string' &&
    err.name === 'HiveDbError'
  );
}

/** SQLite's extended result code of an error better-sqlite3 raised, if it is one. */
export function sqliteCodeOf(err: unknown): string | undefined {
  if (err instanceof Error && err.name === 'SqliteError') {
    const code = (err as { code?: unknown }).code;
    return typeof code === 'string' ? code : undefined;
  }
  if (isHiveDbError(err)) return err.sqliteCode;
  return undefined;
}

/** Wraps an error from SQLite so that it carries a stable code, SQLite's own code and its cause. */
export function fromSqliteError(err: unknown, context?: string): HiveDbError {
  if (isHiveDbError(err)) return err;
  const sqliteCode = sqliteCodeOf(err);
  const message = err instanceof Error ? err.message : String(err);
  return new HiveDbError(
    'POOL_SQLITE_ERROR',
    context ? `${context}: ${message}` : message,
    sqliteCode === undefined ? { cause: err } : { cause: err, sqliteCode },
  );
}

const BUSY_CODES = new Set([
  'SQLITE_BUSY',
  'SQLITE_BUSY_SNAPSHOT',
  'SQLITE_BUSY_RECOVERY',
  'SQLITE_BUSY_TIMEOUT',
  'SQLITE_LOCKED',
  'SQLITE_LOCKED_SHAREDCACHE',
]);

/** Whether an error means "another connection holds the lock": worth retrying the whole unit of work. */
export function isBusyError(err: unknown): boolean {
  const code = sqliteCodeOf(err);
  return code !== undefined && BUSY_CODES.has(code);
}

const UNWELL_PREFIXES = [
  'SQLITE_CANTOPEN',
  'SQLITE_IOERR',
  'SQLITE_CORRUPT',
  'SQLITE_NOTADB',
  'SQLITE_FULL',
  'SQLITE_READONLY',
  'SQLITE_PERM',
  'SQLITE_NOLFS',
  'SQLITE_PROTOCOL',
];

/**
 * Whether an error means the database itself is unwell (cannot open, I/O error, corrupt, disk
 * full, read-only), as opposed to a caller's mistake (syntax error, constraint violation).
 * Only these count towards opening the circuit breaker.
 */
export function isUnwellError(err: unknown): boolean {
  if (isHiveDbError(err) && err.code === 'POOL_OPEN_FAILED') return true;
  const code = sqliteCodeOf(err);
  return code !== undefined && UNWELL_PREFIXES.some((p) => code === p || code.startsWith(`${p}_`));
}

/** How an error is described on the bus: stable code, SQLite's code, message. */
export function errorInfo(err: unknown): { code: string; sqliteCode?: string; message: string } {
  const sqliteCode = sqliteCodeOf(err);
  const code =
    err instanceof HiveDbError
      ? err.code
      : sqliteCode !== undefined
        ? 'POOL_SQLITE_ERROR'
        : 'ERROR';
  const message = err instanceof Error ? err.message : String(err);
  return sqliteCode === undefined ? { code, message } : { code, sqliteCode, message };
}
