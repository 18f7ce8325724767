import { type SyncQueryable, sqliteCodeOf } from '@hivedb/pool';
import { SchemaError } from './errors.js';
import { foreignKeyViolations, queryableOf, type RawDatabase } from './raw-connection.js';

// Not unref()ed: this pause is part of an awaited migration, and a process with nothing else to
// do must not exit in the middle of it.
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Runs `work` until it does not fail with `SQLITE_BUSY*` (another process holds the write lock),
 * for up to `lockTimeoutMs`: the connection's own busy_timeout waits first, then this loop
 * retries with a growing pause. Past the bound: `SCHEMA_LOCK_TIMEOUT`.
 */
export async function retryWhileBusy<T>(work: () => T, lockTimeoutMs: number): Promise<T> {
  const started = Date.now();
  for (let attempt = 0; ; attempt++) {
    try {
      return work();
    } catch (err) {
      const code = sqliteCodeOf(err);
      if (!code?.startsWith('SQLITE_BUSY')) throw err;
      if (Date.now() - started >= lockTimeoutMs) {
        throw new SchemaError(
          'SCHEMA_LOCK_TIMEOUT',
          `write lock not free after ${lockTimeoutMs} ms`,
          {
            cause: err,
            sqliteCode: code,
          },
        );
      }
      await sleep(Math.min(250, 5 * 2 ** attempt));
    }
  }
}

/** How `inWriteTransaction` runs its work. */
export interface WriteTransactionOptions {
  /** Switch `foreign_keys` off around the transaction and run `foreign_key_check` before commit. */
  readonly foreignKeysOff: boolean;
  readonly lockTimeoutMs: number;
  /** Names the work in a foreign key violation's message. */
  readonly label: string;
}

/**
 * Runs `work` in one `BEGIN IMMEDIATE` transaction on `raw`: commits when it returns, rolls back
 * whole when it throws. With `foreignKeysOff`, `foreign_keys` is switched off *before* BEGIN
 * (inside a transaction the pragma is a no-op) and restored after, and the transaction commits
 * only if `foreign_key_check` finds nothing: a table rebuild can never silently drop or orphan
 * child rows.
 */
export async function inWriteTransaction<T>(
  raw: RawDatabase,
  options: WriteTransactionOptions,
  work: (db: SyncQueryable) => T,
): Promise<T> {
  const db = queryableOf(raw);
  const enforced = Number(raw.pragma('foreign_keys', { simple: true })) === 1;
  if (options.foreignKeysOff && enforced) raw.pragma('foreign_keys = OFF');
  try {
    await retryWhileBusy(() => raw.exec('BEGIN IMMEDIATE'), options.lockTimeoutMs);
    try {
      const result = work(db);
      if (options.foreignKeysOff) {
        const violations = foreignKeyViolations(db);
        if (violations.length > 0) {
          throw new SchemaError(
            'SCHEMA_FOREIGN_KEY_VIOLATION',
            `${options.label} left ${violations.length} row(s) whose parent row is gone (first: ${violations[0]!.table} rowid ${violations[0]!.rowid} → ${violations[0]!.parent}); rolled back`,
            { details: { violations } },
          );
        }
      }
      raw.exec('COMMIT');
      return result;
    } catch (err) {
      if (raw.inTransaction) raw.exec('ROLLBACK');
      throw err;
    }
  } finally {
    if (options.foreignKeysOff && enforced) raw.pragma('foreign_keys = ON');
  }
}
