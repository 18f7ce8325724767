import { performance } from 'node:perf_hooks';
import { type Pool, type SyncQueryable, sqliteCodeOf } from '@hivedb/pool';
import type { SQLiteTable } from 'drizzle-orm/sqlite-core';
import { expectedSchema } from './expected-schema.js';
import { readLiveSchema } from './live-schema.js';
import {
  type DefinitionsOption,
  type IntegrityOptions,
  resolveIntegrityOptions,
} from './options.js';
import { foreignKeyViolations } from './raw-connection.js';
import { schemaFor } from './schema-for.js';
import { diffSchemas } from './schema-diff.js';
import type { TableShape } from './table-shape.js';
import type { ForeignKeyViolation, IntegrityReport, SchemaIssue } from './types.js';

type CheckError = IntegrityReport['errors'][number];

function checkError(check: string, err: unknown): CheckError {
  const sqliteCode = sqliteCodeOf(err);
  return {
    check,
    message: err instanceof Error ? err.message : String(err),
    ...(sqliteCode ? { sqliteCode } : {}),
  };
}

function tablesOf(definitions: Exclude<DefinitionsOption, false>): SQLiteTable[] {
  if (definitions === 'memory' || definitions === 'hive')
    return Object.values(schemaFor(definitions).tables);
  return Array.isArray(definitions) ? [...definitions] : Object.values(definitions);
}

/**
 * Checks one database: `PRAGMA integrity_check` (or `quick_check` with `quick: true`),
 * `PRAGMA foreign_key_check`, and, when `definitions` are given, the live schema against them
 * (missing or extra tables, columns, indexes and CHECKs; differing columns, keys, indexes).
 *
 * It never throws for what it finds: a corrupt file that makes a check fail (`SQLITE_CORRUPT`,
 * `SQLITE_NOTADB`) is reported in `errors`, and `ok` is false.
 *
 * @example
 * const report = await validateIntegrity(pool, { definitions: 'memory' });
 * if (!report.ok) console.error(report.integrity, report.foreignKeys, report.schema, report.errors);
 */
export async function validateIntegrity(
  pool: Pool,
  options?: IntegrityOptions,
): Promise<IntegrityReport> {
  const opts = resolveIntegrityOptions(options);
  const definitions = opts.definitions;
  return checkIntegrity(pool, {
    quick: opts.quick,
    expected: definitions === false ? null : () => expectedSchema(tablesOf(definitions)),
  });
}

/**
 * The checks `validateIntegrity` makes, with the expected schema given as table shapes (the
 * Drizzle definitions', or the one a database's applied migrations imply), or `null` for none;
 * `pages: false` leaves out the checks that read every page (integrity and foreign keys).
 */
export async function checkIntegrity(
  pool: Pool,
  opts: {
    readonly quick: boolean;
    readonly expected: (() => readonly TableShape[]) | null;
    readonly pages?: boolean;
  },
): Promise<IntegrityReport> {
  const { quick, expected } = opts;
  const started = performance.now();
  const check = quick ? 'quick_check' : 'integrity_check';
  let integrity: string[] = [];
  let foreignKeys: ForeignKeyViolation[] = [];
  let schema: SchemaIssue[] | null = null;
  const errors: CheckError[] = [];
  const attempt = (name: string, fn: () => void) => {
    try {
      fn();
    } catch (err) {
      errors.push(checkError(name, err));
    }
  };
  try {
    await pool.read((db: SyncQueryable) => {
      if (opts.pages === false) {
        if (expected !== null)
          attempt('schema', () => {
            schema = diffSchemas(expected(), readLiveSchema(db));
          });
        return;
      }
      attempt(check, () => {
        integrity = db
          .all<Record<string, string>>(`PRAGMA ${check}`)
          .flatMap((row) => String(Object.values(row)[0]).split('\n'))
          .filter((line) => line !== '' && line !== 'ok' && !line.startsWith('*** in database'));
      });
      attempt('foreign_key_check', () => {
        foreignKeys = foreignKeyViolations(db);
      });
      if (expected !== null) {
        attempt('schema', () => {
          schema = diffSchemas(expected(), readLiveSchema(db));
        });
      }
    });
  } catch (err) {
    // The database could not even be read (a header overwritten, the file gone).
    errors.push(checkError('open', err));
  }
  const schemaIssues = schema as SchemaIssue[] | null;
  return {
    filename: pool.filename,
    ok:
      integrity.length === 0 &&
      foreignKeys.length === 0 &&
      (schemaIssues?.length ?? 0) === 0 &&
      errors.length === 0,
    quick,
    integrity,
    foreignKeys,
    schema: schemaIssues,
    errors,
    checkedAt: Date.now(),
    durationMs: performance.now() - started,
  };
}
