import type { EntryRow } from './backend.js';
import type { StoreContext } from './context.js';
import { invalidArgument, isStoreOutcome } from './errors.js';
import { type CachedEntry, deepFreeze } from './read-cache.js';
import type { TransientEntry } from './transient-store.js';
import { getVersion } from './history.js';
import type { DataType, EntryMetadata, GetOptions, GetResult } from './types.js';

/** A live entry as a read found it. */
export interface Found {
  readonly row: EntryRow;
  /** The value, parsed and deeply frozen. */
  readonly value: unknown;
  /** Where the parsed metadata is kept once asked for. */
  readonly holder: CachedEntry | TransientEntry | undefined;
  readonly transient: TransientEntry | undefined;
  readonly cacheHit: boolean;
}

const expired = (row: EntryRow, now: number) => row.expiresAt !== null && row.expiresAt <= now;

/** What `lookup` returns when only a read of the database can tell. */
export const MUST_READ: unique symbol = Symbol('must read');

/**
 * The live entry `(namespace, key)` if memory can answer for it, synchronously: a transient
 * entry of this store, or a cached row that is still what a fresh read would return (`null`: it
 * is absent or expired). `MUST_READ` otherwise. A cache miss is counted here.
 */
export function lookup(
  ctx: StoreContext,
  namespace: string,
  key: string,
  ck: string,
  now: number,
  bypassCache: boolean,
): Found | null | typeof MUST_READ {
  if (ctx.transient.size > 0) {
    const t = ctx.transient.live(ck, now);
    if (t !== undefined)
      return { row: t.row, value: t.value, holder: t, transient: t, cacheHit: false };
  }
  const cache = ctx.cache;
  if (cache === null || bypassCache) return MUST_READ;
  const e = cache.peek(ck);
  if (e !== undefined) {
    const valid =
      (cache.staleMs > 0 && e.epoch === ctx.epoch && performance.now() - e.at <= cache.staleMs) ||
      e.gen === ctx.backend.generation();
    if (valid) {
      cache.hits++;
      if (ctx.events.listening('cache')) ctx.events.emit('cache', { type: 'hit', namespace, key });
      const row = e.row;
      if (row === null || expired(row, now)) return null;
      return { row, value: e.value, holder: e, transient: undefined, cacheHit: true };
    }
    cache.drop(ck);
    if (ctx.events.listening('cache'))
      ctx.events.emit('cache', { type: 'invalidate', namespace, key, reason: 'commit' });
  }
  cache.misses++;
  if (ctx.events.listening('cache')) ctx.events.emit('cache', { type: 'miss', namespace, key });
  return MUST_READ;
}

/** Reads `(namespace, key)` from the database, and caches the row (when the cache is on). */
export async function fetchEntry(
  ctx: StoreContext,
  namespace: string,
  key: string,
  ck: string,
  now: number,
): Promise<Found | null> {
  const cache = ctx.cache;
  // Taken right before the read, with nothing awaited in between: the read is served from the
  // snapshot this generation describes (or a later one, which only makes the entry stale sooner).
  const gen = cache === null ? undefined : ctx.backend.generation();
  const epoch = ctx.epoch;
  const at = performance.now();
  const row = await ctx.backend.read(namespace, key);
  const value = row === undefined ? undefined : deepFreeze(JSON.parse(row.value));
  if (cache !== null && gen !== undefined)
    cache.store(ck, { row: row ?? null, value, gen, at, epoch });
  if (row === undefined || expired(row, now)) return null;
  return { row, value, holder: undefined, transient: undefined, cacheHit: false };
}

/** The live entry `(namespace, key)`, or `null`: from memory when it can tell, else from the database. */
export function readEntry(
  ctx: StoreContext,
  namespace: string,
  key: string,
  ck: string,
  now: number,
  bypassCache: boolean,
): Promise<Found | null> {
  const found = lookup(ctx, namespace, key, ck, now, bypassCache);
  return found === MUST_READ ? fetchEntry(ctx, namespace, key, ck, now) : Promise.resolve(found);
}

