import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { createPool, type Pool } from '@hivedb/pool';
import { impliedSchema } from './implied-schema.js';
import { readMigrationFiles } from './migration-files.js';
import { migrationRecord } from './migration-record.js';
import { readMigrationState, toStatus } from './migration-state.js';
import { type DatabaseName, packagedMigrationsFolder } from './migrations-folder.js';
import { type InspectOptions, resolveInspectOptions } from './options.js';
import type { InspectionProblem, InspectionReport, MigrationStatus } from './types.js';
import { checkIntegrity } from './validate-integrity.js';

const SQLITE_HEADER = 'SQLite format 3\0';
/** Schema issues listed one by one; past this many, one line says how many more. */
const MAX_LISTED = 20;

type Problems = InspectionProblem[];

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The first problem of a file that is not a SQLite database at all, or null. */
function fileProblem(filename: string): {
  problem: InspectionProblem | null;
  bytes: number | null;
} {
  let st: fs.Stats;
  try {
    st = fs.statSync(filename);
  } catch (err) {
    const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
    return {
      bytes: null,
      problem: missing
        ? { code: 'missing', message: `${filename} does not exist` }
        : { code: 'unreadable', message: `${filename} cannot be read: ${messageOf(err)}` },
    };
  }
  const bytes = st.size;
  if (!st.isFile())
    return { bytes, problem: { code: 'not-a-file', message: `${filename} is not a file` } };
  if (bytes === 0)
    return {
      bytes,
      problem: { code: 'empty-file', message: `${filename} is empty (0 bytes): not a database` },
    };
  const header = Buffer.alloc(16);
  try {
    const fd = fs.openSync(filename, 'r');
    try {
      fs.readSync(fd, header, 0, 16, 0);
    } finally {
      fs.closeSync(fd);
    }
  } catch (err) {
    return {
      bytes,
      problem: { code: 'unreadable', message: `${filename} cannot be read: ${messageOf(err)}` },
    };
  }
  if (bytes < 100 || header.toString('latin1') !== SQLITE_HEADER)
    return {
      bytes,
      problem: {
        code: 'not-sqlite',
        message: `${filename} is not a SQLite database (no SQLite header)`,
      },
    };
  return { bytes, problem: null };
}

/** The other database whose migrations a record of unknown ones matches, if any (a file copied over another). */
function otherDatabaseOf(database: DatabaseName, hashes: readonly string[]): DatabaseName | null {
  const other: DatabaseName = database === 'memory' ? 'hive' : 'memory';
  const theirs = new Set(readMigrationFiles(packagedMigrationsFolder(other)).map((f) => f.up.hash));
  return hashes.length > 0 && hashes.every((h) => theirs.has(h)) ? other : null;
}

/** What the migration record says is wrong; true when the schema it implies can be checked. */
function recordProblems(
  database: DatabaseName,
  status: MigrationStatus,
  hasRecord: boolean,
  tables: readonly string[],
  problems: Problems,
): boolean {
  const file = `${database}.db`;
  if (tables.length === 0) {
    problems.push({ code: 'no-schema', message: `it has no tables: not a hivedb ${file}` });
    return false;
  }
  if (!hasRecord) {
    problems.push({
      code: 'no-migration-record',
      message: status.seedLayout
        ? `it has no migration record: its tables (${tables.join(', ')}) are the seed's original layout, which a read-write open adopts, or another program's`
        : `it has no migration record: its tables (${tables.join(', ')}) are not a hivedb ${file}`,
    });
    return false;
  }
  for (const d of status.drifted)
    problems.push({
      code: 'drifted-migration',
      message: `migration ${d.tag} was applied from a different file (recorded hash ${d.recordedHash.slice(0, 12)}, now ${d.hash.slice(0, 12)})`,
    });
  if (status.unknown.length > 0) {
    const other = otherDatabaseOf(
      database,
      status.unknown.map((u) => u.hash),
    );
    problems.push({
      code: 'unknown-migration',
      message:
        other !== null
          ? `its migration record is ${other}.db's, not ${file}'s: ${other}.db copied over ${file}?`
          : `its migration record names ${status.unknown.length} migration(s) this version of @hivedb/schema does not have (recorded at ${status.unknown.map((u) => u.createdAt).join(', ')}): a newer hivedb's file, or not a ${file}`,
    });
  }
  return status.drifted.length === 0 && status.unknown.length === 0;
}

