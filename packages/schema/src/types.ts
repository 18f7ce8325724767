/** A migration of a folder, as the status and results name it. */
export interface MigrationInfo {
  /** drizzle-kit's tag (`0000_shared_memory`). */
  readonly tag: string;
  /** Position in the journal, from 0. */
  readonly index: number;
  /** The journal's `when`: the migration's identity in `__drizzle_migrations.created_at`. */
  readonly when: number;
  /** sha256 of the migration's SQL file as it is now. */
  readonly hash: string;
}

/** A migration not yet applied. */
export interface PendingMigration extends MigrationInfo {
  /** A later migration is already applied (merged out of order): it will be applied all the same. */
  readonly outOfOrder: boolean;
}

/** An applied migration whose SQL file changed since: the runner refuses to run until it is resolved. */
export interface DriftedMigration extends MigrationInfo {
  /** The hash recorded when it was applied. */
  readonly recordedHash: string;
}

/** A row of `__drizzle_migrations` that no migration file matches (applied by a newer release?). */
export interface UnknownMigration {
  readonly hash: string;
  readonly createdAt: number;
}

/** Where a database stands against a migrations folder. */
export interface MigrationStatus {
  /** The database file. */
  readonly filename: string;
  /** The migrations folder compared with. */
  readonly migrationsFolder: string;
  /** Applied migrations, in journal order. */
  readonly applied: readonly MigrationInfo[];
  /** Migrations not applied, in journal order. */
  readonly pending: readonly PendingMigration[];
  /** Applied migrations whose file changed. */
  readonly drifted: readonly DriftedMigration[];
  /** Recorded migrations with no file. */
  readonly unknown: readonly UnknownMigration[];
  /** The database is in the seed's original layout (its tables but no migrations record): `migrate()` adopts it. */
  readonly seedLayout: boolean;
  /** The newest applied migration's tag in journal order, or `null`. */
  readonly current: string | null;
  /** The folder's newest migration's tag, or `null` for an empty folder. */
  readonly head: string | null;
  /** Nothing pending, drifted, unknown or to adopt. */
  readonly upToDate: boolean;
}

/** What `migrate()` did. */
export interface MigrateResult {
  readonly filename: string;
  /** Tags applied by this run, in order. */
  readonly applied: readonly string[];
  /** The database was in the seed's original layout and was rebuilt into the first migration's tables, every row kept. */
  readonly adopted: boolean;
  /** Rows copied per table during adoption. */
  readonly adoptedRows: Readonly<Record<string, number>>;
  /** Path of the online backup taken before the run, or `null` (none needed, or `backup: false`). */
  readonly backup: string | null;
  /** `auto_vacuum=INCREMENTAL` was switched on because the database was new. */
  readonly autoVacuumEnabled: boolean;
  readonly durationMs: number;
}

/** What `rollback()` did. */
export interface RollbackResult {
  readonly filename: string;
  /** Tags reverted by this run, newest first. */
  readonly rolledBack: readonly string[];
  readonly backup: string | null;
  readonly durationMs: number;
}

/** A difference between the live schema and the Drizzle definitions. */
export interface SchemaIssue {
  readonly kind:
    | 'missing-table'
    | 'extra-table'
    | 'missing-column'
    | 'extra-column'
    | 'column-mismatch'
    | 'primary-key-mismatch'
    | 'missing-index'
    | 'extra-index'
    | 'index-mismatch'
    | 'missing-check'
    | 'extra-check'
    | 'check-mismatch'
    | 'foreign-key-mismatch';
  readonly table: string;
  /** The column, index or constraint concerned, when the issue is about one. */
  readonly name?: string;
  /** What the definitions say, and what the database has (normalised), when both exist. */
  readonly expected?: unknown;
  readonly actual?: unknown;
  /** One line for humans. */
  readonly message: string;
}

/** A row whose parent row does not exist, as `PRAGMA foreign_key_check` reports it. */
export interface ForeignKeyViolation {
  readonly table: string;
  readonly rowid: number | null;
  readonly parent: string;
  readonly fkid: number;
}

