import { type Alert, PerformanceMonitor, type SlowQuery } from '@hivedb/monitor';
import { expect, it } from 'vitest';
import { manualClock } from '../clock.js';
import { slowQuery } from '../faults/slow-query.js';
import type { CaseEnv } from './context.js';

/** Case 7: performance monitoring — a slow query, and an alert raised and resolved. */
export function monitoringCase(env: () => CaseEnv): void {
  it('reports a slow query, raises a slow_query alert, and resolves it after a quiet cycle', async () => {
    const e = env();
    const pool = await e.pool({ filename: 'monitored.db' });
    const clock = manualClock();
    const threshold = 50;
    const monitor = new PerformanceMonitor({
      ...e.config.monitor,
      slowQueryThreshold: threshold,
      monitoringInterval: 0,
      clock: clock.now,
    });
    e.defer(() => monitor.stop());
    const slow: SlowQuery[] = [];
    const raised: Alert[] = [];
    const resolved: Alert[] = [];
    monitor.events.on('slow-query', (q) => slow.push(q));
    monitor.events.on('alert', (a) => raised.push(a));
    monitor.events.on('alert:resolved', (a) => resolved.push(a));
    monitor.attachPool(pool, { name: 'monitored.db' });
    await monitor.start();

    await pool.run('CREATE TABLE t (id INTEGER PRIMARY KEY)');
    for (let i = 0; i < 20; i++) await pool.get('SELECT 1 AS one');
    await monitor.runCycle();
    expect(slow).toEqual([]);
    expect(raised.filter((a) => a.type === 'slow_query')).toEqual([]);

    const run = await slowQuery(pool, threshold * 3);
    // The calibration run may be slow too on a loaded machine: every slow query is the CTE.
    expect(slow.length).toBeGreaterThanOrEqual(1);
    for (const q of slow) expect(q.sql).toContain('WITH RECURSIVE');
    expect(Math.max(...slow.map((q) => q.durationMs))).toBeGreaterThanOrEqual(threshold * 3);
    expect(run.durationMs).toBeGreaterThanOrEqual(threshold * 3);

    clock.advance(1000);
    await monitor.runCycle();
    const alert = raised.find((a) => a.type === 'slow_query');
    expect(alert, JSON.stringify(raised)).toBeDefined();
    expect(monitor.activeAlerts().map((a) => a.id)).toContain(alert!.id);
    const report = await monitor.getPerformanceReport();
    expect(JSON.stringify(report)).toContain('WITH RECURSIVE');

    // A cycle with no slow query resolves it, once.
    for (let i = 0; i < 5; i++) await pool.get('SELECT 1 AS one');
    clock.advance(1000);
    await monitor.runCycle();
    expect(resolved.map((a) => a.id)).toEqual([alert!.id]);
    expect(monitor.activeAlerts().filter((a) => a.type === 'slow_query')).toEqual([]);
  });
}
