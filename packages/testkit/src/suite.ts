/**
 * @hivedb/testkit/suite — the 12-case reliability suite as vitest tests. Call it at the top
 * level of a test file; it registers one `describe` per case.
 * @packageDocumentation
 */
import { describe } from 'vitest';
import type { TestConfigFactory } from './config.js';
import { cachingCase } from './suite/caching.js';
import { concurrencyCase } from './suite/concurrency.js';
import { useCaseEnv } from './suite/context.js';
import { crashCase } from './suite/crash.js';
import { errorsCase } from './suite/errors.js';
import { monitoringCase } from './suite/monitoring.js';
import { integrityCase, schemaCase } from './suite/schema.js';
import { securityCase } from './suite/security.js';
import { stressCase } from './suite/stress.js';
import { commitCase, poolingCase, rollbackCase } from './suite/transactions.js';

export { useCaseEnv } from './suite/context.js';
export type { CaseEnv } from './suite/context.js';
export { HOSTILE_TEXT } from './suite/security.js';

/** Options of `runReliabilitySuite`. */
export interface ReliabilitySuiteOptions {
  /** Name of the outer `describe`. Default `'hivedb reliability suite'`. */
  readonly name?: string;
  /** Run only these cases (1–12). Default: all. */
  readonly cases?: readonly number[];
  /** Case 11's operations. Default 100000. */
  readonly stressOperations?: number;
  /** Case 12's SIGKILLs. Default 20. */
  readonly crashIterations?: number;
  /** Case 9's other processes. Default 3. */
  readonly processes?: number;
  /** Timeout of each test (ms). Default 120000. */
  readonly timeoutMs?: number;
}

/** The twelve cases, by number. */
export const RELIABILITY_CASES = Object.freeze({
  1: 'connection pooling',
  2: 'transaction commit',
  3: 'transaction rollback',
  4: 'query caching',
  5: 'schema',
  6: 'integrity and optimize',
  7: 'performance monitoring',
  8: 'error handling and retry',
  9: 'concurrent operations',
  10: 'security',
  11: 'stress',
  12: 'crash safety',
} as const);

/**
 * Registers the 12-case reliability suite against the configuration `factory` makes. `factory`
 * is called once per test with the test's temp folder and must return plain JSON (child
 * processes open the same configuration).
 *
 * @example
 * // my-store.reliability.test.ts
 * import { runReliabilitySuite } from '@hivedb/testkit/suite';
 * runReliabilitySuite(() => ({ store: { maxConnections: 4, cache: { maxEntries: 500 } } }));
 */
export function runReliabilitySuite(
  factory: TestConfigFactory,
  options: ReliabilitySuiteOptions = {},
): void {
  if (typeof factory !== 'function')
    throw new TypeError('runReliabilitySuite: factory must be a function');
  const selected = new Set(options.cases ?? [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
  const timeout = options.timeoutMs ?? 120_000;
  const stressOperations = options.stressOperations ?? 100_000;
  const crashIterations = options.crashIterations ?? 20;
  const processes = options.processes ?? 3;
  describe(options.name ?? 'hivedb reliability suite', { timeout }, () => {
    const env = useCaseEnv(factory);
    const cases: Record<number, () => void> = {
      1: () => poolingCase(env),
      2: () => commitCase(env),
      3: () => rollbackCase(env),
      4: () => cachingCase(env),
      5: () => schemaCase(env),
      6: () => integrityCase(env),
      7: () => monitoringCase(env),
      8: () => errorsCase(env),
      9: () => concurrencyCase(env, { processes }),
      10: () => securityCase(env),
      11: () => stressCase(env, { operations: stressOperations }),
      12: () => crashCase(env, { iterations: crashIterations }),
    };
    for (const n of [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12] as const) {
      if (selected.has(n)) describe(`case ${n}: ${RELIABILITY_CASES[n]}`, cases[n]!);
    }
  });
}
