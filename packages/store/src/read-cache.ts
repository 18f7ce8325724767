import { LRUCache } from 'lru-cache';
import type { EntryRow } from './backend.js';
import type { StoreCacheOptions } from './options.js';

/** A cached entry: the row as read (`null`: there was none), its value parsed and deeply frozen, and when it was read. */
export interface CachedEntry {
  readonly row: EntryRow | null;
  readonly value: unknown;
  /** The database's generation the row was read at. */
  readonly gen: number;
  /** `performance.now()` when it was read (for `staleMs`). */
  readonly at: number;
  /** The store's local-write epoch when the read began (for `staleMs`). */
  readonly epoch: number;
  /** `row.metadata` parsed and frozen, once asked for. */
  custom?: Readonly<Record<string, unknown>> | null;
}

/**
 * The store's read cache: an LRU bounded by entries and bytes (lru-cache). It never decides on
 * its own that an entry is current: the store serves an entry only while the database's
 * generation is the one it was read at (no commit anywhere since), or, with `staleMs`, for that
 * long after the read when this store has not written since. Eviction only forgets; it never
 * touches the database.
 */
export class ReadCache {
  readonly #lru: LRUCache<string, CachedEntry>;
  readonly staleMs: number;
  hits = 0;
  misses = 0;
  invalidations = 0;
  evictions = 0;

  constructor(opts: Required<StoreCacheOptions>) {
    this.staleMs = opts.staleMs;
    this.#lru = new LRUCache<string, CachedEntry>({
      max: opts.maxEntries,
      maxSize: opts.maxBytes,
      dispose: (_value, _key, reason) => {
        if (reason === 'evict') this.evictions++;
      },
    });
  }

  get size(): number {
    return this.#lru.size;
  }

  get bytes(): number {
    return this.#lru.calculatedSize;
  }

  /** The entry under `ck`, valid or not (the caller validates). Marks it recently used. */
  peek(ck: string): CachedEntry | undefined {
    return this.#lru.get(ck);
  }

  store(ck: string, entry: CachedEntry): void {
    // UTF-16 text is two bytes a unit; the parsed value costs about as much again.
    const row = entry.row;
    const size =
      (row === null ? 0 : 4 * row.value.length + 2 * (row.metadata?.length ?? 0)) +
      2 * ck.length +
      200;
    if (size > this.#lru.maxSize) return;
    this.#lru.set(ck, entry, { size });
  }

  /** Forgets one entry; true when there was one. */
  drop(ck: string): boolean {
    if (!this.#lru.delete(ck)) return false;
    this.invalidations++;
    return true;
  }

  /** Forgets every entry of `namespace` (every entry when `undefined`). */
  dropNamespace(namespace: string | undefined): void {
    if (namespace === undefined) {
      this.invalidations += this.#lru.size;
      this.#lru.clear();
      return;
    }
    const prefix = `${namespace}\0`;
    for (const ck of [...this.#lru.keys()]) if (ck.startsWith(prefix)) this.drop(ck);
  }

  clear(): void {
    this.#lru.clear();
  }
}

/** Freezes a parsed JSON value and everything in it. */
export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    if (Array.isArray(value)) for (const v of value) deepFreeze(v);
    else for (const k in value) deepFreeze((value as Record<string, unknown>)[k]);
  }
  return value;
}
