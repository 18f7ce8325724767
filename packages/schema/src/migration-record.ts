import type { SyncQueryable } from '@hivedb/pool';

/** drizzle-orm's own name for its record of applied migrations; drizzle tooling reads it. */
export const MIGRATIONS_TABLE = '__drizzle_migrations';

/** One row of `__drizzle_migrations`. */
export interface RecordedMigration {
  /** sha256 of the migration's SQL file when it was applied. */
  readonly hash: string;
  /** The journal's `when` of the migration (drizzle's `created_at`). */
  readonly createdAt: number;
}

/**
 * The record of applied migrations, kept in drizzle-orm's `__drizzle_migrations` table with
 * drizzle's own DDL, so that drizzle tooling still recognises the database. Unlike drizzle's
 * migrator, which reads only the newest `created_at`, every row here is an identity.
 */
export const migrationRecord = Object.freeze({
  /** Whether the table exists. */
  exists(db: SyncQueryable): boolean {
    return (
      db.get("SELECT 1 AS found FROM sqlite_master WHERE type = 'table' AND name = ?", [
        MIGRATIONS_TABLE,
      ]) !== undefined
    );
  },

  /** Creates the table as drizzle-orm's migrator does. */
  ensure(db: SyncQueryable): void {
    db.exec(
      `CREATE TABLE IF NOT EXISTS "${MIGRATIONS_TABLE}" (id SERIAL PRIMARY KEY, hash text NOT NULL, created_at numeric)`,
    );
  },

  /** Every recorded migration (none when the table does not exist). */
  list(db: SyncQueryable): RecordedMigration[] {
    if (!migrationRecord.exists(db)) return [];
    return db
      .all<{ hash: string; created_at: number | string | null }>(
        `SELECT hash, created_at FROM "${MIGRATIONS_TABLE}" ORDER BY created_at, rowid`,
      )
      .map((r) => ({ hash: r.hash, createdAt: Number(r.created_at) }));
  },

  /** Whether the migration with this journal time is recorded. */
  has(db: SyncQueryable, createdAt: number): boolean {
    return (
      db.get(`SELECT 1 AS found FROM "${MIGRATIONS_TABLE}" WHERE created_at = ?`, [createdAt]) !==
      undefined
    );
  },

  /** Records a migration as applied. */
  add(db: SyncQueryable, hash: string, createdAt: number): void {
    db.run(`INSERT INTO "${MIGRATIONS_TABLE}" ("hash", "created_at") VALUES (?, ?)`, [
      hash,
      createdAt,
    ]);
  },

  /** Removes a migration's row (after its down file ran). */
  remove(db: SyncQueryable, createdAt: number): void {
    db.run(`DELETE FROM "${MIGRATIONS_TABLE}" WHERE created_at = ?`, [createdAt]);
  },
});
