import { statSync } from 'node:fs';
import { createPool, type Pool } from '@hivedb/pool';
import {
  type InspectionProblem,
  type InspectionProblemCode,
  type IntegrityReport,
  inspectDatabase,
  type MigrationStatus,
} from '@hivedb/schema';
import { CliError } from '../errors.js';
import { requireNotOpenInProcess } from '../io/open-in-process.js';
import { type HiveRoot, requireDatabase } from '../root.js';

/** The databases of a root, in the order commands treat them. */
export const DATABASES = ['memory', 'hive'] as const;
/** `memory` or `hive`. */
export type DatabaseName = (typeof DATABASES)[number];

/** How much of an integrity check {@link inspectRootDatabase} runs besides the file, its record and its schema. */
export type IntegrityLevel = 'none' | 'quick' | 'full';

/** Where a database's migrations stand. */
export interface MigrationSummary {
  readonly applied: string[];
  readonly pending: string[];
  readonly drifted: string[];
  readonly unknown: number;
  readonly upToDate: boolean;
}

/** What {@link inspectRootDatabase} found. `ok` when `problems` is empty. */
export interface DatabaseReport {
  readonly database: DatabaseName;
  readonly file: string;
  readonly bytes: number;
  readonly walBytes: number;
  /** `null` when the file could not be read as a database. */
  readonly migrations: MigrationSummary | null;
  /** Everything wrong, one line each (`unknown migration: its migration record is hive.db's, …`). */
  readonly problems: string[];
  readonly ok: boolean;
  /** How long the inspection took. */
  readonly durationMs: number;
}

/** The path of a database of the root. */
export function databaseFile(root: HiveRoot, which: DatabaseName): string {
  return which === 'memory' ? root.memoryPath : root.hivePath;
}

function fileSize(file: string): number {
  return statSync(file, { throwIfNoEntry: false })?.size ?? 0;
}

/** The problems an integrity report lists, one line each. */
export function problemsOf(r: IntegrityReport): string[] {
  return [
    ...r.integrity.filter((l) => l !== 'ok'),
    ...r.foreignKeys.map((f) => `foreign key: ${f.table} row ${f.rowid} → ${f.parent}`),
    ...(r.schema ?? []).map((s) => `schema: ${s.message}`),
    ...r.errors.map((e) => `${e.check}: ${e.message}${e.sqliteCode ? ` (${e.sqliteCode})` : ''}`),
  ];
}

// What each of `inspectDatabase`'s problem codes is called in the CLI's lines.
const LABELS: Readonly<Record<InspectionProblemCode, string>> = {
  missing: 'missing',
  'not-a-file': 'not a file',
  'empty-file': 'empty file',
  'not-sqlite': 'not SQLite',
  unreadable: 'unreadable',
  integrity: 'damaged',
  'no-schema': 'no tables',
  'no-migration-record': 'no migration record',
  'drifted-migration': 'drifted migration',
  'unknown-migration': 'unknown migration',
  'schema-mismatch': 'schema mismatch',
};

/** One problem `@hivedb/schema`'s `inspectDatabase` found, as one line: `label: message`. */
function describeProblem(p: InspectionProblem): string {
  return `${LABELS[p.code] ?? p.code}: ${p.message}`;
}

/**
 * Migrations not yet applied: no problem for `inspectDatabase` (a read-write open applies them),
 * but a read-only command cannot, so `status` fails on them and the readers refuse the file.
 */
function pendingProblem(status: MigrationStatus): string | null {
  const n = status.pending.length;
  if (n === 0) return null;
  return `pending migration${n === 1 ? '' : 's'}: ${status.pending.map((m) => m.tag).join(', ')} (run \`hivedb migrate\`)`;
}

function summary(s: MigrationStatus): MigrationSummary {
  return {
    applied: s.applied.map((m) => m.tag),
    pending: s.pending.map((m) => m.tag),
    drifted: s.drifted.map((m) => m.tag),
    unknown: s.unknown.length,
    upToDate: s.upToDate,
  };
}

/**
 * Inspects a database of the root without writing it, with `@hivedb/schema`'s `inspectDatabase`:
 * whether it is a SQLite file at all (a zero-byte file is never opened), its migration record
 * (no record, drifted or unknown migrations, another database's file), its tables against what
 * its migrations create, and with `level` `quick` or `full` `quick_check` / `integrity_check` and
 * `foreign_key_check`. Pending migrations are a problem here: nothing read-only can apply them.
 * Throws `CLI_NO_ROOT` / `CLI_NO_DATABASE` when the root or the file is missing.
 *
 * The inspection reads the file's header through a descriptor of its own, and closing it would
 * drop the locks of any pool of this process on the file: the commands inspect before they open
 * one, and a file this process has open is `CLI_FILE_IN_USE` (`run()` in a program using it).
 */
export async function inspectRootDatabase(
  root: HiveRoot,
  which: DatabaseName,
  level: IntegrityLevel,
): Promise<DatabaseReport> {
  const file = requireDatabase(root, which);
  requireNotOpenInProcess(file);
  const r = await inspectDatabase(file, which, {
    quick: level === 'quick',
    integrity: level !== 'none',
  });
  const problems = r.problems.map(describeProblem);
  const pending = r.migrations === null ? null : pendingProblem(r.migrations);
  if (problems.length === 0 && pending !== null) problems.push(pending);
  return {
    database: which,
    file,
    bytes: r.bytes ?? 0,
    walBytes: fileSize(`${file}-wal`),
    migrations: r.migrations === null ? null : summary(r.migrations),
    problems,
    ok: problems.length === 0,
    durationMs: r.durationMs,
  };
}

/** `CLI_BAD_DATABASE`: `file` is not a database hivedb can read as it is, for the `problems` listed. */
export function badDatabase(file: string, problems: readonly string[], cause?: unknown): CliError {
  return new CliError(
    'CLI_BAD_DATABASE',
    `${file} is not a database hivedb can read as it is: ${problems.join('; ')} (\`hivedb status\` and \`hivedb check\` say more)`,
    { details: { file, problems }, ...(cause === undefined ? {} : { cause }) },
  );
}

/**
 * A read-only pool on a database of the root that {@link inspectRootDatabase} found sound (for
 * `report` on `hive.db`; `memory.db` is read through the store opened `readonly`):
 * `CLI_NO_DATABASE` when it is missing, `CLI_BAD_DATABASE` naming what is wrong otherwise.
 * Nothing is created, migrated or written.
 */
export async function openSoundDatabase(root: HiveRoot, which: DatabaseName): Promise<Pool> {
  const report = await inspectRootDatabase(root, which, 'none');
  if (!report.ok) throw badDatabase(report.file, report.problems);
  return createPool({
    filename: `${which}.db`,
    root: root.dir,
    readonly: true,
    minConnections: 1,
    maxConnections: 1,
    healthCheckInterval: 0,
  });
}
