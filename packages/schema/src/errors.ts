import { HiveDbError, type HiveDbErrorOptions } from '@hivedb/pool';

/**
 * Every error code `@hivedb/schema` throws. Callers branch on `err.code`; errors that SQLite
 * raised keep SQLite's own code on `err.sqliteCode` and the original error on `err.cause`.
 */
export type SchemaErrorCode =
  /** An option had an unknown key or a bad value. */
  | 'SCHEMA_INVALID_OPTION'
  /** A migrations folder is missing, or its journal or files are malformed. */
  | 'SCHEMA_INVALID_MIGRATIONS'
  /** A recorded migration's file changed since it was applied, or the record names a migration no file has. */
  | 'SCHEMA_DRIFT'
  /** A migration (or a down file) failed; its transaction was rolled back whole. */
  | 'SCHEMA_MIGRATION_FAILED'
  /** A migration run with foreign keys off left rows whose parent is gone; it was rolled back. */
  | 'SCHEMA_FOREIGN_KEY_VIOLATION'
  /** `to` names no migration of the folder. */
  | 'SCHEMA_UNKNOWN_TARGET'
  /** A migration to roll back has no down file beside it. */
  | 'SCHEMA_MISSING_DOWN'
  /** A database in the seed's original layout could not be adopted; nothing was changed. */
  | 'SCHEMA_ADOPTION_FAILED'
  /** The online backup taken before migrating failed; nothing was migrated. */
  | 'SCHEMA_BACKUP_FAILED'
  /** Another process held the write lock for longer than `lockTimeoutMs`. */
  | 'SCHEMA_LOCK_TIMEOUT';

/**
 * The error `@hivedb/schema` throws: a `HiveDbError` (so `name === 'HiveDbError'` and
 * `isHiveDbError` from `@hivedb/pool` recognise it) whose `code` is a `SchemaErrorCode`.
 *
 * @example
 * try { await migrator.migrate(); }
 * catch (err) { if ((err as HiveDbError).code === 'SCHEMA_DRIFT') console.error(err.details); }
 */
export class SchemaError extends HiveDbError {
  declare readonly code: SchemaErrorCode;

  constructor(code: SchemaErrorCode, message: string, options: HiveDbErrorOptions = {}) {
    super(code, message, options);
  }
}
