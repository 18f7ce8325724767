import { describe, expect, it } from 'vitest';
import { type Alert, PerformanceMonitor } from '../src/index.js';
import { manualClock, openPool, tempDir } from './helpers.js';

async function withErrors(pool: ReturnType<typeof openPool>, ok: number, failed: number) {
  for (let i = 0; i < ok; i++) await pool.get('SELECT v FROM t WHERE id = ?', [1]);
  for (let i = 0; i < failed; i++) {
    // A real failure: the UNIQUE constraint refuses the write.
    await expect(
      pool.run('INSERT INTO t(id, v) VALUES (?, ?)', [100 + i, 'taken']),
    ).rejects.toMatchObject({
      sqliteCode: 'SQLITE_CONSTRAINT_UNIQUE',
    });
  }
}

describe('alerts', () => {
  it('an error rate pushed over 5% raises exactly one alert, which resolves when the rate falls below the hysteresis band', async () => {
    const clock = manualClock();
    const pool = openPool(tempDir());
    await pool.run('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT UNIQUE)');
    await pool.run("INSERT INTO t(id, v) VALUES (1, 'taken')");
    const monitor = new PerformanceMonitor({
      clock: clock.now,
      monitoringInterval: 0,
      alertCooldownMs: 60_000,
    });
    const raised: Alert[] = [];
    const resolved: Alert[] = [];
    monitor.events.on('alert', (a) => raised.push(a));
    monitor.events.on('alert:resolved', (a) => resolved.push(a));
    monitor.attachPool(pool);

    await withErrors(pool, 90, 10); // 10%
    await monitor.runCycle();
    expect(raised.map((a) => a.type)).toEqual(['error_rate']);
    expect(raised[0]).toMatchObject({
      source: 'app.db',
      threshold: 5,
      value: 10,
      state: 'active',
      severity: 'critical',
    });
    expect(raised[0]!.message).toContain('10.0% of queries on app.db failed');

    // A steady state does not re-raise: more cycles, still above the threshold.
    for (let i = 0; i < 3; i++) {
      clock.advance(5_000);
      await withErrors(pool, 19, 1);
      await monitor.runCycle();
    }
    expect(raised).toHaveLength(1);
    expect(monitor.activeAlerts().map((a) => a.id)).toEqual([raised[0]!.id]);

    // 4.6%: under the threshold but inside the hysteresis band (clears below 4%): still active.
    await withErrors(pool, 33, 0); // 13 / 193 failed
    await monitor.runCycle();
    expect(resolved).toHaveLength(0);

    // The rate falls to 2.6%: resolved once.
    await withErrors(pool, 300, 0);
    await monitor.runCycle();
    expect(resolved.map((a) => a.id)).toEqual([raised[0]!.id]);
    expect(resolved[0]!.state).toBe('resolved');
    expect(monitor.activeAlerts()).toEqual([]);
    expect(raised).toHaveLength(1);

    // Over again within the cooldown: nothing; once the cooldown has passed: one new alert.
    await withErrors(pool, 0, 60);
    await monitor.runCycle();
    expect(raised).toHaveLength(1);
    clock.advance(60_000);
    await monitor.runCycle();
    expect(raised).toHaveLength(2);
    expect(raised[1]!.id).not.toBe(raised[0]!.id);
    await monitor.stop();
  });

  it('too few queries never raise a rate alert, and errors age out of the sliding window', async () => {
    const clock = manualClock();
    const pool = openPool(tempDir());
    await pool.run('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT UNIQUE)');
    await pool.run("INSERT INTO t(id, v) VALUES (1, 'taken')");
    const monitor = new PerformanceMonitor({
      clock: clock.now,
      windowMs: 60_000,
      alertMinQueries: 20,
    });
    monitor.attachPool(pool);
    await withErrors(pool, 5, 5);
    await monitor.runCycle();
    expect(monitor.activeAlerts()).toEqual([]);

    await withErrors(pool, 15, 5);
    await monitor.runCycle();
    expect(monitor.activeAlerts().map((a) => a.type)).toEqual(['error_rate']);
    clock.advance(61_000 + 1_000);
    await monitor.runCycle();
    expect(monitor.activeAlerts()).toEqual([]);
    expect(monitor.snapshot().queries.total).toBe(0);
    await monitor.stop();
  });

  it('pool saturation raises the utilisation alert and a recommendation; it resolves when the leases are returned', async () => {
    const clock = manualClock();
    const pool = openPool(tempDir(), { maxConnections: 3, minConnections: 1 });
    const monitor = new PerformanceMonitor({ clock: clock.now, alertCooldownMs: 0 });
    const raised: Alert[] = [];
    const resolved: Alert[] = [];
    monitor.events.on('alert', (a) => raised.push(a));
    monitor.events.on('alert:resolved', (a) => resolved.push(a));
    monitor.attachPool(pool);

    // Every connection leased: two readers and the writer (maxConnections 3).
    const leases = [
      await pool.acquire({ mode: 'read' }),
      await pool.acquire({ mode: 'read' }),
      await pool.acquire({ mode: 'write' }),
    ];
    clock.advance(10_000);
    await monitor.runCycle();
    expect(raised.map((a) => a.type)).toEqual(['connection_pool_utilization']);
    expect(raised[0]).toMatchObject({ source: 'app.db', value: 100, threshold: 80 });
    expect(raised[0]!.details).toMatchObject({ leased: 3, max: 3 });
    const report = monitor.snapshot();
    expect(report.pools[0]).toMatchObject({
      source: 'app.db',
      connections: { total: 3, leased: 3, idle: 0, max: 3, waiting: 0 },
      utilization: { currentPct: 100, peakPct: 100 },
    });
    expect(report.recommendations.map((r) => r.type)).toContain('pool-saturation');
    const saturation = report.recommendations.find((r) => r.type === 'pool-saturation')!;
    expect(saturation.message).toMatch(/raise maxConnections \(now 3\) or shorten transactions/);

    // Half the next cycle saturated: the mean (50%) is below the clear level (64%).
    clock.advance(5_000);
    for (const l of leases) l.release();
    clock.advance(5_000);
    await monitor.runCycle();
    expect(resolved.map((a) => a.type)).toEqual(['connection_pool_utilization']);
    expect(resolved[0]!.value).toBeCloseTo(50, 5);
    await monitor.stop();
  });

  it('raiseAlert, acknowledgeAlert and resolveAlert: manual alerts are deduplicated while active', async () => {
    const monitor = new PerformanceMonitor();
    const events: string[] = [];
    monitor.events.on('alert', (a) => events.push(`alert ${a.type}`));
    monitor.events.on('alert:resolved', (a) => events.push(`resolved ${a.type}`));
    const a = monitor.raiseAlert('disk_space', {
      message: 'disk almost full',
      severity: 'critical',
      freeBytes: 10,
    });
    expect(a).toMatchObject({
      type: 'disk_space',
      severity: 'critical',
      source: 'monitor',
      message: 'disk almost full',
      details: { freeBytes: 10 },
    });
    const again = monitor.raiseAlert('disk_space', { message: 'still full', freeBytes: 5 });
    expect(again.id).toBe(a.id);
    expect(again.details).toEqual({ freeBytes: 5 });
    expect(monitor.acknowledgeAlert(a.id).acknowledgedAt).toBeTypeOf('number');
    expect(monitor.activeAlerts()).toHaveLength(1);
    expect(monitor.resolveAlert(a.id).state).toBe('resolved');
    expect(events).toEqual(['alert disk_space', 'resolved disk_space']);
    expect(() => monitor.acknowledgeAlert('alert-999')).toThrow(
      expect.objectContaining({ code: 'MONITOR_UNKNOWN_ALERT' }),
    );
    await monitor.stop();
    expect(() => monitor.raiseAlert('x')).toThrow(
      expect.objectContaining({ code: 'MONITOR_CLOSED' }),
    );
  });
});
