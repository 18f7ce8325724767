import { isWord, type Token, tokenize } from './sql-lexer.js';

const KEYWORDS = new Set(
  (
    'ABORT ALL ALTER ANALYZE AND AS ASC ATTACH AUTOINCREMENT BEGIN BETWEEN BY CASE CAST COLLATE ' +
    'COMMIT CONFLICT CREATE CROSS CURRENT_DATE CURRENT_TIME CURRENT_TIMESTAMP DEFAULT DELETE DESC ' +
    'DETACH DISTINCT DO DROP ELSE END ESCAPE EXCEPT EXISTS EXPLAIN FAIL FILTER FROM FULL GLOB GROUP ' +
    'HAVING IF IGNORE IN INDEX INDEXED INNER INSERT INTERSECT INTO IS ISNULL JOIN KEY LEFT LIKE ' +
    'LIMIT MATCH MATERIALIZED NATURAL NOT NOTHING NOTNULL NULL NULLS OF OFFSET ON OR ORDER OUTER ' +
    'OVER PARTITION PLAN PRAGMA PRIMARY QUERY RAISE RECURSIVE REGEXP REINDEX RELEASE RENAME ' +
    'REPLACE RETURNING RIGHT ROLLBACK ROWID SAVEPOINT SELECT SET TABLE TEMP THEN TO TRANSACTION ' +
    'UNION UNIQUE UPDATE UPSERT USING VACUUM VALUES VIEW VIRTUAL WHEN WHERE WINDOW WITH WITHOUT'
  ).split(' '),
);

/** Operation names a statement is counted under (OpenTelemetry's `db.operation.name`). */
const OPERATIONS = new Set([
  'SELECT',
  'INSERT',
  'UPDATE',
  'DELETE',
  'REPLACE',
  'VALUES',
  'PRAGMA',
  'CREATE',
  'DROP',
  'ALTER',
  'EXPLAIN',
  'ANALYZE',
  'VACUUM',
  'REINDEX',
  'ATTACH',
  'DETACH',
  'BEGIN',
  'COMMIT',
  'END',
  'ROLLBACK',
  'SAVEPOINT',
  'RELEASE',
]);

/** Whether `word` is an SQL keyword (so not a table alias). */
export function isKeyword(word: string): boolean {
  return KEYWORDS.has(word.toUpperCase());
}

const MAX_NORMALIZED = 4096;

/** What a statement's text says about it. */
export interface StatementShape {
  /** The statement with literals and parameters replaced by `?`, `IN` lists and repeated `VALUES` rows collapsed, keywords upper-cased, whitespace and comments dropped. */
  readonly normalized: string;
  /** `SELECT`, `INSERT`, `UPDATE`, `DELETE`, … (the main statement of a `WITH`), or `OTHER`. */
  readonly operation: string;
}

/**
 * Normalises a statement so that the same statement with other literals counts as one.
 *
 * @example
 * shapeOf("SELECT * FROM kv WHERE k IN ('a', 'b') AND n > 3").normalized
 * // 'SELECT * FROM kv WHERE k IN (...) AND n > ?'
 */
export function shapeOf(sql: string): StatementShape {
  const tokens = tokenize(sql);
  return { normalized: normalize(tokens), operation: operationOf(tokens) };
}

function render(t: Token): string {
  switch (t.type) {
    case 'string':
    case 'number':
    case 'blob':
    case 'param':
      return '?';
    case 'ident':
      return `"${t.text.replaceAll('"', '""')}"`;
    case 'word':
      return KEYWORDS.has(t.text.toUpperCase()) ? t.text.toUpperCase() : t.text;
    default:
      return t.text;
  }
}

