import { HiveDbError, type HiveDbErrorOptions } from '@hivedb/pool';

/**
 * Every error code `@hivedb/store` throws. Callers branch on `err.code`; an error that came from
 * the pool or from SQLite keeps its own code (`POOL_BUSY`, `sqliteCode: 'SQLITE_FULL'`, …).
 */
export type StoreErrorCode =
  /** A constructor option had an unknown key or a bad value. */
  | 'STORE_INVALID_OPTION'
  /** A call's argument or option had a bad value (a TTL of -1, `version` with `ifAbsent`, …). */
  | 'STORE_INVALID_ARGUMENT'
  /** A key was not a non-empty, well-formed string within `maxKeyLength`. */
  | 'STORE_INVALID_KEY'
  /** A namespace was not a non-empty, well-formed string within `maxNamespaceLength`. */
  | 'STORE_INVALID_NAMESPACE'
  /** A value (or metadata) that JSON cannot represent faithfully; the message says why and where. */
  | 'STORE_INVALID_VALUE'
  /** A value plus its metadata is larger than `maxValueSize` bytes as JSON. */
  | 'STORE_VALUE_TOO_LARGE'
  /** A compare-and-set found another version (or an entry where `ifAbsent` wanted none). */
  | 'STORE_VERSION_CONFLICT'
  /** A blind write or delete of a `locked` entry: it needs `version`, `atomic()` or a batch check. */
  | 'STORE_LOCKED'
  /** `increment()` met an entry whose value is not an integer (or would leave the safe range). */
  | 'STORE_NOT_A_NUMBER'
  /** A `list()` cursor that this store did not make for that namespace and direction. */
  | 'STORE_INVALID_CURSOR'
  /** The store was not opened yet (`await store.init()`), or opening it failed. */
  | 'STORE_NOT_READY'
  /** Opening failed: a pool could not open its file, or a migration failed. */
  | 'STORE_OPEN_FAILED'
  /** `shutdown()` was called: every later call fails with this. */
  | 'STORE_CLOSED'
  /** A feature the seed names that this version does not provide yet. */
  | 'STORE_NOT_SUPPORTED'
  /** `acquireLock()` (or a `lock: true` write) met another agent's live lock; details: holder, expiresAt. */
  | 'STORE_LOCK_HELD'
  /** `acquireLock()` with a positive `wait` kept meeting another agent's live lock until `wait` ran out. */
  | 'STORE_LOCK_TIMEOUT'
  /** `renewLock()` (or a `lock: true` write) by an agent that does not hold the key's live lock. */
  | 'STORE_LOCK_NOT_HELD'
  /** A write's `fencingToken` is older than the newest issued for the key; details: token, newest. Nothing written. */
  | 'STORE_STALE_TOKEN'
  /** A subscription's `since` (or a subscriber that fell behind) is older than the pruned change log: changes were missed. */
  | 'STORE_CHANGES_PRUNED'
  /** `backup()` could not write its copy (destination exists, folder missing, I/O error); nothing was left at the path. */
  | 'STORE_BACKUP_FAILED'
  /** `restore()` refused a file (`details.reason`: not-found, not-sqlite, integrity, schema, page-size); the live database is unchanged. */
  | 'STORE_RESTORE_REFUSED'
  /** `import()` met a bad record (`details.line`, `details.reason`); nothing was imported. */
  | 'STORE_IMPORT_INVALID'
  /** A method that writes, on a store opened with `readonly: true`; nothing was written. */
  | 'STORE_READONLY'
  /** A `readonly` store found no `memory.db` to open (`details.path`); nothing was created. */
  | 'STORE_NO_DATABASE'
  /**
   * A `readonly` store found a `memory.db` that is not at this version's migrations (empty, not a
   * database, no or an unknown or drifted migration record, pending migrations, other tables):
   * `details.problems` (`[{ code, message }]`, `@hivedb/schema`'s `inspectDatabase`). Nothing was migrated.
   */
  | 'STORE_SCHEMA_MISMATCH';

/**
 * The error `@hivedb/store` throws: a `HiveDbError` (so `name === 'HiveDbError'` and
 * `isHiveDbError` from `@hivedb/pool` recognise it) whose `code` is a `StoreErrorCode`.
 *
 * @example
 * try { await store.set('plan', next, { version: 3 }); }
 * catch (err) { if ((err as StoreError).code === 'STORE_VERSION_CONFLICT') console.log(err.details); }
 */
export class StoreError extends HiveDbError {
  declare readonly code: StoreErrorCode;

  constructor(code: StoreErrorCode, message: string, options: HiveDbErrorOptions = {}) {
    super(code, message, options);
  }
}

/** A short, safe description of a value for an error message. */
export function describe(value: unknown): string {
  if (typeof value === 'string')
    return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'symbol') return 'a symbol';
  if (typeof value === 'bigint') return `${value}n`;
  try {
    const s = JSON.stringify(value);
    if (s === undefined) return String(value);
    return s.length > 80 ? `${s.slice(0, 80)}…` : s;
  } catch {
    return Object.prototype.toString.call(value);
  }
}

/** A `STORE_INVALID_ARGUMENT` naming the argument and the value. */
export function invalidArgument(name: string, value: unknown, expected: string): StoreError {
  return new StoreError(
    'STORE_INVALID_ARGUMENT',
    `invalid ${name}: ${describe(value)} (expected ${expected})`,
    { details: { argument: name } },
  );
}

/** A `STORE_…` error answers the caller (bad input, a lost compare-and-set); anything else is a fault. */
export function isStoreOutcome(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('STORE_');
}

/** The same error, said of entry `index` of a call that takes many (`setBulk`, a batch). */
export function atIndex(err: unknown, what: string, index: number): unknown {
  if (!(err instanceof StoreError)) return err;
  return new StoreError(err.code, `${what} ${index}: ${err.message}`, {
    cause: err,
    details: { ...err.details, index },
  });
}
