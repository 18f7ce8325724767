import { performance } from 'node:perf_hooks';
import type { PoolView } from '@hivedb/store';

/** A pool's utilisation since the last sample. */
export interface UtilizationSample {
  /** % of the pool's connections leased, time-weighted. */
  readonly pct: number;
  /** Most callers waiting for a connection. */
  readonly waiting: number;
}

/**
 * Follows a pool's utilisation, time-weighted: its connections are leased only while work runs
 * (a read snapshot lasts one macrotask), so a timer sampling `stats()` between macrotasks would
 * always see them idle. Every lease and release emits `utilization`; the time spent at each
 * leased count is summed, and each `sample()` reports leased time / (elapsed × max) since the
 * previous one.
 */
export function trackUtilization(pool: PoolView): { sample(): UtilizationSample } {
  let leased = 0;
  let maxConnections = Math.max(1, pool.stats().maxConnections);
  let lastAt = performance.now();
  let sampleStart = lastAt;
  let leasedMs = 0;
  let waiting = 0;
  pool.events.on('utilization', (u) => {
    const now = performance.now();
    leasedMs += leased * (now - lastAt);
    lastAt = now;
    leased = u.leased;
    maxConnections = Math.max(1, u.max);
    waiting = Math.max(waiting, u.waiting);
  });
  return {
    sample() {
      const now = performance.now();
      leasedMs += leased * (now - lastAt);
      lastAt = now;
      const elapsed = now - sampleStart;
      const s = {
        pct: elapsed > 0 ? Math.min(100, (leasedMs / (elapsed * maxConnections)) * 100) : 0,
        waiting,
      };
      sampleStart = now;
      leasedMs = 0;
      waiting = 0;
      return s;
    },
  };
}
