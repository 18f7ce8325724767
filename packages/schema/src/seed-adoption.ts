import { type SyncQueryable, sqliteCodeOf } from '@hivedb/pool';
import { SchemaError } from './errors.js';
import type { MigrationFile } from './migration-files.js';
import { migrationRecord } from './migration-record.js';
import { tableExists, tablesCreatedBy } from './migration-state.js';

const quote = (identifier: string) => `"${identifier.replaceAll('"', '""')}"`;

function columnsOf(db: SyncQueryable, table: string): string[] {
  return db.all<{ name: string }>(`PRAGMA table_info(${quote(table)})`).map((c) => c.name);
}

function count(db: SyncQueryable, table: string): number {
  return db.get<{ n: number }>(`SELECT count(*) AS n FROM ${quote(table)}`)!.n;
}

/**
 * Adopts a database in the seed's original layout: its tables exist (for `memory.db`,
 * `shared_memory` with `key` alone as primary key) but no migration was ever recorded.
 *
 * Inside the caller's transaction (run with foreign keys off), each of the first migration's
 * tables that exists is copied to a temporary table, dropped with its indexes, created anew by the
 * first migration's SQL, and refilled from the copy. The adoption fails, and the caller's
 * transaction rolls back leaving the database untouched, if a column would be lost or a row
 * count differs. The first migration is then recorded as applied.
 *
 * @returns rows copied per table.
 */
export function adoptSeedLayout(
  db: SyncQueryable,
  baseline: MigrationFile,
): Record<string, number> {
  const tables = tablesCreatedBy(baseline).filter((t) => tableExists(db, t));
  const copied: Record<string, number> = {};
  try {
    const oldColumns = new Map<string, string[]>();
    for (const table of tables) {
      const copy = quote(`__hivedb_seed_${table}`);
      oldColumns.set(table, columnsOf(db, table));
      copied[table] = count(db, table);
      db.exec(`DROP TABLE IF EXISTS temp.${copy}`);
      db.exec(`CREATE TEMP TABLE ${copy} AS SELECT * FROM main.${quote(table)}`);
      const indexes = db.all<{ name: string; origin: string }>(
        `PRAGMA index_list(${quote(table)})`,
      );
      for (const index of indexes) {
        if (index.origin === 'c') db.exec(`DROP INDEX main.${quote(index.name)}`);
      }
      db.exec(`DROP TABLE main.${quote(table)}`);
    }
    for (const statement of baseline.up.statements) db.exec(statement);
    for (const table of tables) {
      const copy = `__hivedb_seed_${table}`;
      const wanted = new Set(columnsOf(db, table));
      const old = oldColumns.get(table)!;
      const lost = old.filter((c) => !wanted.has(c));
      if (lost.length > 0) {
        throw new SchemaError(
          'SCHEMA_ADOPTION_FAILED',
          `cannot adopt ${table}: its column(s) ${lost.join(', ')} do not exist in ${baseline.tag}; nothing was changed`,
          { details: { table, columns: lost } },
        );
      }
      const list = old.map(quote).join(', ');
      db.exec(`INSERT INTO main.${quote(table)} (${list}) SELECT ${list} FROM temp.${quote(copy)}`);
      const now = count(db, table);
      if (now !== copied[table]) {
        throw new SchemaError(
          'SCHEMA_ADOPTION_FAILED',
          `cannot adopt ${table}: ${copied[table]} row(s) before, ${now} after; nothing was changed`,
          { details: { table, before: copied[table], after: now } },
        );
      }
      db.exec(`DROP TABLE temp.${quote(copy)}`);
    }
  } catch (err) {
    if (err instanceof SchemaError) throw err;
    const sqliteCode = sqliteCodeOf(err);
    throw new SchemaError(
      'SCHEMA_ADOPTION_FAILED',
      `cannot adopt the seed's layout with ${baseline.tag}: ${(err as Error).message}; nothing was changed`,
      { cause: err, ...(sqliteCode ? { sqliteCode } : {}), details: { tag: baseline.tag, tables } },
    );
  }
  migrationRecord.ensure(db);
  migrationRecord.add(db, baseline.up.hash, baseline.when);
  return copied;
}
