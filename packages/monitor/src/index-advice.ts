import { isWord, type Token, tokenize } from './sql-lexer.js';
import { isKeyword } from './statement-text.js';

/** A table a statement reads from, with the name `EXPLAIN QUERY PLAN` calls it by. */
export interface TableRef {
  readonly table: string;
  /** The alias, when the statement gives one (the plan then names the alias). */
  readonly alias: string | undefined;
}

/** A column a statement filters or sorts on. */
export interface ColumnUse {
  /** The table or alias it was qualified with (`o.team` → `o`). */
  readonly qualifier: string | undefined;
  readonly column: string;
  /**
   * `eq`: `=`, `IS`, `IN` against a value; `join`: `=` against another column; `range`: `<`,
   * `>`, `BETWEEN`, `LIKE`, `GLOB`; `order`: `ORDER BY`.
   */
  readonly kind: 'eq' | 'join' | 'range' | 'order';
}

/** The tables and the filtered or sorted columns of a statement (lexical: a heuristic, not a parser). */
export interface StatementColumns {
  readonly tables: readonly TableRef[];
  readonly uses: readonly ColumnUse[];
}

const EQ_OPS = new Set(['=', '==']);
const RANGE_OPS = new Set(['<', '>', '<=', '>=']);
const CLAUSES = new Set([
  'SELECT',
  'FROM',
  'WHERE',
  'ON',
  'SET',
  'GROUP',
  'ORDER',
  'HAVING',
  'LIMIT',
  'VALUES',
  'RETURNING',
  'USING',
  'WINDOW',
]);

const nameOf = (t: Token | undefined): string | undefined =>
  t !== undefined && (t.type === 'ident' || (t.type === 'word' && !isKeyword(t.text)))
    ? t.text
    : undefined;

/** Reads the tables, filters and sort columns out of a statement's text. */
export function statementColumns(sql: string): StatementColumns {
  const tokens = tokenize(sql);
  const tables: TableRef[] = [];
  const uses: ColumnUse[] = [];
  const stack: string[] = [];
  let clause = '';
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.type === 'op' && t.text === '(') {
      stack.push(clause);
      continue;
    }
    if (t.type === 'op' && t.text === ')') {
      clause = stack.pop() ?? '';
      continue;
    }
    if (t.type === 'word') {
      const w = t.text.toUpperCase();
      if (CLAUSES.has(w)) clause = w;
      if (w === 'FROM' || w === 'JOIN' || w === 'UPDATE') {
        i = readTableRefs(tokens, i + 1, tables, w === 'FROM') - 1;
        continue;
      }
    }
    if (clause === 'WHERE' || clause === 'ON' || clause === 'HAVING') {
      const ref = columnRefAt(tokens, i);
      if (ref === undefined) continue;
      const next = tokens[ref.end];
      const before = tokens[i - 1];
      let kind: ColumnUse['kind'] | undefined;
      if (next !== undefined) {
        if (next.type === 'op' && EQ_OPS.has(next.text)) kind = 'eq';
        else if (next.type === 'op' && RANGE_OPS.has(next.text)) kind = 'range';
        else if (isWord(next, 'IN')) kind = 'eq';
        else if (isWord(next, 'IS') && !isWord(tokens[ref.end + 1], 'NOT')) kind = 'eq';
        else if (isWord(next, 'BETWEEN') || isWord(next, 'LIKE') || isWord(next, 'GLOB'))
          kind = 'range';
      }
      if (kind === undefined && before !== undefined && before.type === 'op') {
        // `? = col`, `5 < col`: the column on the right of a comparison.
        if (EQ_OPS.has(before.text)) kind = 'eq';
        else if (RANGE_OPS.has(before.text)) kind = 'range';
      }
      if (kind === 'eq' && (columnAfter(tokens, ref.end) || isColumnBefore(tokens, i)))
        kind = 'join';
      if (kind !== undefined) uses.push({ qualifier: ref.qualifier, column: ref.column, kind });
      i = ref.end - 1;
    } else if (clause === 'ORDER') {
      const ref = columnRefAt(tokens, i);
      if (ref === undefined) continue;
      uses.push({ qualifier: ref.qualifier, column: ref.column, kind: 'order' });
      i = ref.end - 1;
    }
  }
  return { tables, uses };
}

/** Whether the comparison operator at `op` is followed by a column (`a.x = b.y`: a join). */
function columnAfter(tokens: readonly Token[], op: number): boolean {
  const t = tokens[op];
  if (t === undefined || t.type !== 'op' || !EQ_OPS.has(t.text)) return false;
  const ref = columnRefAt(tokens, op + 1);
  return ref !== undefined;
}

/** Whether the token before the operator before `i` ends a column reference. */
function isColumnBefore(tokens: readonly Token[], i: number): boolean {
  const op = tokens[i - 1];
  if (op === undefined || op.type !== 'op' || !EQ_OPS.has(op.text)) return false;
  const prev = tokens[i - 2];
  return prev !== undefined && nameOf(prev) !== undefined && tokens[i - 3]?.text !== '(';
}

