import { StoreError } from './errors.js';

/** The cache and buffer key of an entry. Namespaces and keys never contain NUL, so it is unique. */
export function entryKey(namespace: string, key: string): string {
  return `${namespace}\0${key}`;
}

const isSurrogate = (u: number) => u >= 0xd800 && u <= 0xdfff;

/**
 * Compares two strings in code point order, which is the order of their UTF-8 bytes and so the
 * order SQLite's BINARY collation gives keys. (JavaScript's `<` compares UTF-16 units, which puts
 * U+E000…U+FFFF after astral characters.)
 */
export function compareKeys(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    if (isSurrogate(x) && y >= 0xe000) return 1;
    if (isSurrogate(y) && x >= 0xe000) return -1;
    return x - y;
  }
  return a.length - b.length;
}

/**
 * The smallest string greater than every string that starts with `prefix` (in code point order),
 * or `null` when there is none. With it, `key >= prefix AND key < upper` is an index range.
 */
export function prefixUpperBound(prefix: string): string | null {
  let p = prefix;
  while (p.length > 0) {
    const last = p.codePointAt(p.length - 1);
    // A trailing low surrogate belongs to a pair: take the whole code point.
    const width = last !== undefined && last >= 0xdc00 && last <= 0xdfff && p.length >= 2 ? 2 : 1;
    const cp = p.codePointAt(p.length - width)!;
    p = p.slice(0, p.length - width);
    if (cp < 0x10ffff) {
      const next = cp + 1 === 0xd800 ? 0xe000 : cp + 1;
      return p + String.fromCodePoint(next);
    }
  }
  return null;
}

interface CursorBody {
  readonly v: 1;
  readonly n: string;
  readonly k: string;
  readonly r: boolean;
}

/** An opaque `list()` cursor: the last key of a page, bound to its namespace and direction. */
export function encodeCursor(namespace: string, key: string, reverse: boolean): string {
  const body: CursorBody = { v: 1, n: namespace, k: key, r: reverse };
  return Buffer.from(JSON.stringify(body), 'utf8').toString('base64url');
}

/** The key a cursor points after; `STORE_INVALID_CURSOR` if it was not made for this listing. */
export function decodeCursor(cursor: unknown, namespace: string, reverse: boolean): string {
  let body: Partial<CursorBody> | undefined;
  if (typeof cursor === 'string' && cursor.length > 0 && cursor.length < 65_536) {
    try {
      body = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Partial<CursorBody>;
    } catch {
      body = undefined;
    }
  }
  if (body === undefined || body === null || body.v !== 1 || typeof body.k !== 'string')
    throw new StoreError('STORE_INVALID_CURSOR', 'the cursor was not made by list()');
  if (body.n !== namespace || body.r !== reverse)
    throw new StoreError(
      'STORE_INVALID_CURSOR',
      `the cursor belongs to a listing of namespace ${JSON.stringify(body.n)}${body.r ? ' in reverse' : ''}, not of ${JSON.stringify(namespace)}${reverse ? ' in reverse' : ''}`,
    );
  return body.k;
}
