import type { SyncQueryable } from '@hivedb/pool';
import { MIGRATIONS_TABLE } from './migration-record.js';
import {
  type CheckShape,
  type IndexShape,
  normalizeSql,
  sortShape,
  type TableShape,
} from './table-shape.js';

const quote = (identifier: string) => `"${identifier.replaceAll('"', '""')}"`;

/** The text inside the parenthesis that opens at `open`, and the index just after it closes. */
function balanced(sql: string, open: number): { inner: string; end: number } | null {
  let depth = 0;
  let quoteChar: string | null = null;
  for (let i = open; i < sql.length; i++) {
    const ch = sql[i]!;
    if (quoteChar) {
      if (ch === quoteChar) quoteChar = null;
    } else if (ch === "'" || ch === '"' || ch === '`') quoteChar = ch;
    else if (ch === '(') depth++;
    else if (ch === ')' && --depth === 0) return { inner: sql.slice(open + 1, i), end: i + 1 };
  }
  return null;
}

const CHECK = /(?:CONSTRAINT\s+[`"[]?(\w+)[`"\]]?\s+)?CHECK\s*\(/gi;

/** The CHECK constraints of a `CREATE TABLE` statement (unnamed ones get the name `''`). */
function checksOf(createSql: string): CheckShape[] {
  const checks: CheckShape[] = [];
  for (const match of createSql.matchAll(CHECK)) {
    const found = balanced(createSql, match.index + match[0].length - 1);
    if (found) checks.push({ name: match[1] ?? '', expression: normalizeSql(found.inner) });
  }
  return checks;
}

/** The partial-index condition of a `CREATE INDEX` statement, or null. */
function whereOf(createSql: string): string | null {
  const on = /\sON\s+[`"[]?[\w]+[`"\]]?\s*\(/i.exec(createSql);
  if (!on) return null;
  const cols = balanced(createSql, on.index + on[0].length - 1);
  const rest = cols ? /^\s*WHERE\s+([\s\S]+)$/i.exec(createSql.slice(cols.end)) : null;
  return rest ? normalizeSql(rest[1]!) : null;
}

/**
 * The shapes of every table of the live database except SQLite's own (`sqlite_*`) and the
 * migrations record, read from `sqlite_master` and the schema pragmas.
 */
export function readLiveSchema(db: SyncQueryable): TableShape[] {
  const tables = db.all<{ name: string; sql: string }>(
    "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND substr(name, 1, 7) <> 'sqlite_' AND name <> ? ORDER BY name",
    [MIGRATIONS_TABLE],
  );
  return tables.map(({ name, sql }) => {
    const t = quote(name);
    const info = db.all<{
      name: string;
      type: string;
      notnull: number;
      dflt_value: string | null;
      pk: number;
      hidden: number;
    }>(`PRAGMA table_xinfo(${t})`);
    const columns = info
      .filter((c) => c.hidden !== 1)
      .map((c) => ({
        name: c.name,
        type: c.type.toUpperCase(),
        notNull: c.notnull === 1,
        defaultValue: c.dflt_value === null ? null : normalizeSql(c.dflt_value),
      }));
    const primaryKey = info
      .filter((c) => c.pk > 0)
      .sort((a, b) => a.pk - b.pk)
      .map((c) => c.name);
    const indexes: IndexShape[] = db
      .all<{ name: string; unique: number; origin: string }>(`PRAGMA index_list(${t})`)
      .filter((i) => i.origin === 'c')
      .map((i) => {
        const keys = db
          .all<{ cid: number; name: string | null; desc: number; key: number }>(
            `PRAGMA index_xinfo(${quote(i.name)})`,
          )
          .filter((k) => k.key === 1);
        const createSql =
          db.get<{ sql: string | null }>(
            "SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ?",
            [i.name],
          )?.sql ?? '';
        return {
          name: i.name,
          unique: i.unique === 1,
          columns: keys.map((k) =>
            normalizeSql(k.cid === -2 ? '<expression>' : `${k.name}${k.desc ? ' desc' : ''}`),
          ),
          where: whereOf(createSql),
        };
      });
    const fkRows = db.all<{
      id: number;
      seq: number;
      table: string;
      from: string;
      to: string | null;
      on_update: string;
      on_delete: string;
    }>(`PRAGMA foreign_key_list(${t})`);
    const byId = new Map<number, typeof fkRows>();
    for (const row of fkRows) byId.set(row.id, [...(byId.get(row.id) ?? []), row]);
    const foreignKeys = [...byId.values()].map((rows) => {
      rows.sort((a, b) => a.seq - b.seq);
      const first = rows[0]!;
      return `${rows.map((r) => r.from).join(',')}->${first.table}(${rows.map((r) => r.to ?? '').join(',')}) on delete ${first.on_delete} on update ${first.on_update}`.toLowerCase();
    });
    return sortShape({
      name,
      columns,
      primaryKey,
      autoincrement: /\bAUTOINCREMENT\b/i.test(sql),
      indexes,
      checks: checksOf(sql),
      foreignKeys,
    });
  });
}
