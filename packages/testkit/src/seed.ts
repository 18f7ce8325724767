import type { JsonValue, SharedMemoryStore } from '@hivedb/store';
import { TestkitError } from './errors.js';

/** Options of `seedStore`. */
export interface SeedOptions {
  /** Entries to write. */
  readonly count: number;
  /** Namespace of every entry. Default `'seed'`. */
  readonly namespace?: string;
  /** Key prefix. Default `'k'` (keys `k000000`, `k000001`, …). */
  readonly prefix?: string;
  /** Approximate bytes of each value's text. Default 32. */
  readonly valueBytes?: number;
  /** Entries per `setBulk` call (one transaction each). Default 1000. */
  readonly batchSize?: number;
}

/** The key of seeded entry `i` (zero-padded, so key order is insertion order). */
export function seedKey(i: number, prefix = 'k'): string {
  return `${prefix}${String(i).padStart(6, '0')}`;
}

/** The value seeded under entry `i`: deterministic, so a test can recompute it. */
export function seedValue(i: number, valueBytes = 32): JsonValue {
  return { i, text: 'x'.repeat(Math.max(0, valueBytes - 16)) };
}

/**
 * Writes a data set of `count` entries through `setBulk` and returns what was written, as a
 * map from key to value (the model a test compares against).
 *
 * @example
 * const expected = await seedStore(store, { count: 10_000 });
 */
export async function seedStore(
  store: SharedMemoryStore,
  options: SeedOptions,
): Promise<Map<string, JsonValue>> {
  const { count, namespace = 'seed', prefix = 'k', valueBytes = 32, batchSize = 1000 } = options;
  if (!Number.isSafeInteger(count) || count < 0)
    throw new TestkitError(
      'TESTKIT_INVALID_ARGUMENT',
      `seedStore: count ${count} is not an integer ≥ 0`,
    );
  if (!Number.isSafeInteger(batchSize) || batchSize < 1)
    throw new TestkitError(
      'TESTKIT_INVALID_ARGUMENT',
      `seedStore: batchSize ${batchSize} is not an integer ≥ 1`,
    );
  const written = new Map<string, JsonValue>();
  for (let start = 0; start < count; start += batchSize) {
    const entries = [];
    for (let i = start; i < Math.min(count, start + batchSize); i++) {
      const key = seedKey(i, prefix);
      const value = seedValue(i, valueBytes);
      entries.push({ key, value, options: { namespace } });
      written.set(key, value);
    }
    const results = await store.setBulk(entries);
    const failed = results.find((r) => !r.success);
    if (failed)
      throw new TestkitError('TESTKIT_FAULT_FAILED', `seedStore: ${failed.key} was not written`);
  }
  return written;
}
