// Imports only the built package by its name, as a consumer would (ESM and CJS, both entries).
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

describe('the built package', () => {
  it('exports the fixtures, the faults and the suite by name', async () => {
    const main = await import('@hivedb/testkit');
    for (const name of [
      'createTempDir',
      'openTestStore',
      'holdWriteLock',
      'killDuring',
      'corruptPage',
      'diskFullPragmas',
      'slowQuery',
      'manualClock',
    ])
      expect(typeof (main as Record<string, unknown>)[name], name).toBe('function');
    const suite = await import('@hivedb/testkit/suite');
    expect(typeof suite.runReliabilitySuite).toBe('function');
    expect(Object.keys(suite.RELIABILITY_CASES)).toHaveLength(12);
    const cjs = createRequire(import.meta.url)('@hivedb/testkit');
    expect(typeof cjs.openTestPool).toBe('function');
    expect(cjs.childrenDir()).toMatch(/dist[\\/]children$/);
  });
});
