import fs from 'node:fs';
import path from 'node:path';
import { type HiveDbError, type PoolOptions, resolvePoolOptions } from '@hivedb/pool';
import { describe, StoreError } from './errors.js';

// The checks `resolveStoreOptions` makes of each option: every failure is STORE_INVALID_OPTION
// naming the option and the value.

/** A `STORE_INVALID_OPTION` naming the option, the value and what was expected. */
export function invalidOption(option: string, value: unknown, expected: string): StoreError {
  return new StoreError(
    'STORE_INVALID_OPTION',
    `invalid store option ${option}: ${describe(value)} (expected ${expected})`,
    { details: { option } },
  );
}

/** `input` as an object whose keys are all in `allowed` (`{}` when absent). */
export function objectOf(name: string, input: unknown, allowed: ReadonlySet<string>) {
  if (input === undefined) return {} as Record<string, unknown>;
  if (input === null || typeof input !== 'object' || Array.isArray(input))
    throw invalidOption(name, input, 'an object');
  for (const key of Object.keys(input)) {
    if (!allowed.has(key))
      throw invalidOption(`${name}.${key}`, key, `one of ${[...allowed].join(', ')}`);
  }
  return input as Record<string, unknown>;
}

/** An integer option from `min` to `max`, or `fallback` when absent. */
export function int(
  name: string,
  value: unknown,
  min: number,
  fallback: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  if (value === undefined) return fallback;
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= min && value <= max)
    return value;
  throw invalidOption(
    name,
    value,
    max === Number.MAX_SAFE_INTEGER ? `an integer ≥ ${min}` : `an integer from ${min} to ${max}`,
  );
}

/** JSON.stringify, JSON.parse and freezing a read value recurse: well under their stack limit. */
export const MAX_VALUE_DEPTH = 2048;

/** A non-empty string option without NUL, or `fallback` when absent. */
export function text(name: string, value: unknown, fallback: string): string {
  if (value === undefined) return fallback;
  if (typeof value === 'string' && value.length > 0 && !value.includes('\0')) return value;
  throw invalidOption(name, value, 'a non-empty string without NUL');
}

/**
 * `true`, `false`, or the absolute path of a folder (existing or not): a relative path would
 * depend on the working directory, and a word like `'yes'` would silently become a folder.
 */
export function checkMigrationBackup(value: unknown): boolean | string {
  const expected = 'true, false or the absolute path of a folder';
  if (typeof value === 'boolean') return value;
  if (typeof value !== 'string' || value.includes('\0') || !path.isAbsolute(value))
    throw invalidOption('migrationBackup', value, expected);
  if (fs.statSync(value, { throwIfNoEntry: false })?.isDirectory() === false)
    throw invalidOption('migrationBackup', value, `${expected}; it is a file`);
  return value;
}

/** The pool options as both pools will get them, checked now: `POOL_INVALID_OPTION` becomes `STORE_INVALID_OPTION`. */
export function checkPoolOptions(
  pool: Record<string, unknown>,
  root: string,
  raw: Record<string, unknown>,
  seedKeys: readonly string[],
): void {
  try {
    const readonly = raw.readonly === true;
    resolvePoolOptions({ ...pool, filename: 'memory.db', root, readonly } as PoolOptions);
    resolvePoolOptions({ ...pool, ...HIVE_POOL, filename: 'hive.db', root } as PoolOptions);
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (code !== 'POOL_INVALID_OPTION') throw err;
    const poolName = String((err as HiveDbError).details?.option ?? 'pool');
    const top = poolName.split('.')[0]!;
    const name = seedKeys.includes(top) && raw[top] !== undefined ? poolName : `pool.${poolName}`;
    throw new StoreError(
      'STORE_INVALID_OPTION',
      `invalid store option ${name}: ${(err as Error).message.replace(/^invalid pool option [^:]*: /, '')}`,
      { cause: err, details: { option: name } },
    );
  }
}

/** What the pool of `hive.db` (the buffered access log) takes instead of the store's sizes. */
export const HIVE_POOL = Object.freeze({ maxConnections: 2, minConnections: 1 });
