import type { SQLiteTable } from 'drizzle-orm/sqlite-core';
import { SchemaError } from './errors.js';
import { type DatabaseName, packagedMigrationsFolder } from './migrations-folder.js';
import * as hive from './tables/hive.js';
import * as memory from './tables/memory.js';

// Every table exported by a tables file belongs to its database: drizzle-kit reads the same
// exports, so a table added there is in the migrations, the definitions and the integrity check.

/** The tables of `memory.db`, keyed by their export name. */
export const memoryTables = Object.freeze({ ...memory });

/** The tables of `hive.db`, keyed by their export name. */
export const hiveTables = Object.freeze({ ...hive });

/** One database's Drizzle tables, its file name under the root, and its migrations folder. */
export interface SchemaDefinition<
  Tables extends Record<string, SQLiteTable> = Record<string, SQLiteTable>,
> {
  /** `'memory'` or `'hive'`. */
  readonly name: DatabaseName;
  /** The database's file name under the root (`memory.db`, `hive.db`). */
  readonly filename: string;
  /** The Drizzle tables; pass them to `drizzle(raw, { schema: tables })` for relational queries. */
  readonly tables: Tables;
  /** The absolute path of the drizzle-kit migrations folder shipped with this package. */
  readonly migrationsFolder: string;
}

/** What `schemaFor` returns for each database. */
export interface SchemaDefinitions {
  readonly memory: SchemaDefinition<typeof memoryTables>;
  readonly hive: SchemaDefinition<typeof hiveTables>;
}

/**
 * One database's definition: its tables, file name and migrations folder. `@hivedb/store` and
 * `@hivedb/monitor` build their queries on these tables.
 *
 * @example
 * const { tables, migrationsFolder } = schemaFor('hive');
 * drizzle(raw).insert(tables.queryPerformance).values({ queryType: 'get', executionTimeMs: 0.4, timestamp: Date.now() }).run();
 */
export function schemaFor<Name extends DatabaseName>(name: Name): SchemaDefinitions[Name] {
  if (name === 'memory') {
    const def: SchemaDefinitions['memory'] = Object.freeze({
      name: 'memory',
      filename: 'memory.db',
      tables: memoryTables,
      migrationsFolder: packagedMigrationsFolder('memory'),
    });
    return def as SchemaDefinitions[Name];
  }
  if (name === 'hive') {
    const def: SchemaDefinitions['hive'] = Object.freeze({
      name: 'hive',
      filename: 'hive.db',
      tables: hiveTables,
      migrationsFolder: packagedMigrationsFolder('hive'),
    });
    return def as SchemaDefinitions[Name];
  }
  throw new SchemaError(
    'SCHEMA_INVALID_OPTION',
    `schemaFor: unknown database ${JSON.stringify(name)} (expected 'memory' or 'hive')`,
    { details: { option: 'name', value: name } },
  );
}
