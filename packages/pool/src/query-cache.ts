import type { EventBus } from './event-bus.js';
import type { PoolEvents } from './events.js';

/** One cached result and the snapshot it was read in. */
interface Entry {
  readonly value: unknown;
  readonly expiresAt: number;
  readonly generation: number;
}

/** Why entries were dropped. */
export type InvalidationReason = 'write' | 'external-commit' | 'ttl' | 'evict';

/**
 * The pool's query result cache. An entry is served only while the pool's generation is the one
 * it was read at: the generation moves on every commit of this pool and whenever a snapshot
 * finds `PRAGMA data_version` changed (a commit by another connection or process). So a hit
 * always equals what a fresh read in the current snapshot would return.
 * Results are frozen: a caller cannot change a cached row in place.
 */
export class QueryCache {
  readonly #max: number;
  readonly #map = new Map<string, Entry>();
  hits = 0;
  misses = 0;
  invalidations = 0;

  constructor(maxEntries: number) {
    this.#max = maxEntries;
  }

  /** The cache key of a statement and its parameters, or undefined when they cannot be keyed. */
  static key(sql: string, params: unknown, op: 'get' | 'all'): string | undefined {
    if (params === undefined) return `${op}\u0000${sql}`;
    try {
      return `${op}\u0000${sql}\u0000${JSON.stringify(params)}`;
    } catch {
      return undefined; // BigInt or cyclic parameters: not cacheable.
    }
  }

  /** The cached value, or `undefined` with the reason it is not servable. */
  lookup(
    key: string,
    generation: number,
    now: number,
  ): { hit: true; value: unknown } | { hit: false; dropped?: InvalidationReason } {
    const e = this.#map.get(key);
    if (e === undefined) {
      this.misses++;
      return { hit: false };
    }
    if (e.expiresAt <= now) {
      this.#map.delete(key);
      this.misses++;
      this.invalidations++;
      return { hit: false, dropped: 'ttl' };
    }
    if (e.generation !== generation) {
      this.#map.delete(key);
      this.misses++;
      this.invalidations++;
      return { hit: false, dropped: 'external-commit' };
    }
    this.hits++;
    return { hit: true, value: e.value };
  }

  store(key: string, value: unknown, generation: number, expiresAt: number): unknown {
    const frozen = freezeResult(value);
    if (this.#map.size >= this.#max) {
      const oldest = this.#map.keys().next().value as string;
      this.#map.delete(oldest);
    }
    this.#map.set(key, { value: frozen, expiresAt, generation });
    return frozen;
  }

  /** Drops every entry (a write through this pool); returns how many there were. */
  clear(): number {
    const n = this.#map.size;
    if (n > 0) {
      this.#map.clear();
      this.invalidations += n;
    }
    return n;
  }

  get size(): number {
    return this.#map.size;
  }
}

function freezeResult(value: unknown): unknown {
  if (Array.isArray(value)) {
    for (const row of value) if (row !== null && typeof row === 'object') Object.freeze(row);
    return Object.freeze(value);
  }
  if (value !== null && typeof value === 'object') return Object.freeze(value);
  return value;
}

/** This pool committed: every cached result may be stale (an `invalidate` event with the count). */
export function clearOnWrite(
  cache: QueryCache,
  poolId: number,
  events: EventBus<PoolEvents>,
): void {
  if (cache.size === 0) return;
  const n = cache.clear();
  if (events.listening('cache'))
    events.emit('cache', { poolId, type: 'invalidate', reason: 'write', entries: n });
}
