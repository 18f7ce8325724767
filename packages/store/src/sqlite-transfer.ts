import path from 'node:path';
import type { Pool } from '@hivedb/pool';
import { StoreError } from './errors.js';
import { prepareCandidate } from './sqlite-restore.js';
import { openImportStage } from './sqlite-import-stage.js';
import type {
  BackupProgress,
  ExportCursor,
  ExportRow,
  ImportStage,
  RestoreHooks,
  TransferBackend,
} from './transfer-backend.js';

const EXPORT_COLUMNS = `namespace, key, value, data_type AS dataType, metadata,
  coalesce(version, 1) AS version, created_at AS createdAt, updated_at AS updatedAt,
  expires_at AS expiresAt`;
const LIVE = '(expires_at IS NULL OR expires_at > ?)';

/** Params: namespace, after key, now, limit. */
const EXPORT_NS = `SELECT ${EXPORT_COLUMNS} FROM shared_memory
  WHERE namespace = ? AND key > ? AND ${LIVE} ORDER BY key LIMIT ?`;
/** Params: after namespace, after key, now, limit. A row value comparison walks the primary key. */
const EXPORT_ALL = `SELECT ${EXPORT_COLUMNS} FROM shared_memory
  WHERE (namespace, key) > (?, ?) AND ${LIVE} ORDER BY namespace, key LIMIT ?`;

/**
 * Pages per step of a backup (16 MiB of 4 KiB pages, some tens of ms): between steps the event
 * loop runs. Large steps keep the backup short, and with it the snapshot it holds: while that
 * snapshot is open, no checkpoint can pass it, and the WAL grows by whatever is written meanwhile.
 */
const BACKUP_STEP_PAGES = 4096;
const HAS_SEQUENCE = "SELECT 1 AS found FROM sqlite_master WHERE name = 'sqlite_sequence'";
const SEQUENCES = 'SELECT name, seq FROM sqlite_sequence';
/** Params: name, seq. */
const DROP_LOWER_SEQUENCE = 'DELETE FROM sqlite_sequence WHERE name = ? AND seq < ?';
/** Params: name, seq, name. */
const ADD_SEQUENCE = `INSERT INTO sqlite_sequence (name, seq) SELECT ?, ?
  WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = ?)`;
const HAS_LOCKS =
  "SELECT 1 AS found FROM sqlite_master WHERE type = 'table' AND name = 'memory_locks'";
const LIVE_LOCKS =
  'SELECT namespace, key, holder, token, acquired_at AS acquiredAt, expires_at AS expiresAt FROM memory_locks';
const DROP_LOCKS = 'DELETE FROM memory_locks';
const ADD_LOCK = `INSERT INTO memory_locks (namespace, key, holder, token, acquired_at, expires_at)
  VALUES (@namespace, @key, @holder, @token, @acquiredAt, @expiresAt)`;
interface LockRow {
  readonly namespace: string;
  readonly key: string;
  readonly holder: string | null;
  readonly token: number;
  readonly acquiredAt: number;
  readonly expiresAt: number;
}
interface Sequence {
  readonly name: string;
  readonly seq: number;
}

/** Pages per step of a restore into the live database (its write lock is held across steps). */
const RESTORE_STEP_PAGES = 1024;
/** A restore that cannot get the live database's write lock for this long gives up, unchanged. */
const RESTORE_DEADLINE_MS = 60_000;

/** Backup, restore, export and import on SQLite through `@hivedb/pool`. */
export class SqliteTransfer implements TransferBackend {
  readonly #memory: Pool;

  constructor(memory: Pool) {
    this.#memory = memory;
  }