/**
 * Inspects one database file without changing it: opens it read-only (no folder or file is
 * created, nothing is migrated or written, a zero-byte file is never opened) and reports what is
 * wrong: not a file, empty, not SQLite, unreadable, damaged (`integrity_check` or `quick_check`,
 * and `foreign_key_check`, as `validateIntegrity` runs them; `integrity: false` leaves them
 * out), no migration record, drifted or
 * unknown migrations, and tables that differ from what its applied migrations create (the same
 * comparison `validateIntegrity` makes with `definitions`). Never throws for what it finds.
 *
 * SQLite itself may create the `-wal` and `-shm` files beside a WAL database when they are
 * missing (a read-only connection needs the shared-memory index); the database file is not
 * touched.
 *
 * @example
 * const report = await inspectDatabase('.hive-mind/memory.db', 'memory');
 * if (!report.ok) for (const p of report.problems) console.error(p.code, p.message);
 */
export async function inspectDatabase(
  file: string,
  database: DatabaseName,
  options?: InspectOptions,
): Promise<InspectionReport> {
  const started = performance.now();
  const opts = resolveInspectOptions(options);
  const filename = path.resolve(file);
  const problems: Problems = [];
  let migrations: MigrationStatus | null = null;
  const report = (bytes: number | null): InspectionReport => ({
    filename,
    database,
    ok: problems.length === 0,
    problems,
    bytes,
    migrations,
    durationMs: performance.now() - started,
  });
  const { problem, bytes } = fileProblem(filename);
  if (problem !== null) {
    problems.push(problem);
    return report(bytes);
  }
  let pool: Pool;
  try {
    pool = createPool({
      filename: path.basename(filename),
      root: path.dirname(filename),
      readonly: true,
      minConnections: 1,
      maxConnections: 1,
      healthCheckInterval: 0,
      offloadWorkers: 0,
      circuitBreaker: { enabled: false },
    });
  } catch (err) {
    problems.push({ code: 'unreadable', message: `it cannot be opened: ${messageOf(err)}` });
    return report(bytes);
  }
  try {
    const folder = packagedMigrationsFolder(database);
    const files = readMigrationFiles(folder);
    let read: { status: MigrationStatus; hasRecord: boolean; tables: string[] };
    try {
      read = await pool.read((db) => ({
        status: toStatus(readMigrationState(db, files), files, filename, folder),
        hasRecord: migrationRecord.exists(db),
        tables: db
          .all<{ name: string }>(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND substr(name, 1, 7) <> 'sqlite_' ORDER BY name",
          )
          .map((t) => t.name),
      }));
    } catch (err) {
      problems.push({ code: 'unreadable', message: `it cannot be read: ${messageOf(err)}` });
      return report(bytes);
    }
    migrations = read.status;
    const checkable = recordProblems(database, read.status, read.hasRecord, read.tables, problems);
    const applied = files.filter((f) => read.status.applied.some((a) => a.tag === f.tag));
    const expected = checkable ? await impliedSchema(applied) : null;
    const checked = await checkIntegrity(pool, {
      quick: opts.quick,
      expected: expected === null ? null : () => expected,
      pages: opts.integrity,
    });
    const damage = [
      ...checked.integrity,
      ...checked.foreignKeys.map((f) => `foreign key violation in ${f.table} (rowid ${f.rowid})`),
      ...checked.errors.map((e) => `${e.check}: ${e.message}`),
    ];
    if (damage.length > 0)
      problems.push({
        code: 'integrity',
        message: `it is damaged: ${damage.slice(0, 3).join('; ')}`,
      });
    const issues = checked.schema ?? [];
    for (const issue of issues.slice(0, MAX_LISTED))
      problems.push({ code: 'schema-mismatch', message: issue.message });
    if (issues.length > MAX_LISTED)
      problems.push({
        code: 'schema-mismatch',
        message: `and ${issues.length - MAX_LISTED} more differences from the schema its migrations create`,
      });
    return report(bytes);
  } finally {
    await pool.close();
  }
}
