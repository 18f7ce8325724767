/**
 * The part of the store's database interface that moves whole databases and entry streams:
 * backup, restore, export pages and staged imports. It sits beside `StoreBackend` (reached as
 * `backend.transfer`) so that a second engine implements it in its own file.
 * A contract file: types only.
 */
import type { DataType } from './types.js';

/** Progress of an online backup, as SQLite's backup API reports it. */
export interface BackupProgress {
  readonly totalPages: number;
  readonly remainingPages: number;
}

/** An entry as exported: the value and metadata still JSON text. */
export interface ExportRow {
  readonly namespace: string;
  readonly key: string;
  readonly value: string;
  readonly dataType: DataType;
  readonly metadata: string | null;
  readonly version: number;
  readonly createdAt: number;
  readonly updatedAt: number;
  readonly expiresAt: number | null;
}

/** A validated import record, serialized, with the line it came from. */
export interface ImportRow extends ExportRow {
  readonly size: number;
  readonly line: number;
}

/** Where an export page starts: after this (namespace, key), or at the beginning. */
export interface ExportCursor {
  readonly namespace: string;
  readonly key: string;
}

/**
 * An import in progress: records are staged outside the live database (so that a slow source
 * never holds the writer and a bad record never touches it), then copied in one transaction.
 */
export interface ImportStage {
  /** Stages records; on a record whose (namespace, key) was staged before, stops and returns it with the earlier line. */
  add(
    rows: readonly ImportRow[],
  ): Promise<{ readonly duplicate: ImportRow; readonly first: number } | null>;
  /** Copies every staged record into the live database in one transaction; returns how many. */
  commit(): Promise<number>;
  /** Removes the staging area. Idempotent; called after `commit()` or instead of it. */
  discard(): Promise<void>;
}

/** Why a restore was refused. */
export type RestoreRefusal = 'not-found' | 'not-sqlite' | 'integrity' | 'schema' | 'page-size';

/** What the store does at two moments of a restore (see `TransferBackend.restore`). */
export interface RestoreHooks {
  /** Once the candidate passed, before anything is held (the store flushes its access counts). */
  beforeReplace(): Promise<void>;
  /** Writes a copy of the live database beside it and returns its path. */
  safetyBackup(): Promise<string>;
}

/** Backup, restore, export and import of the entries' database. */
export interface TransferBackend {
  /**
   * Copies the entries' database to `dest` (a new file) with the online backup API, from one read
   * snapshot taken when it starts, while writers go on. `onProgress` is called between steps.
   */
  backup(dest: string, onProgress: (p: BackupProgress) => void): Promise<void>;
  /**
   * Verifies `source` (a copy of it, never the file itself) and, when it passes, replaces the
   * entries' database with it. Throws `STORE_RESTORE_REFUSED` before touching the live database.
   * Once the candidate passed: `hooks.beforeReplace()`, then, with this process's writes held
   * back, `hooks.safetyBackup()` (a copy of the live database; a failure stops the restore), then
   * the replace. Resolves to the live entries restored and the safety backup's path.
   */
  restore(
    source: string,
    now: number,
    hooks: RestoreHooks,
  ): Promise<{ entries: number; safetyBackup: string }>;
  /** Up to `limit` live entries after `after`, in (namespace, key) order; of one namespace when given. */
  exportPage(
    namespace: string | undefined,
    after: ExportCursor | null,
    limit: number,
    now: number,
  ): Promise<ExportRow[]>;
  /** A new, empty staging area for an import. */
  stage(): Promise<ImportStage>;
}
