import fs from 'node:fs';
import nodePath from 'node:path';
import Database from 'better-sqlite3';
import type BetterSqlite3 from 'better-sqlite3';
import { HiveDbError, sqliteCodeOf } from './errors.js';
import type { ResolvedPoolOptions } from './options.js';
import { type BusyStats, type Interrupter, loadInterrupter } from './interrupt.js';
import { StatementCache } from './statement-cache.js';

/** The role a connection plays: the pool has at most one writer per file. */
export type ConnectionRole = 'writer' | 'reader';

/**
 * One better-sqlite3 connection owned by the pool, with its statement cache and the bookkeeping
 * the health checks need. Private to the package.
 */
export class Connection {
  readonly id: number;
  readonly role: ConnectionRole;
  readonly db: BetterSqlite3.Database;
  readonly statements: StatementCache;
  readonly createdAt: number;
  lastUsedAt: number;
  /** Set when a statement on it failed in a way that means the connection cannot be trusted. */
  broken = false;
  /** When the pool last armed the watchdog for a run of reads (0: not armed that way). */
  armedAt = 0;
  /** The query-interrupt watchdog of this connection, or null where it could not be built. */
  interrupter: Interrupter | null = null;
  /** The `PRAGMA data_version` this connection last reported (-1: never asked). */
  lastDataVersion = -1;
  #closed = false;
  #dataVersion: BetterSqlite3.Statement | undefined;
  readonly #internal = new Map<string, BetterSqlite3.Statement>();

  constructor(
    id: number,
    role: ConnectionRole,
    db: BetterSqlite3.Database,
    statementCacheSize: number,
  ) {
    this.id = id;
    this.role = role;
    this.db = db;
    this.statements = new StatementCache(db, statementCacheSize);
    this.createdAt = Date.now();
    this.lastUsedAt = this.createdAt;
  }

  /**
   * A statement the pool itself runs (BEGIN, COMMIT, SAVEPOINT…), kept apart from the callers'
   * statement cache: a caller's `COMMIT` must never find the pool's prepared one there.
   */
  internal(sql: string): BetterSqlite3.Statement {
    let stmt = this.#internal.get(sql);
    if (stmt === undefined) {
      stmt = this.db.prepare(sql);
      this.#internal.set(sql, stmt);
    }
    return stmt;
  }

  /**
   * How long a statement waits for a lock another connection holds before SQLITE_BUSY: the
   * query-interrupt extension's busy handler (retries after 0.25, 0.5, 1, 2, then every 4 ms)
   * where it is loaded, SQLite's own (`PRAGMA busy_timeout`: 1 to 100 ms sleeps) otherwise.
   */
  setBusyTimeout(ms: number): void {
    if (this.interrupter !== null) this.interrupter.setBusyTimeout(ms);
    else this.db.pragma(`busy_timeout = ${Math.round(ms)}`);
  }

  /** What the extension's busy handler did on this connection; null without the extension. */
  busyStats(): BusyStats | null {
    if (this.interrupter === null || this.#closed) return null;
    try {
      return this.interrupter.busyStats();
    } catch {
      return null; // a connection whose file went bad still reports its other figures
    }
  }

  /** `PRAGMA data_version`: changes when another connection (any process) commits. */
  dataVersion(): number {
    this.#dataVersion ??= this.db.prepare('PRAGMA data_version').pluck();
    return this.#dataVersion.get() as number;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Closes the connection, rolling back anything left open. Never throws. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.statements.clear();
    this.#internal.clear();
    try {
      if (this.db.inTransaction) this.db.exec('ROLLBACK');
    } catch {
      // The connection is going away; SQLite rolls back on close anyway.
    }
    try {
      this.db.close();
    } catch {
      // Closing a connection whose file vanished can fail; there is nothing left to release.
    }
  }
}

/** Why SQLite could not open `path`, when the file system can tell (SQLite only says it could not). */
function cannotOpenReason(path: string, opts: ResolvedPoolOptions): string {
  if (opts.readonly && !fs.existsSync(path))
    return ' (it does not exist, and a readonly pool never creates it)';
  try {
    if (opts.readonly) fs.accessSync(path, fs.constants.R_OK);
    else fs.accessSync(nodePath.dirname(path), fs.constants.W_OK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EROFS') return ' (the file system is read-only, EROFS)';
    if (code === 'EACCES' || code === 'EPERM') return ` (permission denied, ${code})`;
  }
  return '';
}

/**
 * Opens and configures one connection: busy_timeout first (so that setting WAL waits for a lock
 * rather than failing), WAL on the writer, synchronous, foreign keys, the user's pragmas, and a
 * read of the schema so that a file that is not a database fails here, not on first use.
 */
export function openConnection(
  id: number,
  role: ConnectionRole,
  path: string,
  opts: ResolvedPoolOptions,
): Connection {
  let db: BetterSqlite3.Database | undefined;
  try {
    db = new Database(path, { readonly: opts.readonly });
    db.pragma(`busy_timeout = ${opts.busyTimeout}`);
    if (role === 'writer' && !opts.readonly && path !== ':memory:') {
      const mode = opts.enableWAL ? 'WAL' : 'DELETE';
      const got = String(db.pragma(`journal_mode = ${mode}`, { simple: true })).toUpperCase();
      if (got !== mode) {
        throw new HiveDbError(
          'POOL_OPEN_FAILED',
          `could not set journal_mode=${mode} on ${path} (SQLite kept ${got})`,
        );
      }
    }
    if (role === 'writer' && opts.walCheckpointBytes > 0) {
      // After a RESTART checkpoint the next write resets the WAL; this truncates it to the bound.
      db.pragma(`journal_size_limit = ${opts.walCheckpointBytes}`);
    }
    // Coordinated checkpoints: one elected process checkpoints (wal/checkpointer.ts). A commit
    // that ran SQLite's own would take the checkpoint lock from it at random moments, and a
    // RESTART that finds that lock taken fails at once without waiting.
    if (opts.walCheckpointer === 'coordinated') db.pragma('wal_autocheckpoint = 0');
    db.pragma(`synchronous = ${opts.synchronous}`);
    db.pragma('foreign_keys = ON');
    for (const [name, value] of Object.entries(opts.pragmas)) {
      db.pragma(`${name} = ${typeof value === 'boolean' ? (value ? 'ON' : 'OFF') : value}`);
    }
    db.prepare('SELECT count(*) FROM sqlite_schema').pluck().get();
    const conn = new Connection(id, role, db, opts.statementCacheSize);
    conn.interrupter = loadInterrupter(db);
    if (conn.interrupter !== null) conn.setBusyTimeout(opts.busyTimeout);
    return conn;
  } catch (err) {
    try {
      db?.close();
    } catch {
      // Already failing; the open error is the one to report.
    }
    if (err instanceof HiveDbError) throw err;
    const sqliteCode = sqliteCodeOf(err);
    const message = err instanceof Error ? err.message : String(err);
    const why = sqliteCode?.startsWith('SQLITE_CANTOPEN') ? cannotOpenReason(path, opts) : '';
    throw new HiveDbError(
      'POOL_OPEN_FAILED',
      `cannot open ${role} connection to ${path}: ${message}${why}`,
      {
        cause: err,
        ...(sqliteCode === undefined ? {} : { sqliteCode }),
        details: { filename: path },
      },
    );
  }
}
