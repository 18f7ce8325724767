import type { TableShape } from './table-shape.js';
import type { SchemaIssue } from './types.js';

function byName<T extends { readonly name: string }>(items: readonly T[]): Map<string, T> {
  return new Map(items.map((i) => [i.name, i]));
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/**
 * Every difference between the tables the definitions describe and the live ones: missing or
 * extra tables, columns, indexes and CHECKs; columns whose type, NOT NULL or default differ;
 * indexes whose keys, uniqueness or condition differ; primary and foreign keys that differ.
 */
export function diffSchemas(
  expected: readonly TableShape[],
  actual: readonly TableShape[],
): SchemaIssue[] {
  const issues: SchemaIssue[] = [];
  const live = byName(actual);
  for (const want of expected) {
    const have = live.get(want.name);
    if (!have) {
      issues.push({
        kind: 'missing-table',
        table: want.name,
        message: `table ${want.name} is missing`,
      });
      continue;
    }
    diffTable(want, have, issues);
  }
  const defined = new Set(expected.map((t) => t.name));
  for (const have of actual) {
    if (!defined.has(have.name)) {
      issues.push({
        kind: 'extra-table',
        table: have.name,
        message: `table ${have.name} is not in the definitions`,
      });
    }
  }
  return issues;
}

function diffTable(want: TableShape, have: TableShape, issues: SchemaIssue[]): void {
  const table = want.name;
  const haveColumns = byName(have.columns);
  for (const col of want.columns) {
    const live = haveColumns.get(col.name);
    if (!live) {
      issues.push({
        kind: 'missing-column',
        table,
        name: col.name,
        expected: col,
        message: `column ${table}.${col.name} is missing`,
      });
    } else if (!same(col, live)) {
      issues.push({
        kind: 'column-mismatch',
        table,
        name: col.name,
        expected: col,
        actual: live,
        message: `column ${table}.${col.name} differs: expected ${JSON.stringify(col)}, found ${JSON.stringify(live)}`,
      });
    }
  }
  const wantColumns = new Set(want.columns.map((c) => c.name));
  for (const col of have.columns) {
    if (!wantColumns.has(col.name)) {
      issues.push({
        kind: 'extra-column',
        table,
        name: col.name,
        actual: col,
        message: `column ${table}.${col.name} is not in the definitions`,
      });
    }
  }
  if (!same(want.primaryKey, have.primaryKey) || want.autoincrement !== have.autoincrement) {
    const expected = { columns: want.primaryKey, autoincrement: want.autoincrement };
    const actual = { columns: have.primaryKey, autoincrement: have.autoincrement };
    issues.push({
      kind: 'primary-key-mismatch',
      table,
      expected,
      actual,
      message: `primary key of ${table} differs: expected ${JSON.stringify(expected)}, found ${JSON.stringify(actual)}`,
    });
  }
  diffNamed(table, 'index', want.indexes, have.indexes, issues);
  diffNamed(table, 'check', want.checks, have.checks, issues);
  const haveFks = new Set(have.foreignKeys);
  const wantFks = new Set(want.foreignKeys);
  for (const fk of want.foreignKeys) {
    if (!haveFks.has(fk))
      issues.push({
        kind: 'foreign-key-mismatch',
        table,
        expected: fk,
        message: `foreign key ${fk} of ${table} is missing`,
      });
  }
  for (const fk of have.foreignKeys) {
    if (!wantFks.has(fk))
      issues.push({
        kind: 'foreign-key-mismatch',
        table,
        actual: fk,
        message: `foreign key ${fk} of ${table} is not in the definitions`,
      });
  }
}

function diffNamed<T extends { readonly name: string }>(
  table: string,
  what: 'index' | 'check',
  want: readonly T[],
  have: readonly T[],
  issues: SchemaIssue[],
): void {
  const live = byName(have);
  for (const item of want) {
    const found = live.get(item.name);
    if (!found) {
      issues.push({
        kind: `missing-${what}`,
        table,
        name: item.name,
        expected: item,
        message: `${what} ${item.name} on ${table} is missing`,
      });
    } else if (!same(item, found)) {
      issues.push({
        kind: `${what}-mismatch`,
        table,
        name: item.name,
        expected: item,
        actual: found,
        message: `${what} ${item.name} on ${table} differs: expected ${JSON.stringify(item)}, found ${JSON.stringify(found)}`,
      });
    }
  }
  const defined = new Set(want.map((i) => i.name));
  for (const item of have) {
    if (!defined.has(item.name)) {
      issues.push({
        kind: `extra-${what}`,
        table,
        name: item.name,
        actual: item,
        message: `${what} ${item.name} on ${table} is not in the definitions`,
      });
    }
  }
}
