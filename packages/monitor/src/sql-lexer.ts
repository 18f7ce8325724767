/** One token of an SQLite statement. */
export interface Token {
  /**
   * `word`: a bare identifier or keyword; `ident`: a quoted identifier (`"x"`, `` `x` ``, `[x]`),
   * `text` unquoted; `string`, `number`, `blob`: literals; `param`: `?`, `?3`, `:x`, `@x`, `$x`;
   * `op`: punctuation and operators.
   */
  readonly type: 'word' | 'ident' | 'string' | 'number' | 'blob' | 'param' | 'op';
  readonly text: string;
}

const isWordStart = (c: number) =>
  (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c > 127;
const isWordPart = (c: number) => isWordStart(c) || (c >= 48 && c <= 57) || c === 36;
const isDigit = (c: number) => c >= 48 && c <= 57;

const TWO_CHAR_OPS = new Set(['<=', '>=', '<>', '!=', '==', '||', '<<', '>>', '->']);

/**
 * Splits an SQLite statement into tokens, skipping whitespace and comments. Lexical only: it
 * never fails, and an unterminated literal or comment runs to the end of the text.
 */
export function tokenize(sql: string): Token[] {
  const out: Token[] = [];
  const n = sql.length;
  let i = 0;
  while (i < n) {
    const c = sql.charCodeAt(i);
    if (c === 32 || c === 9 || c === 10 || c === 13 || c === 12) {
      i++;
      continue;
    }
    if (c === 45 && sql.charCodeAt(i + 1) === 45) {
      const end = sql.indexOf('\n', i + 2);
      i = end < 0 ? n : end + 1;
      continue;
    }
    if (c === 47 && sql.charCodeAt(i + 1) === 42) {
      const end = sql.indexOf('*/', i + 2);
      i = end < 0 ? n : end + 2;
      continue;
    }
    if (c === 39) {
      const end = closing(sql, i, "'");
      out.push({ type: 'string', text: sql.slice(i + 1, end - 1).replaceAll("''", "'") });
      i = end;
      continue;
    }
    if ((c === 120 || c === 88) && sql.charCodeAt(i + 1) === 39) {
      const end = closing(sql, i + 1, "'");
      out.push({ type: 'blob', text: sql.slice(i, end) });
      i = end;
      continue;
    }
    if (c === 34 || c === 96) {
      const q = c === 34 ? '"' : '`';
      const end = closing(sql, i, q);
      out.push({ type: 'ident', text: sql.slice(i + 1, end - 1).replaceAll(q + q, q) });
      i = end;
      continue;
    }
    if (c === 91) {
      const end = sql.indexOf(']', i + 1);
      const stop = end < 0 ? n : end + 1;
      out.push({ type: 'ident', text: sql.slice(i + 1, stop - 1) });
      i = stop;
      continue;
    }
    if (isDigit(c) || (c === 46 && isDigit(sql.charCodeAt(i + 1)))) {
      let j = i;
      if (c === 48 && (sql.charCodeAt(i + 1) | 32) === 120) {
        j = i + 2;
        while (j < n && /[0-9a-fA-F_]/.test(sql[j]!)) j++;
      } else {
        while (j < n && (isDigit(sql.charCodeAt(j)) || sql[j] === '_')) j++;
        if (sql[j] === '.') {
          j++;
          while (j < n && isDigit(sql.charCodeAt(j))) j++;
        }
        if ((sql.charCodeAt(j) | 32) === 101) {
          let k = j + 1;
          if (sql[k] === '+' || sql[k] === '-') k++;
          if (isDigit(sql.charCodeAt(k))) {
            j = k;
            while (j < n && isDigit(sql.charCodeAt(j))) j++;
          }
        }
      }
      out.push({ type: 'number', text: sql.slice(i, j) });
      i = j;
      continue;
    }
    if (c === 63) {
      let j = i + 1;
      while (j < n && isDigit(sql.charCodeAt(j))) j++;
      out.push({ type: 'param', text: sql.slice(i, j) });
      i = j;
      continue;
    }
    if ((c === 58 || c === 64 || c === 36) && isWordPart(sql.charCodeAt(i + 1))) {
      let j = i + 1;
      while (j < n && isWordPart(sql.charCodeAt(j))) j++;
      out.push({ type: 'param', text: sql.slice(i, j) });
      i = j;
      continue;
    }
    if (isWordStart(c)) {
      let j = i + 1;
      while (j < n && isWordPart(sql.charCodeAt(j))) j++;
      out.push({ type: 'word', text: sql.slice(i, j) });
      i = j;
      continue;
    }
    const two = sql.slice(i, i + 2);
    if (TWO_CHAR_OPS.has(two)) {
      out.push({ type: 'op', text: two });
      i += 2;
      continue;
    }
    out.push({ type: 'op', text: sql[i]! });
    i++;
  }
  return out;
}

/** The index just past the quote that closes the literal opened at `start` (`''` is an escaped quote). */
function closing(sql: string, start: number, q: string): number {
  let i = start + 1;
  for (;;) {
    const end = sql.indexOf(q, i);
    if (end < 0) return sql.length;
    if (sql[end + 1] === q) {
      i = end + 2;
      continue;
    }
    return end + 1;
  }
}

/** Whether `t` is the bare word `word` (case-insensitive). */
export function isWord(t: Token | undefined, word: string): boolean {
  return t !== undefined && t.type === 'word' && t.text.toUpperCase() === word;
}
