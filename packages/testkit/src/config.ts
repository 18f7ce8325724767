import type { PoolOptions } from '@hivedb/pool';
import type { StoreOptions } from '@hivedb/store';
import { TestkitError } from './errors.js';

/** Pool options a test configuration may set: everything but where the file is. */
export type TestPoolOptions = Omit<PoolOptions, 'filename' | 'root' | 'memory'>;

/** Store options a test configuration may set: plain JSON (no `clock`), without `projectRoot`. */
export type TestStoreOptions = Omit<StoreOptions, 'projectRoot' | 'clock'>;

/**
 * One configuration under test, as plain JSON: the suite uses it in its own process and hands it
 * to child processes (cases 4, 8, 9 and 12 open the same configuration in other processes), so it
 * holds no functions.
 */
export interface TestConfig {
  /** Options of pools the suite opens itself (cases 1–3, 5–7). */
  readonly pool?: TestPoolOptions;
  /** Options of every store the suite opens (`projectRoot` is the test's temp folder). */
  readonly store?: TestStoreOptions;
  /** Options of `@hivedb/monitor`'s `PerformanceMonitor` in case 7 (plain JSON; no `clock`, no `persistence`). */
  readonly monitor?: Record<string, unknown>;
}

/** Makes a `TestConfig` for a test's temp folder. Called once per test. */
export type TestConfigFactory = (root: string) => TestConfig;

/** Throws `TESTKIT_INVALID_ARGUMENT` unless `config` survives a JSON round trip unchanged. */
export function assertSerializable(config: TestConfig): TestConfig {
  let text: string;
  try {
    text = JSON.stringify(config);
  } catch (err) {
    throw new TestkitError('TESTKIT_INVALID_ARGUMENT', `test config is not JSON: ${String(err)}`, {
      cause: err,
    });
  }
  if (text === undefined || !isDeepEqual(JSON.parse(text), config)) {
    throw new TestkitError(
      'TESTKIT_INVALID_ARGUMENT',
      'test config must be plain JSON (no functions, undefined, Dates, class instances): child processes open the same configuration',
    );
  }
  return config;
}

function isDeepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Object.getPrototypeOf(b) !== Object.prototype && !Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  return ka.every((k) =>
    isDeepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]),
  );
}
