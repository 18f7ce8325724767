import { describe, expect, it } from 'vitest';
import { PerformanceMonitor, type SlowQuery } from '../src/index.js';
import { openPool, registerSleep, tempDir } from './helpers.js';

describe('slow queries', () => {
  it('a statement slowed for real by a sleeping function is recorded with its statement, parameter count and connection, never its values', async () => {
    const pool = openPool(tempDir());
    const monitor = new PerformanceMonitor({ slowQueryThreshold: 50, monitoringInterval: 0 });
    const seen: SlowQuery[] = [];
    monitor.events.on('slow-query', (q) => seen.push(q));
    monitor.attachPool(pool);

    const { row, connectionId } = await pool.withConnection((lease) => {
      registerSleep(lease.raw);
      const fast = lease.get<{ slept: number }>('SELECT sleep_ms(?) AS slept', [1]);
      expect(fast?.slept).toBe(1);
      return {
        row: lease.get<{ slept: number; secret: string }>(
          'SELECT sleep_ms(?) AS slept, ? AS secret',
          [120, 'hunter2'],
        ),
        connectionId: lease.connectionId,
      };
    });
    expect(row).toEqual({ slept: 120, secret: 'hunter2' });

    expect(seen).toHaveLength(1);
    const q = seen[0]!;
    expect(q).toMatchObject({
      source: 'app.db',
      sql: 'SELECT sleep_ms(?) AS slept, ? AS secret',
      normalized: 'SELECT sleep_ms(?) AS slept, ? AS secret',
      operation: 'SELECT',
      paramCount: 2,
      connectionId,
      rows: 1,
      error: undefined,
    });
    expect(q.durationMs).toBeGreaterThanOrEqual(100);
    expect(JSON.stringify(q)).not.toContain('hunter2');

    const report = monitor.snapshot();
    expect(report.slowQueries.thresholdMs).toBe(50);
    expect(report.slowQueries.total).toBe(1);
    expect(report.slowQueries.recent).toEqual([q]);
    await monitor.stop();
  });

  it('a recursive CTE that runs long through pool.get is slow, the 1 ms one is not, and the cycle raises one slow_query alert', async () => {
    const pool = openPool(tempDir());
    const monitor = new PerformanceMonitor({ slowQueryThreshold: 30, monitoringInterval: 0 });
    monitor.attachPool(pool);
    const alerts: string[] = [];
    monitor.events.on('alert', (a) => alerts.push(a.type));
    const count = (n: number) =>
      pool.get<{ n: number }>(
        'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < ?) SELECT count(*) AS n FROM c',
        [n],
      );
    expect(await count(10)).toEqual({ n: 10 });
    const started = performance.now();
    expect(await count(2_000_000)).toEqual({ n: 2_000_000 });
    const took = performance.now() - started;
    expect(took).toBeGreaterThan(30);

    const { recent } = monitor.snapshot().slowQueries;
    expect(recent).toHaveLength(1);
    expect(recent[0]!.normalized).toBe(
      'WITH RECURSIVE c(x) AS (SELECT ? UNION ALL SELECT x + ? FROM c WHERE x < ?) SELECT count(*) AS n FROM c',
    );
    expect(recent[0]!.durationMs).toBeLessThanOrEqual(took);

    await monitor.runCycle();
    await monitor.runCycle();
    expect(alerts).toEqual(['slow_query']);
    expect(monitor.activeAlerts()).toHaveLength(0);
    expect(monitor.snapshot().alerts.recent.map((a) => a.type)).toEqual(['slow_query']);
    await monitor.stop();
  });

  it('keeps only the last slowQueryLogSize slow queries in memory', async () => {
    const pool = openPool(tempDir());
    const monitor = new PerformanceMonitor({ slowQueryThreshold: 0, slowQueryLogSize: 3 });
    monitor.attachPool(pool);
    for (let i = 0; i < 5; i++) await pool.get('SELECT ? AS i', [i]);
    const { recent, total } = monitor.snapshot().slowQueries;
    expect(total).toBe(5);
    expect(recent).toHaveLength(3);
    await monitor.stop();
  });
});
