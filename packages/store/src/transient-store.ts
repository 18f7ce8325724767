import type { EntryRow } from './backend.js';
import { compareKeys } from './keys.js';

/** A `transient` entry: kept in this store's memory only, never written to disk. */
export interface TransientEntry {
  readonly namespace: string;
  readonly key: string;
  row: EntryRow;
  /** The value parsed and deeply frozen. */
  value: unknown;
  custom?: Readonly<Record<string, unknown>> | null;
  /** Reads since it was written (its `access_count` is kept here, not in `row`). */
  reads: number;
  lastRead: number | null;
}

/**
 * The `transient` entries of one store instance. They are private to it (other processes and
 * other store instances never see them), are gone after `shutdown()`, and follow the same rules
 * as entries on disk: versions, TTL, compare-and-set.
 */
export class TransientStore {
  readonly #entries = new Map<string, TransientEntry>();

  get size(): number {
    return this.#entries.size;
  }

  /** The live entry under `ck` (expired ones are treated as absent until swept). */
  live(ck: string, now: number): TransientEntry | undefined {
    const e = this.#entries.get(ck);
    if (e === undefined) return undefined;
    const exp = e.row.expiresAt;
    return exp === null || exp > now ? e : undefined;
  }

  /** The entry under `ck`, live or expired. */
  any(ck: string): TransientEntry | undefined {
    return this.#entries.get(ck);
  }

  put(ck: string, entry: TransientEntry): void {
    this.#entries.set(ck, entry);
  }

  remove(ck: string): boolean {
    return this.#entries.delete(ck);
  }

  /** Live entries of `namespace` (every namespace when `undefined`), in key order. */
  liveIn(namespace: string | undefined, now: number): TransientEntry[] {
    const out: TransientEntry[] = [];
    for (const e of this.#entries.values()) {
      if (namespace !== undefined && e.namespace !== namespace) continue;
      const exp = e.row.expiresAt;
      if (exp === null || exp > now) out.push(e);
    }
    out.sort((a, b) =>
      a.namespace === b.namespace
        ? compareKeys(a.key, b.key)
        : compareKeys(a.namespace, b.namespace),
    );
    return out;
  }

  /** Removes expired entries; returns them. */
  sweep(now: number): TransientEntry[] {
    const gone: TransientEntry[] = [];
    for (const [ck, e] of this.#entries) {
      const exp = e.row.expiresAt;
      if (exp !== null && exp <= now) {
        this.#entries.delete(ck);
        gone.push(e);
      }
    }
    return gone;
  }

  /** Removes every entry of `namespace` (all when `undefined`); returns how many live ones. */
  clear(namespace: string | undefined, now: number): number {
    let n = 0;
    for (const [ck, e] of this.#entries) {
      if (namespace !== undefined && e.namespace !== namespace) continue;
      const exp = e.row.expiresAt;
      if (exp === null || exp > now) n++;
      this.#entries.delete(ck);
    }
    return n;
  }

  clearAll(): void {
    this.#entries.clear();
  }
}
