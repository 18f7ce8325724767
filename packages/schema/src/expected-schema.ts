import { Column, is, SQL, sql } from 'drizzle-orm';
import { getTableConfig, type SQLiteTable, SQLiteSyncDialect } from 'drizzle-orm/sqlite-core';
import { type IndexShape, normalizeSql, sortShape, type TableShape } from './table-shape.js';

const dialect = new SQLiteSyncDialect();

/** SQL text of a Drizzle fragment with its parameters inlined, as drizzle-kit writes it. */
function render(fragment: SQL, source?: 'indexes'): string {
  return dialect.sqlToQuery(sql`${fragment}`.inlineParams(), source).sql;
}

function renderDefault(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  if (is(value, SQL)) return normalizeSql(render(value));
  if (typeof value === 'string') return normalizeSql(`'${value.replaceAll("'", "''")}'`);
  if (typeof value === 'object') return normalizeSql(`'${JSON.stringify(value)}'`);
  return normalizeSql(String(value));
}

/** An index key written as SQL: `"col" DESC` stays a column; anything else is an expression. */
function indexKey(text: string): string {
  const column = /^\s*[`"]?([A-Za-z_]\w*)[`"]?(?:\s+(ASC|DESC))?\s*$/i.exec(text);
  if (!column) return normalizeSql('<expression>');
  return normalizeSql(`${column[1]}${column[2]?.toUpperCase() === 'DESC' ? ' desc' : ''}`);
}

/**
 * The shapes the Drizzle definitions describe, in the form drizzle-kit gives them in SQL
 * (composite keys, named CHECKs, partial and DESC indexes, `.unique()` as unique indexes).
 */
export function expectedSchema(tables: readonly SQLiteTable[]): TableShape[] {
  return tables.map((table) => {
    const config = getTableConfig(table);
    const columns = config.columns.map((c) => ({
      name: c.name,
      type: c.getSQLType().toUpperCase(),
      notNull: c.notNull,
      defaultValue: renderDefault(c.default),
    }));
    const indexes: IndexShape[] = config.indexes.map((i) => ({
      name: i.config.name,
      unique: i.config.unique,
      columns: i.config.columns.map((c) =>
        is(c, Column) ? normalizeSql(c.name) : indexKey(render(c, 'indexes')),
      ),
      where: i.config.where ? normalizeSql(render(i.config.where, 'indexes')) : null,
    }));
    for (const u of config.uniqueConstraints) {
      indexes.push({
        name: u.getName() ?? `${config.name}_${u.columns.map((c) => c.name).join('_')}_unique`,
        unique: true,
        columns: u.columns.map((c) => normalizeSql(c.name)),
        where: null,
      });
    }
    for (const c of config.columns) {
      if (c.isUnique) {
        indexes.push({
          name: c.uniqueName ?? `${config.name}_${c.name}_unique`,
          unique: true,
          columns: [normalizeSql(c.name)],
          where: null,
        });
      }
    }
    const composite = config.primaryKeys[0];
    return sortShape({
      name: config.name,
      columns,
      primaryKey: composite
        ? composite.columns.map((c) => c.name)
        : config.columns.filter((c) => c.primary).map((c) => c.name),
      autoincrement: config.columns.some(
        (c) => (c as { autoIncrement?: boolean }).autoIncrement === true,
      ),
      indexes,
      checks: config.checks.map((c) => ({
        name: c.name,
        expression: normalizeSql(render(c.value)),
      })),
      foreignKeys: config.foreignKeys.map((fk) => {
        const ref = fk.reference();
        const parent = getTableConfig(ref.foreignTable).name;
        return `${ref.columns.map((c) => c.name).join(',')}->${parent}(${ref.foreignColumns
          .map((c) => c.name)
          .join(
            ',',
          )}) on delete ${fk.onDelete ?? 'no action'} on update ${fk.onUpdate ?? 'no action'}`.toLowerCase();
      }),
    });
  });
}
