import type { SyncQueryable } from '@hivedb/pool';
import type { MigrationFile } from './migration-files.js';
import { migrationRecord, type RecordedMigration } from './migration-record.js';
import type {
  DriftedMigration,
  MigrationInfo,
  MigrationStatus,
  PendingMigration,
  UnknownMigration,
} from './types.js';

const CREATE_TABLE = /CREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?[`"[]?([\w]+)[`"\]]?/gi;

/** The tables a migration creates (by its `CREATE TABLE` statements). */
export function tablesCreatedBy(file: MigrationFile): string[] {
  const names: string[] = [];
  for (const statement of file.up.statements) {
    for (const match of statement.matchAll(CREATE_TABLE)) names.push(match[1]!);
  }
  return names;
}

/** Whether `name` is a table of the live database. */
export function tableExists(db: SyncQueryable, name: string): boolean {
  return (
    db.get("SELECT 1 AS found FROM sqlite_master WHERE type = 'table' AND name = ?", [name]) !==
    undefined
  );
}

/** Where a database stands, with the files each state refers to (the runner needs them). */
export interface MigrationState {
  readonly applied: readonly MigrationFile[];
  readonly pending: readonly MigrationFile[];
  readonly drifted: readonly { readonly file: MigrationFile; readonly recordedHash: string }[];
  readonly unknown: readonly RecordedMigration[];
  readonly seedLayout: boolean;
  /** No user table at all: a brand-new database. */
  readonly empty: boolean;
}

/**
 * Matches the record against the files by identity: a row is a migration when its `created_at`
 * equals the journal's `when` (or, failing that, its hash equals the file's, for a journal whose
 * times were regenerated). Nothing is inferred from order: a file with no row is pending even when
 * later ones are applied.
 */
export function readMigrationState(
  db: SyncQueryable,
  files: readonly MigrationFile[],
): MigrationState {
  const records = migrationRecord.list(db);
  const unmatched = new Set(records);
  const byWhen = new Map<number, RecordedMigration>();
  for (const r of records) if (!byWhen.has(r.createdAt)) byWhen.set(r.createdAt, r);

  const applied = new Set<MigrationFile>();
  const drifted: { file: MigrationFile; recordedHash: string }[] = [];
  const rest: MigrationFile[] = [];
  for (const file of files) {
    const rec = byWhen.get(file.when);
    if (!rec) {
      rest.push(file);
      continue;
    }
    for (const r of records) if (r.createdAt === file.when) unmatched.delete(r);
    if (rec.hash === file.up.hash) applied.add(file);
    else drifted.push({ file, recordedHash: rec.hash });
  }
  const pending: MigrationFile[] = [];
  for (const file of rest) {
    const rec = [...unmatched].find((r) => r.hash === file.up.hash);
    if (rec) {
      unmatched.delete(rec);
      applied.add(file);
    } else pending.push(file);
  }

  const hasRecord = migrationRecord.exists(db);
  const first = files[0];
  const seedLayout =
    !hasRecord && first !== undefined && tablesCreatedBy(first).some((t) => tableExists(db, t));
  const userTables = db.get<{ n: number }>(
    "SELECT count(*) AS n FROM sqlite_master WHERE substr(name, 1, 7) <> 'sqlite_'",
  );
  return {
    applied: files.filter((f) => applied.has(f)),
    pending,
    drifted,
    unknown: [...unmatched],
    seedLayout,
    empty: (userTables?.n ?? 0) === 0,
  };
}

function info(file: MigrationFile): MigrationInfo {
  return { tag: file.tag, index: file.index, when: file.when, hash: file.up.hash };
}

/** The public picture of a `MigrationState`. */
export function toStatus(
  state: MigrationState,
  files: readonly MigrationFile[],
  filename: string,
  migrationsFolder: string,
): MigrationStatus {
  const newestApplied = state.applied.reduce((max, f) => Math.max(max, f.index), -1);
  const pending: PendingMigration[] = state.pending.map((f) => ({
    ...info(f),
    outOfOrder: f.index < newestApplied,
  }));
  const drifted: DriftedMigration[] = state.drifted.map((d) => ({
    ...info(d.file),
    recordedHash: d.recordedHash,
  }));
  const unknown: UnknownMigration[] = state.unknown.map((r) => ({
    hash: r.hash,
    createdAt: r.createdAt,
  }));
  return {
    filename,
    migrationsFolder,
    applied: state.applied.map(info),
    pending,
    drifted,
    unknown,
    seedLayout: state.seedLayout,
    current: newestApplied >= 0 ? files[newestApplied]!.tag : null,
    head: files.at(-1)?.tag ?? null,
    upToDate:
      pending.length === 0 && drifted.length === 0 && unknown.length === 0 && !state.seedLayout,
  };
}