  async backup(dest: string, onProgress: (p: BackupProgress) => void): Promise<void> {
    // A reader with one read transaction held across every step: each step copies pages of the
    // same snapshot (taken here, after every commit that resolved before), so the copy is never
    // restarted by writers of this or another process, and never blocks them (WAL).
    const lease = await this.#memory.acquire({ mode: 'read' });
    try {
      const raw = lease.raw;
      raw.exec('BEGIN');
      try {
        raw.prepare('SELECT count(*) AS n FROM sqlite_master').get();
        const last = await raw.backup(dest, {
          progress: (p) => {
            onProgress({ totalPages: p.totalPages, remainingPages: p.remainingPages });
            return BACKUP_STEP_PAGES;
          },
        });
        onProgress({ totalPages: last.totalPages, remainingPages: 0 });
      } finally {
        if (raw.inTransaction) raw.exec('ROLLBACK');
      }
    } finally {
      lease.release();
    }
  }

  async restore(
    source: string,
    now: number,
    hooks: RestoreHooks,
  ): Promise<{ entries: number; safetyBackup: string }> {
    const live = this.#memory.filename;
    const pageSize =
      (await this.#memory.get<{ page_size: number }>('PRAGMA page_size'))?.page_size ?? 4096;
    const candidate = await prepareCandidate(source, path.dirname(live), pageSize, now);
    try {
      await hooks.beforeReplace();
      // This process's writes wait behind the held writer; other processes get SQLITE_BUSY
      // (and retry) while the backup API's own connection holds the write lock. Readers keep
      // their snapshots and see the restored database whole, at its commit.
      const writer = await this.#memory.acquire({ mode: 'write' });
      let safetyBackup: string;
      try {
        // From a read snapshot taken now: everything this process committed is in it, and none
        // of its writes can land before the replace (they wait behind the held writer).
        safetyBackup = await hooks.safetyBackup();
        const counters =
          writer.get(HAS_SEQUENCE) === undefined ? [] : writer.all<Sequence>(SEQUENCES);
        // Locks coordinate the processes running now; a restore brings back data, not leases.
        // The live lock table replaces the backup's, so no lock comes back from the past, no
        // live holder loses its lock, and no fencing token is ever issued twice for a key.
        const locks = writer.get(HAS_LOCKS) === undefined ? null : writer.all<LockRow>(LIVE_LOCKS);
        await candidate.pool.withConnection(
          async (lease) => {
            // AUTOINCREMENT counters never go back: a number handed out before the restore
            // (a change feed's sequence) is never handed out again after it.
            const carry = lease.raw.transaction(() => {
              for (const c of counters) {
                lease.raw.prepare(DROP_LOWER_SEQUENCE).run(c.name, c.seq);
                lease.raw.prepare(ADD_SEQUENCE).run(c.name, c.seq, c.name);
              }
            });
            if (counters.length > 0 && lease.raw.prepare(HAS_SEQUENCE).get() !== undefined) carry();
            if (locks !== null && lease.raw.prepare(HAS_LOCKS).get() !== undefined) {
              lease.raw.transaction(() => {
                lease.raw.prepare(DROP_LOCKS).run();
                const add = lease.raw.prepare(ADD_LOCK);
                for (const lock of locks) add.run(lock);
              })();
            }
            const started = Date.now();
            await lease.raw.backup(live, {
              progress: () => {
                if (Date.now() - started > RESTORE_DEADLINE_MS)
                  throw new StoreError(
                    'STORE_BACKUP_FAILED',
                    `restore: the live database stayed locked for ${RESTORE_DEADLINE_MS} ms; it was not changed`,
                  );
                return RESTORE_STEP_PAGES;
              },
            });
          },
          { mode: 'write' },
        );
      } finally {
        writer.release();
      }
      return { entries: candidate.entries, safetyBackup };
    } finally {
      await candidate.close();
    }
  }

  exportPage(
    namespace: string | undefined,
    after: ExportCursor | null,
    limit: number,
    now: number,
  ): Promise<ExportRow[]> {
    if (namespace !== undefined)
      return this.#memory.all<ExportRow>(EXPORT_NS, [namespace, after?.key ?? '', now, limit]);
    return this.#memory.all<ExportRow>(EXPORT_ALL, [
      after?.namespace ?? '',
      after?.key ?? '',
      now,
      limit,
    ]);
  }

  stage(): Promise<ImportStage> {
    return openImportStage(this.#memory);
  }
}
