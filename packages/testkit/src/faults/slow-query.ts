import type { Pool } from '@hivedb/pool';
import { TestkitError } from '../errors.js';

const STEPS_SQL =
  'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < ?) SELECT count(*) AS n FROM c';

/** What `slowQuery` ran. */
export interface SlowQueryRun {
  readonly sql: string;
  readonly steps: number;
  readonly durationMs: number;
}

/**
 * Runs, through `pool`, one read statement (a recursive CTE counting to a calibrated number)
 * that takes at least `ms` milliseconds on this machine: a slow query on demand, seen by the
 * pool's `query` event like any other. Calibrated on the first call, then doubled until it is slow
 * enough (at most 6 tries).
 *
 * @example
 * const run = await slowQuery(pool, 150); // run.durationMs ≥ 150
 */
export async function slowQuery(pool: Pool, ms: number): Promise<SlowQueryRun> {
  if (!(Number.isFinite(ms) && ms > 0))
    throw new TestkitError('TESTKIT_INVALID_ARGUMENT', `slowQuery: ms ${ms} is not a number > 0`);
  const probe = 20_000;
  let t0 = performance.now();
  await pool.get(STEPS_SQL, [probe], { cache: false });
  const perStep = Math.max((performance.now() - t0) / probe, 1e-6);
  let steps = Math.ceil((ms * 1.5) / perStep);
  for (let attempt = 0; attempt < 6; attempt++) {
    t0 = performance.now();
    await pool.get(STEPS_SQL, [steps], { cache: false, timeoutMs: 0 });
    const durationMs = performance.now() - t0;
    if (durationMs >= ms) return { sql: STEPS_SQL, steps, durationMs };
    steps *= 2;
  }
  throw new TestkitError('TESTKIT_FAULT_FAILED', `slowQuery: could not make a query last ${ms} ms`);
}
