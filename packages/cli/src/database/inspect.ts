import { statSync } from 'node:fs';
import { createPool, type Pool } from '@hivedb/pool';
import {
  type IntegrityReport,
  Migrator,
  type MigrationStatus,
  validateIntegrity,
} from '@hivedb/schema';
import { CliError, describeError } from '../errors.js';
import { isSqliteFile } from '../io/sqlite-file.js';
import { type HiveRoot, requireDatabase } from '../root.js';

/** The databases of a root, in the order commands treat them. */
export const DATABASES = ['memory', 'hive'] as const;
/** `memory` or `hive`. */
export type DatabaseName = (typeof DATABASES)[number];

/** How much of an integrity check {@link inspectDatabase} runs besides the migration record. */
export type IntegrityLevel = 'none' | 'quick' | 'full';

/** Where a database's migrations stand. */
export interface MigrationSummary {
  readonly applied: string[];
  readonly pending: string[];
  readonly drifted: string[];
  readonly unknown: number;
  readonly upToDate: boolean;
}

/** What {@link inspectDatabase} found. `ok` when `problems` is empty. */
export interface DatabaseReport {
  readonly database: DatabaseName;
  readonly file: string;
  readonly bytes: number;
  readonly walBytes: number;
  /** `null` when the file could not be read as a database. */
  readonly migrations: MigrationSummary | null;
  /** `null` with level `none`, or when the file could not be opened. */
  readonly integrity: IntegrityReport | null;
  /** Everything wrong, one line each. */
  readonly problems: string[];
  readonly ok: boolean;
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

function migrationProblems(which: DatabaseName, s: MigrationStatus): string[] {
  const out: string[] = [];
  if (s.seedLayout) out.push("in the seed's original layout (`hivedb migrate` adopts it)");
  else if (s.applied.length === 0)
    out.push(
      `not a hivedb ${which}.db: none of its ${s.pending.length} migrations is recorded as applied (another database's file, or one rolled back to none)`,
    );
  else if (s.pending.length > 0)
    out.push(
      `${s.pending.length} pending migration${s.pending.length === 1 ? '' : 's'}: ${s.pending.map((m) => m.tag).join(', ')} (run \`hivedb migrate\`)`,
    );
  for (const d of s.drifted) out.push(`migration ${d.tag} changed since it was applied (drift)`);
  if (s.unknown.length > 0)
    out.push(
      `${s.unknown.length} unknown migration${s.unknown.length === 1 ? '' : 's'} recorded (applied by a newer hivedb, or this is another database's file)`,
    );
  return out;
}

/**
 * A read-only pool on a database of the root: it never creates, migrates or writes the file.
 * (Switching to `SharedMemoryStore.open({ readonly: true })` for memory.db changes only the
 * readers in `memory-reader.ts`, not this.)
 */
export function openReadOnlyPool(root: HiveRoot, which: DatabaseName): Pool {
  return createPool({
    filename: `${which}.db`,
    root: root.dir,
    readonly: true,
    minConnections: 1,
    maxConnections: 1,
    healthCheckInterval: 0,
  });
}

async function examine(
  root: HiveRoot,
  which: DatabaseName,
  level: IntegrityLevel,
): Promise<{ report: DatabaseReport; pool: Pool | null }> {
  const file = databaseFile(root, which);
  const bytes = fileSize(file);
  const base = { database: which, file, bytes, walBytes: fileSize(`${file}-wal`) };
  const failed = (problem: string) => ({
    report: { ...base, migrations: null, integrity: null, problems: [problem], ok: false },
    pool: null,
  });
  // Not even opened: SQLite would take a zero-byte file for an empty database, and a writer
  // would turn it into one.
  if (bytes === 0) return failed('empty (0 bytes): not a hivedb database');
  if (!isSqliteFile(file)) return failed('not a SQLite database (the file has no SQLite header)');
  let pool: Pool;
  try {
    pool = openReadOnlyPool(root, which);
  } catch (err) {
    return failed(`cannot open: ${describeError(err, false)}`);
  }
  try {
    const status = await new Migrator(pool, { database: which }).status();
    const problems = migrationProblems(which, status);
    let integrity: IntegrityReport | null = null;
    if (level !== 'none') {
      // The live schema is compared with the definitions only when the record says it should
      // match them; otherwise the migration problems above already say what is wrong.
      integrity = await validateIntegrity(pool, {
        quick: level === 'quick',
        definitions: problems.length === 0 ? which : false,
      });
      problems.push(...problemsOf(integrity));
    }
    const migrations: MigrationSummary = {
      applied: status.applied.map((m) => m.tag),
      pending: status.pending.map((m) => m.tag),
      drifted: status.drifted.map((m) => m.tag),
      unknown: status.unknown.length,
      upToDate: status.upToDate,
    };
    return {
      report: { ...base, migrations, integrity, problems, ok: problems.length === 0 },
      pool,
    };
  } catch (err) {
    await pool.close();
    return failed(`cannot read: ${describeError(err, false)}`);
  }
}

/**
 * Inspects a database of the root without writing it: its size, whether it is a SQLite file at
 * all, its migration record (pending, drifted, unknown migrations; another database's file), and
 * with `level` `quick` or `full` an integrity check and the schema against the definitions.
 * Throws `CLI_NO_ROOT` / `CLI_NO_DATABASE` when the root or the file is missing.
 */
export async function inspectDatabase(
  root: HiveRoot,
  which: DatabaseName,
  level: IntegrityLevel,
): Promise<DatabaseReport> {
  requireDatabase(root, which);
  const { report, pool } = await examine(root, which, level);
  await pool?.close();
  return report;
}

/**
 * A read-only pool on a database that {@link inspectDatabase} found sound, for the read-only
 * commands; `CLI_NO_DATABASE` when it is missing, `CLI_BAD_DATABASE` naming what is wrong
 * otherwise. Nothing is created, migrated or written.
 */
export async function openDatabaseForReading(root: HiveRoot, which: DatabaseName): Promise<Pool> {
  requireDatabase(root, which);
  const { report, pool } = await examine(root, which, 'none');
  if (report.ok && pool !== null) return pool;
  await pool?.close();
  throw new CliError(
    'CLI_BAD_DATABASE',
    `${report.file} is not a database hivedb can read as it is: ${report.problems.join('; ')} (\`hivedb status\` and \`hivedb check\` say more)`,
    { details: { file: report.file, problems: report.problems } },
  );
}