/** The entry's bookkeeping, with this store's reads that are not flushed yet. */
export function metadataOf(
  ctx: StoreContext,
  namespace: string,
  key: string,
  ck: string,
  found: Found,
): EntryMetadata {
  const { row, holder } = found;
  let custom = holder?.custom;
  if (custom === undefined) {
    custom =
      row.metadata === null
        ? null
        : (deepFreeze(JSON.parse(row.metadata)) as Readonly<Record<string, unknown>>);
    if (holder !== undefined) holder.custom = custom;
  }
  let accessCount = row.accessCount;
  let lastAccessed = row.lastAccessed;
  const t = found.transient;
  const pending = t === undefined ? ctx.access.pending(ck) : undefined;
  const more = t !== undefined ? { count: t.reads, last: t.lastRead } : pending;
  if (more !== undefined) {
    accessCount += more.count;
    if (more.last !== null && (lastAccessed === null || more.last > lastAccessed))
      lastAccessed = more.last;
  }
  return {
    namespace,
    key,
    dataType: row.dataType as DataType,
    version: row.version,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
    expiresAt: row.expiresAt,
    size: row.size,
    accessCount,
    lastAccessed,
    custom,
  };
}

/** `get()`: the value (deeply frozen), or `null`; with `includeMetadata`, `{ value, metadata, found }`. */
export function get(
  ctx: StoreContext,
  keyInput: unknown,
  options: GetOptions | undefined,
): Promise<unknown> {
  let namespace = ctx.opts.defaultNamespace;
  let agentId: string | undefined;
  let includeMetadata = false;
  let bypass = false;
  if (options !== undefined) {
    if (options === null || typeof options !== 'object')
      throw invalidArgument('options', options, 'an object');
    if (options.namespace !== undefined) namespace = ctx.namespace(options.namespace);
    if (options.agentId !== undefined) agentId = ctx.agent(options.agentId);
    includeMetadata = options.includeMetadata === true;
    bypass = options.bypassCache === true;
    if (options.version !== undefined) {
      if (includeMetadata)
        throw invalidArgument(
          'options',
          { version: options.version, includeMetadata: true },
          'version or includeMetadata, not both (history() gives a version with its metadata)',
        );
      return getVersion(ctx, namespace, ctx.key(keyInput), options.version);
    }
  }
  const key = ctx.key(keyInput);
  const t0 = agentId !== undefined || ctx.events.listening('get') ? performance.now() : 0;
  const now = ctx.now();
  const ck = `${namespace}\0${key}`;
  // The hot path: a cache hit answers without a promise of its own or a database call.
  const found = lookup(ctx, namespace, key, ck, now, bypass);
  if (found !== MUST_READ)
    return Promise.resolve(done(ctx, namespace, key, ck, now, found, agentId, includeMetadata, t0));
  return fetchEntry(ctx, namespace, key, ck, now).then(
    (f) => done(ctx, namespace, key, ck, now, f, agentId, includeMetadata, t0),
    (err: unknown) => {
      if (!isStoreOutcome(err)) ctx.reportError('get', err);
      throw err;
    },
  );
}

function done(
  ctx: StoreContext,
  namespace: string,
  key: string,
  ck: string,
  now: number,
  found: Found | null,
  agentId: string | undefined,
  includeMetadata: boolean,
  t0: number,
): unknown {
  ctx.counters.reads++;
  if (found !== null) {
    const t = found.transient;
    if (t === undefined) ctx.access.read(ck, namespace, key, now);
    else {
      t.reads++;
      t.lastRead = now;
    }
    if (agentId !== undefined) ctx.log(agentId, namespace, key, 'read', t0, true);
  }
  if (ctx.events.listening('get')) {
    ctx.events.emit('get', {
      namespace,
      key,
      found: found !== null,
      cacheHit: found?.cacheHit ?? false,
      ...(agentId === undefined ? {} : { agentId }),
      durationMs: performance.now() - t0,
    });
  }
  if (!includeMetadata) return found === null ? null : found.value;
  const result: GetResult =
    found === null
      ? { value: null, metadata: null, found: false }
      : { value: found.value, metadata: metadataOf(ctx, namespace, key, ck, found), found: true };
  return result;
}