/** What `validateIntegrity()` found. `ok` only when every list is empty. */
export interface IntegrityReport {
  readonly filename: string;
  readonly ok: boolean;
  /** `quick_check` was run instead of `integrity_check`. */
  readonly quick: boolean;
  /** The lines of `integrity_check` / `quick_check` other than `ok`, or the error that stopped it (a corrupt file can throw). */
  readonly integrity: readonly string[];
  readonly foreignKeys: readonly ForeignKeyViolation[];
  /** Differences from the definitions; `null` when no definitions were given. */
  readonly schema: readonly SchemaIssue[] | null;
  /** Checks that could not run, with SQLite's code (`SQLITE_CORRUPT`, `SQLITE_NOTADB`). */
  readonly errors: readonly {
    readonly check: string;
    readonly message: string;
    readonly sqliteCode?: string;
  }[];
  readonly checkedAt: number;
  readonly durationMs: number;
}

/** Sizes of a database's files, in bytes. */
export interface FileSizes {
  /** The main file on disk. */
  readonly database: number;
  /** The `-wal` file on disk (0 when there is none). */
  readonly wal: number;
  /** `database + wal`. */
  readonly total: number;
  /** `page_count × page_size`: the database's logical size, WAL included. */
  readonly pages: number;
  /** Pages on the freelist (space a vacuum can give back). */
  readonly freePages: number;
}

/** What `optimize()` did and how much it saved. */
export interface OptimizeReport {
  readonly filename: string;
  readonly before: FileSizes;
  readonly after: FileSizes;
  /** `before.total - after.total` (negative when the files grew, e.g. `ANALYZE` on a tiny database). */
  readonly bytesFreed: number;
  readonly analyzed: boolean;
  /** The vacuum that ran, or `false`. `'incremental'` is skipped (reported `false`) when `auto_vacuum` is not INCREMENTAL. */
  readonly vacuumed: 'full' | 'incremental' | false;
  /** `auto_vacuum` after the run: `'none'`, `'full'` or `'incremental'`. */
  readonly autoVacuum: 'none' | 'full' | 'incremental';
  /** The result of `wal_checkpoint(TRUNCATE)`, or `null` when not asked (or not in WAL mode). */
  readonly checkpoint: {
    readonly busy: boolean;
    readonly walFrames: number;
    readonly checkpointedFrames: number;
  } | null;
  readonly durationMs: number;
}

/**
 * What is wrong with a database file, as `inspectDatabase()` reports it:
 * - `missing`: no file at the path; `not-a-file`: a folder or another non-file;
 * - `empty-file`: zero bytes (SQLite would take it for an empty database);
 * - `not-sqlite`: no SQLite header; `unreadable`: SQLite could not open or read it;
 * - `integrity`: `integrity_check` / `quick_check` or `foreign_key_check` found damage;
 * - `no-schema`: a SQLite file with no tables at all;
 * - `no-migration-record`: tables, but no record of hivedb's migrations (another program's
 *   file, or the seed's original layout, which a read-write open adopts);
 * - `drifted-migration`: a recorded migration whose file changed since;
 * - `unknown-migration`: a recorded migration this version has no file for (a newer hivedb, or
 *   the other database's file copied over this one);
 * - `schema-mismatch`: the tables differ from what the applied migrations create.
 */
export type InspectionProblemCode =
  | 'missing'
  | 'not-a-file'
  | 'empty-file'
  | 'not-sqlite'
  | 'unreadable'
  | 'integrity'
  | 'no-schema'
  | 'no-migration-record'
  | 'drifted-migration'
  | 'unknown-migration'
  | 'schema-mismatch';

/** One thing wrong with a database file. */
export interface InspectionProblem {
  readonly code: InspectionProblemCode;
  /** One line for humans, saying what is wrong. */
  readonly message: string;
}

/** What `inspectDatabase()` found. `ok` only when `problems` is empty. */
export interface InspectionReport {
  /** The file's absolute path. */
  readonly filename: string;
  readonly database: 'memory' | 'hive';
  readonly ok: boolean;
  readonly problems: readonly InspectionProblem[];
  /** Size of the file in bytes (`null` when there is none). */
  readonly bytes: number | null;
  /**
   * Where its migrations stand (`null` when it could not be read as a database). Pending
   * migrations are not a problem: a read-write open applies them (`migrations.upToDate`).
   */
  readonly migrations: MigrationStatus | null;
  readonly durationMs: number;
}
