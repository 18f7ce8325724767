import type { KeyRange, ListedRow } from './backend.js';
import type { StoreContext } from './context.js';
import { invalidArgument } from './errors.js';
import { keyMatcher } from './key-pattern.js';
import { compareKeys, decodeCursor, encodeCursor, prefixUpperBound } from './keys.js';
import type {
  CountOptions,
  DataType,
  KeysOptions,
  ListEntry,
  ListOptions,
  ListResult,
} from './types.js';
import { checkDataType } from './validate.js';

const MAX_LIMIT = 10_000;

function optionsObject<T>(options: T | undefined): Partial<T> {
  if (options === undefined) return {};
  if (options === null || typeof options !== 'object')
    throw invalidArgument('options', options, 'an object');
  return options;
}

function rangeOf(ctx: StoreContext, prefix: unknown): KeyRange {
  if (prefix === undefined || prefix === '') return { lower: '', upper: null };
  if (typeof prefix !== 'string' || prefix.length > ctx.opts.maxKeyLength)
    throw invalidArgument(
      'prefix',
      prefix,
      `a string of at most ${ctx.opts.maxKeyLength} characters`,
    );
  ctx.key(prefix); // the same rules as a key: no NUL, no lone surrogate
  return { lower: prefix, upper: prefixUpperBound(prefix) };
}

const inRange = (key: string, r: KeyRange) =>
  compareKeys(key, r.lower) >= 0 && (r.upper === null || compareKeys(key, r.upper) < 0);

/** `keys()`: live keys, in (namespace, key) order; this store's transient entries included. */
export async function keys(ctx: StoreContext, options: KeysOptions | undefined): Promise<string[]> {
  const o = optionsObject(options);
  const namespace = o.namespace === undefined ? undefined : ctx.namespace(o.namespace);
  const dataType: DataType | undefined =
    o.dataType === undefined ? undefined : checkDataType(o.dataType);
  const matches = o.pattern === undefined ? undefined : keyMatcher(o.pattern);
  const now = ctx.now();
  const onDisk = await ctx.backend.keys(namespace, dataType, now);
  let all = onDisk;
  if (ctx.transient.size > 0) {
    const mine = ctx.transient
      .liveIn(namespace, now)
      .filter((t) => dataType === undefined || t.row.dataType === dataType);
    if (mine.length > 0) {
      // A transient entry of this store shadows a row of the same key (written meanwhile by another process).
      const shadow = new Set(mine.map((t) => `${t.namespace}\0${t.key}`));
      all = onDisk
        .filter((r) => !shadow.has(`${r.namespace}\0${r.key}`))
        .concat(mine.map((t) => ({ namespace: t.namespace, key: t.key })));
      all.sort((a, b) =>
        a.namespace === b.namespace
          ? compareKeys(a.key, b.key)
          : compareKeys(a.namespace, b.namespace),
      );
    }
  }
  const out: string[] = [];
  for (const r of all) if (matches === undefined || matches(r.key)) out.push(r.key);
  return out;
}

/** `list()`: one page of live entries in key order, with a cursor for the next page (keyset pagination). */
export async function list(
  ctx: StoreContext,
  options: ListOptions | undefined,
): Promise<ListResult> {
  const o = optionsObject(options);
  const namespace = ctx.namespace(o.namespace);
  const range = rangeOf(ctx, o.prefix);
  const limit = o.limit ?? 100;
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT)
    throw invalidArgument('limit', limit, `an integer from 1 to ${MAX_LIMIT}`);
  if (o.reverse !== undefined && typeof o.reverse !== 'boolean')
    throw invalidArgument('reverse', o.reverse, 'a boolean');
  const reverse = o.reverse === true;
  const after =
    o.cursor === undefined || o.cursor === null ? null : decodeCursor(o.cursor, namespace, reverse);
  const now = ctx.now();
  // One row more than the page tells whether there is a next page.
  const rows: ListedRow[] = await ctx.backend.list(
    namespace,
    range,
    after,
    reverse,
    limit + 1,
    now,
  );
  let merged: ListedRow[] = rows;
  if (ctx.transient.size > 0) {
    const dir = reverse ? -1 : 1;
    const mine = ctx.transient
      .liveIn(namespace, now)
      .filter(
        (t) => inRange(t.key, range) && (after === null || dir * compareKeys(t.key, after) > 0),
      )
      .map(
        (t): ListedRow => ({
          key: t.key,
          value: t.row.value,
          dataType: t.row.dataType,
          version: t.row.version,
          createdAt: t.row.createdAt,
          updatedAt: t.row.updatedAt,
          expiresAt: t.row.expiresAt,
        }),
      );
    if (mine.length > 0) {
      const shadow = new Set(mine.map((t) => t.key));
      merged = rows
        .filter((r) => !shadow.has(r.key))
        .concat(mine)
        .sort((a, b) => dir * compareKeys(a.key, b.key));
    }
  }
  const page = merged.slice(0, limit);
  const more = merged.length > limit;
  const entries: ListEntry[] = page.map((r) => ({
    namespace,
    key: r.key,
    value: JSON.parse(r.value),
    dataType: r.dataType,
    version: r.version,
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
    expiresAt: r.expiresAt,
  }));
  const last = page[page.length - 1];
  return {
    entries,
    cursor: more && last !== undefined ? encodeCursor(namespace, last.key, reverse) : null,
  };
}

/** `count()`: live entries of a namespace, optionally under a key prefix. */
export async function count(ctx: StoreContext, options: CountOptions | undefined): Promise<number> {
  const o = optionsObject(options);
  const namespace = ctx.namespace(o.namespace);
  const range = rangeOf(ctx, o.prefix);
  const now = ctx.now();
  const onDisk = await ctx.backend.count(namespace, range, now);
  if (ctx.transient.size === 0) return onDisk;
  // A transient key is deleted from disk when written, so the two sets do not overlap (unless
  // another process wrote the same key since: then it is counted twice, a bound of the race).
  return onDisk + ctx.transient.liveIn(namespace, now).filter((t) => inRange(t.key, range)).length;
}
