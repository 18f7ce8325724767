import type { ViteUserConfig } from 'vitest/config';

/**
 * The test settings every package shares. Each package writes vitest's JSON report to
 * `test-results/vitest.json` (a turbo output, so a cached run restores it), which
 * `scripts/test-summary.mjs` adds up into the closing `N passed, N failed` line.
 */
export const sharedTestConfig: NonNullable<ViteUserConfig['test']> = {
  include: ['test/**/*.test.ts'],
  reporters: ['default', 'json'],
  outputFile: { json: 'test-results/vitest.json' },
  testTimeout: 60_000,
  hookTimeout: 60_000,
  // Real files and child processes: forks isolate native handles between test files.
  pool: 'forks',
};
