import path from 'node:path';
import { createPool, type Pool } from '@hivedb/pool';
import { removeDatabaseFiles, scratchName } from './sqlite-restore.js';
import type { ImportRow, ImportStage } from './transfer-backend.js';

const STAGE_TABLE = `CREATE TABLE entries (
  namespace TEXT NOT NULL, key TEXT NOT NULL, data_type TEXT NOT NULL, value TEXT NOT NULL,
  metadata TEXT, version INTEGER NOT NULL, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,
  expires_at INTEGER, size_bytes INTEGER NOT NULL, line INTEGER NOT NULL,
  PRIMARY KEY (namespace, key))`;

const STAGE_INSERT = `INSERT INTO entries (namespace, key, data_type, value, metadata, version,
  created_at, updated_at, expires_at, size_bytes, line) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
  ON CONFLICT (namespace, key) DO NOTHING`;

const STAGE_LINE = 'SELECT line FROM entries WHERE namespace = ? AND key = ?';

// Each import attaches its staging file under its own alias (made here, never from input), so
// that two imports in flight on the one writer never read each other's file.
let aliases = 0;

/** Page cache of the staging file, on its own connection and where attached (KiB, negative). */
const STAGE_CACHE_KIB = -2048;

/** Rows copied per statement: each statement gets its own `queryTimeout`, in one transaction. */
const COPY_CHUNK = 50_000;

/**
 * Params: first rowid (exclusive), last rowid (inclusive). An imported entry replaces whatever
 * is under its (namespace, key), with the imported content and timestamps; its version is the
 * imported one, or one past the replaced entry's when that is higher, so that a version a
 * caller read before the import never matches different content after it.
 */
const copySql = (
  alias: string,
): string => `INSERT INTO main.shared_memory (namespace, key, data_type, value, metadata, version,
  created_at, updated_at, expires_at, size_bytes, access_count, last_accessed)
  SELECT namespace, key, data_type, value, metadata, version, created_at, updated_at, expires_at,
  size_bytes, 0, NULL FROM ${alias}.entries WHERE rowid > ? AND rowid <= ?
  ON CONFLICT (namespace, key) DO UPDATE SET
  data_type = excluded.data_type,
  value = excluded.value,
  metadata = excluded.metadata,
  version = max(excluded.version, coalesce(shared_memory.version, 1) + 1),
  created_at = excluded.created_at,
  updated_at = excluded.updated_at,
  expires_at = excluded.expires_at,
  size_bytes = excluded.size_bytes,
  access_count = 0,
  last_accessed = NULL`;

/**
 * Opens a staging database beside the live one (a hidden scratch file, no WAL, no fsync: it is
 * thrown away in every outcome) with an `entries` table keyed like `shared_memory`.
 */
export async function openImportStage(live: Pool): Promise<ImportStage> {
  const folder = path.dirname(live.filename);
  const name = scratchName('import');
  const file = path.join(folder, name);
  let pool: Pool | undefined;
  try {
    pool = createPool({
      filename: name,
      root: folder,
      minConnections: 1,
      maxConnections: 2,
      enableWAL: false,
      synchronous: 'OFF',
      healthCheckInterval: 0,
      // better-sqlite3's default page cache is 16 MB a connection; staging needs little.
      pragmas: { cache_size: STAGE_CACHE_KIB },
    });
    await pool.run(STAGE_TABLE);
  } catch (err) {
    await pool?.close();
    await removeDatabaseFiles(file);
    throw err;
  }
  return new SqliteImportStage(live, pool, file);
}

class SqliteImportStage implements ImportStage {
  readonly #live: Pool;
  readonly #stage: Pool;
  readonly #file: string;
  #lastRowid = 0;
  #discarded = false;

  constructor(live: Pool, stage: Pool, file: string) {
    this.#live = live;
    this.#stage = stage;
    this.#file = file;
  }

  add(rows: readonly ImportRow[]) {
    return this.#stage.transaction((tx) => {
      for (const r of rows) {
        const res = tx.run(STAGE_INSERT, [
          r.namespace,
          r.key,
          r.dataType,
          r.value,
          r.metadata,
          r.version,
          r.createdAt,
          r.updatedAt,
          r.expiresAt,
          r.size,
          r.line,
        ]);
        if (res.changes === 0) {
          const first = tx.get<{ line: number }>(STAGE_LINE, [r.namespace, r.key])!.line;
          return { duplicate: r, first };
        }
        this.#lastRowid = Number(res.lastInsertRowid);
      }
      return null;
    });
  }

  async commit(): Promise<number> {
    const last = this.#lastRowid;
    await this.#stage.close();
    if (last === 0) return 0;
    // ATTACH and DETACH cannot run inside a transaction: they go on the writer just before and
    // after the one transaction that copies.
    const alias = `hivedb_import_${++aliases}`;
    const copy = copySql(alias);
    await this.#live.withConnection(
      (lease) => {
        lease.raw.prepare(`ATTACH DATABASE ? AS ${alias}`).run(this.#file);
        lease.raw.exec(`PRAGMA ${alias}.cache_size = ${STAGE_CACHE_KIB}`);
      },
      { mode: 'write' },
    );
    try {
      return await this.#live.transaction((tx) => {
        let copied = 0;
        for (let from = 0; from < last; from += COPY_CHUNK)
          copied += tx.run(copy, [from, Math.min(last, from + COPY_CHUNK)]).changes;
        return copied;
      });
    } finally {
      // A failed DETACH must not hide the copy's own outcome (the alias is never reused).
      await this.#live
        .withConnection(
          (lease) => {
            lease.raw.exec(`DETACH DATABASE ${alias}`);
          },
          { mode: 'write' },
        )
        .catch(() => undefined);
    }
  }

  async discard(): Promise<void> {
    if (this.#discarded) return;
    this.#discarded = true;
    await this.#stage.close();
    await removeDatabaseFiles(this.#file);
  }
}