/** `[schema.]table [[AS] alias]`, comma-separated after FROM; returns the index after the last. */
function readTableRefs(
  tokens: readonly Token[],
  start: number,
  out: TableRef[],
  list: boolean,
): number {
  let i = start;
  if (isWord(tokens[i], 'OR')) i += 2; // UPDATE OR REPLACE t
  for (;;) {
    let table = nameOf(tokens[i]);
    if (table === undefined) return i;
    i++;
    if (tokens[i]?.text === '.' && nameOf(tokens[i + 1]) !== undefined) {
      table = nameOf(tokens[i + 1])!;
      i += 2;
    }
    if (tokens[i]?.text === '(') return i; // a table-valued function
    if (isWord(tokens[i], 'AS')) i++;
    const alias = nameOf(tokens[i]);
    if (alias !== undefined) i++;
    out.push({ table, alias });
    if (!list || tokens[i]?.text !== ',') return i;
    i++;
  }
}

/** A column reference (`col` or `q.col`, not a function call) starting at `i`. */
function columnRefAt(
  tokens: readonly Token[],
  i: number,
): { qualifier: string | undefined; column: string; end: number } | undefined {
  const first = nameOf(tokens[i]);
  if (first === undefined) return undefined;
  if (tokens[i - 1]?.text === '.') return undefined;
  if (tokens[i + 1]?.text === '.') {
    const column = nameOf(tokens[i + 2]);
    if (column === undefined) return undefined;
    if (tokens[i + 3]?.text === '(') return undefined;
    return { qualifier: first, column, end: i + 3 };
  }
  if (tokens[i + 1]?.text === '(') return undefined;
  return { qualifier: undefined, column: first, end: i + 1 };
}

/** What one row of `EXPLAIN QUERY PLAN` says, when it is a full scan of a table or a sort. */
export type PlanFinding =
  | { readonly kind: 'scan'; readonly name: string }
  | { readonly kind: 'sort'; readonly for: 'ORDER BY' | 'GROUP BY' | 'DISTINCT' };

/** Reads a plan row's `detail`: `SCAN t` (no index) is a full scan; `USE TEMP B-TREE FOR …` a sort. */
export function planFinding(detail: string): PlanFinding | undefined {
  const scan = /^SCAN (?:TABLE )?("(?:[^"]|"")*"|\S+)(?: AS (\S+))?(.*)$/.exec(detail);
  if (scan !== null) {
    const rest = scan[3] ?? '';
    if (/USING|VIRTUAL TABLE/.test(rest)) return undefined;
    const raw = scan[2] ?? scan[1]!;
    if (raw === 'CONSTANT' || raw.startsWith('(')) return undefined;
    const name = raw.startsWith('"') ? raw.slice(1, -1).replaceAll('""', '"') : raw;
    return { kind: 'scan', name };
  }
  const sort = /^USE TEMP B-TREE FOR (ORDER BY|GROUP BY|DISTINCT)/.exec(detail);
  if (sort !== null) return { kind: 'sort', for: sort[1] as 'ORDER BY' | 'GROUP BY' | 'DISTINCT' };
  return undefined;
}

/**
 * The columns an index on the table a plan calls `name` would serve, in the order an index
 * wants them: equality columns, then one range column, else the sort columns.
 * `tableColumns`, when known, keeps only real columns of that table.
 */
export function indexColumns(
  shape: StatementColumns,
  name: string,
  tableColumns: readonly string[] | undefined,
): { table: string; columns: string[] } | undefined {
  const ref =
    shape.tables.find((t) => t.alias !== undefined && t.alias === name) ??
    shape.tables.find((t) => t.alias === undefined && t.table === name) ??
    shape.tables.find((t) => t.table === name);
  if (ref === undefined) return undefined;
  const names = new Set([ref.alias ?? ref.table, ref.table].map((n) => n.toLowerCase()));
  const known =
    tableColumns === undefined ? undefined : new Set(tableColumns.map((c) => c.toLowerCase()));
  const single = shape.tables.length === 1;
  const mine = (u: ColumnUse) =>
    (u.qualifier === undefined
      ? known !== undefined
        ? known.has(u.column.toLowerCase())
        : single
      : names.has(u.qualifier.toLowerCase())) &&
    (known === undefined || known.has(u.column.toLowerCase()));
  const columns: string[] = [];
  const add = (c: string) => {
    if (!columns.some((x) => x.toLowerCase() === c.toLowerCase())) columns.push(c);
  };
  for (const u of shape.uses) if (u.kind === 'eq' && mine(u)) add(u.column);
  const range = shape.uses.find((u) => u.kind === 'range' && mine(u));
  // A join column helps only where this table is the inner loop: used when nothing else filters it.
  if (columns.length === 0 && range === undefined)
    for (const u of shape.uses) if (u.kind === 'join' && mine(u)) add(u.column);
  if (range !== undefined) add(range.column);
  else {
    const order = shape.uses.filter((u) => u.kind === 'order');
    if (order.length > 0 && order.every(mine)) for (const u of order) add(u.column);
  }
  return { table: ref.table, columns };
}

const SIMPLE = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** An identifier as SQL: bare when it can be, double-quoted otherwise. */
export function sqlIdent(name: string): string {
  return SIMPLE.test(name) && !isKeyword(name) ? name : `"${name.replaceAll('"', '""')}"`;
}

/** The `CREATE INDEX` statement a recommendation suggests (never run by the monitor). */
export function createIndexSql(table: string, columns: readonly string[]): string {
  const name = `idx_${table}_${columns.join('_')}`.replace(/[^A-Za-z0-9_]/g, '_');
  return `CREATE INDEX ${sqlIdent(name)} ON ${sqlIdent(table)}(${columns.map(sqlIdent).join(', ')})`;
}