function normalize(tokens: readonly Token[]): string {
  const parts: string[] = [];
  let prev = '';
  let prevCall = false;
  let length = 0;
  const push = (s: string, call = false) => {
    const glue =
      parts.length === 0 ||
      (s === '(' && prevCall) ||
      s === ',' ||
      s === ')' ||
      s === '.' ||
      s === ';' ||
      prev === '(' ||
      prev === '.';
    parts.push(glue ? s : ` ${s}`);
    length += s.length + 1;
    prev = s;
    prevCall = call;
  };
  // Where the first row after VALUES ends: further rows of the same statement are dropped.
  let rowEnd = -1;
  let i = 0;
  while (i < tokens.length && length < MAX_NORMALIZED) {
    const t = tokens[i]!;
    if (i === rowEnd + 1 && rowEnd >= 0) {
      rowEnd = -1;
      let j = i;
      while (tokens[j]?.text === ',' && tokens[j + 1]?.text === '(') {
        const close = matching(tokens, j + 1);
        if (close < 0) break;
        j = close + 1;
      }
      if (j > i) {
        push(',');
        push('...');
        i = j;
        continue;
      }
    }
    // IN (?, ?, …) and IN (…literals…) → IN (...)
    if (isWord(t, 'IN') && tokens[i + 1]?.text === '(') {
      const end = listOfValues(tokens, i + 2);
      if (end > 0) {
        push('IN');
        push('(...)');
        i = end + 1;
        continue;
      }
    }
    if (isWord(t, 'VALUES') && tokens[i + 1]?.text === '(') rowEnd = matching(tokens, i + 1);
    // A function call or a table's column list: `count(*)`, `items(owner)`.
    push(
      render(t),
      (t.type === 'word' && !KEYWORDS.has(t.text.toUpperCase())) || t.type === 'ident',
    );
    i++;
  }
  return parts.join('');
}

/** The index of the `)` that closes the `(` at `open`, or -1. */
function matching(tokens: readonly Token[], open: number): number {
  let depth = 0;
  for (let j = open; j < tokens.length; j++) {
    const text = tokens[j]!.type === 'op' ? tokens[j]!.text : '';
    if (text === '(') depth++;
    else if (text === ')' && --depth === 0) return j;
  }
  return -1;
}

/** If tokens from `start` are `value, value, … )` with only literals or parameters, the index of `)`; else -1. */
function listOfValues(tokens: readonly Token[], start: number): number {
  let expectValue = true;
  for (let j = start; j < tokens.length; j++) {
    const t = tokens[j]!;
    if (expectValue) {
      if (t.type === 'op' && (t.text === '-' || t.text === '+')) continue;
      if (
        t.type !== 'string' &&
        t.type !== 'number' &&
        t.type !== 'blob' &&
        t.type !== 'param' &&
        !isWord(t, 'NULL')
      )
        return -1;
      expectValue = false;
    } else if (t.text === ',') expectValue = true;
    else if (t.text === ')') return j;
    else return -1;
  }
  return -1;
}

function operationOf(tokens: readonly Token[]): string {
  const first = tokens.find((t) => t.type === 'word');
  if (first === undefined) return 'OTHER';
  const word = first.text.toUpperCase();
  if (word === 'WITH') {
    let depth = 0;
    for (const t of tokens) {
      if (t.text === '(') depth++;
      else if (t.text === ')') depth--;
      else if (depth === 0 && t.type === 'word') {
        const w = t.text.toUpperCase();
        if (
          w === 'SELECT' ||
          w === 'INSERT' ||
          w === 'UPDATE' ||
          w === 'DELETE' ||
          w === 'REPLACE' ||
          w === 'VALUES'
        )
          return w;
      }
    }
    return 'OTHER';
  }
  return OPERATIONS.has(word) ? word : 'OTHER';
}

/**
 * NULL parameters for preparing `sql` when its real parameters are unknown (`EXPLAIN QUERY
 * PLAN`): an array for `?` / `?N` placeholders, an object for `:x` / `@x` / `$x`, `undefined`
 * for none, `null` when the statement mixes both (better-sqlite3 takes them only together).
 */
export function nullParamsFor(sql: string): unknown[] | Record<string, null> | undefined | null {
  let positional = 0;
  const named = new Set<string>();
  for (const t of tokenize(sql)) {
    if (t.type !== 'param') continue;
    if (t.text === '?') positional++;
    else if (t.text.startsWith('?')) positional = Math.max(positional, Number(t.text.slice(1)));
    else named.add(t.text.slice(1));
  }
  if (positional > 0 && named.size > 0) return null;
  if (positional > 0) return new Array(positional).fill(null);
  if (named.size > 0) return Object.fromEntries([...named].map((n) => [n, null]));
  return undefined;
}
