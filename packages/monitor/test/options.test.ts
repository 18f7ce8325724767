import { DatabaseConnectionManager } from '@hivedb/pool';
import { describe, expect, it } from 'vitest';
import {
  DatabasePerformanceMonitor,
  DEFAULT_MONITOR_OPTIONS,
  PerformanceMonitor,
  resolveMonitorOptions,
} from '../src/index.js';
import { tempDir } from './helpers.js';

describe('options', () => {
  it("has the seed's defaults", () => {
    const o = resolveMonitorOptions();
    expect(o).toMatchObject({
      slowQueryThreshold: 1000,
      monitoringInterval: 30_000,
      metricsRetentionDays: 7,
      alertThresholds: { connectionPoolUtilization: 80, averageQueryTime: 500, errorRate: 5 },
      persistence: null,
    });
    expect(Object.isFrozen(DEFAULT_MONITOR_OPTIONS)).toBe(true);
    expect(
      resolveMonitorOptions({ slowQueryThreshold: 0, persistence: false }).slowQueryThreshold,
    ).toBe(0);
  });

  it("times queries by the pool's batches, unless the slow threshold is under what they catch", () => {
    expect(resolveMonitorOptions().queryTiming).toBe('sampled');
    expect(resolveMonitorOptions({ slowQueryThreshold: 100 }).queryTiming).toBe('sampled');
    // Under 100 ms (the pool's NOTABLE_MS) only every statement timed misses no slow query.
    expect(resolveMonitorOptions({ slowQueryThreshold: 99 }).queryTiming).toBe('exact');
    expect(
      resolveMonitorOptions({ slowQueryThreshold: 0, queryTiming: 'sampled' }).queryTiming,
    ).toBe('sampled');
    expect(resolveMonitorOptions({ queryTiming: 'exact' }).queryTiming).toBe('exact');
  });

  it.each([
    [{ slowQueryThreshold: -1 }, 'slowQueryThreshold'],
    [{ slowQuerythreshold: 5 }, 'slowQuerythreshold'],
    [{ alertThresholds: { errorRate: 0 } }, 'alertThresholds.errorRate'],
    [{ alertThresholds: { cpu: 5 } }, 'alertThresholds.cpu'],
    [{ persistence: { sampleRate: 2 } }, 'persistence.sampleRate'],
    [{ persistence: { pool: {}, filename: 'x.db' } }, 'persistence.pool'],
    [{ windowMs: 10 }, 'windowMs'],
    [{ clock: 5 }, 'clock'],
    [{ queryTiming: 'every' }, 'queryTiming'],
  ])('rejects %j naming %s', (input, option) => {
    let err: unknown;
    try {
      new PerformanceMonitor(input as never);
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({
      name: 'HiveDbError',
      code: 'MONITOR_INVALID_OPTION',
      details: { option },
    });
    expect((err as Error).message).toContain(option);
  });
});

describe("the seed's DatabasePerformanceMonitor", () => {
  it('attaches every pool of a DatabaseConnectionManager and persists through its hive pool', async () => {
    const manager = new DatabaseConnectionManager({ root: tempDir(), healthCheckInterval: 0 });
    const memory = manager.createPool('memory');
    const hive = manager.createPool('hive');
    const monitor = new DatabasePerformanceMonitor(manager, {
      slowQueryThreshold: 1000,
      monitoringInterval: 0,
    });
    await monitor.start();
    await memory.run('CREATE TABLE kv (k TEXT PRIMARY KEY, v TEXT)');
    await manager.executeQuery('memory', 'INSERT INTO kv VALUES (?, ?)', ['a', '1']);
    monitor.recordQueryPerformance({
      queryType: 'store.set',
      executionTimeMs: 3,
      memoryKey: 'a',
      agentId: 'agent-1',
    });
    const alert = monitor.raiseAlert('connection_failure', {
      message: 'manual check',
      source: 'memory',
    });
    expect(monitor.acknowledgeAlert(alert.id).acknowledgedAt).toBeDefined();
    const report = await monitor.getPerformanceReport();
    expect(report.pools.map((p) => p.source).sort()).toEqual(['hive', 'memory']);
    expect(report.queries.total).toBe(3);
    expect(report.alerts.active).toHaveLength(1);
    await monitor.stop();
    const rows = await hive.all<{ query_type: string }>(
      'SELECT query_type FROM query_performance ORDER BY id',
    );
    expect(rows.map((r) => r.query_type)).toEqual(['store.set']);
    await manager.shutdown();
  });

  it('without a manager it is the PerformanceMonitor with the seed name', async () => {
    const monitor = new DatabasePerformanceMonitor({ slowQueryThreshold: 5 });
    expect(monitor).toBeInstanceOf(PerformanceMonitor);
    expect(monitor.options.slowQueryThreshold).toBe(5);
    await monitor.start();
    await monitor.start();
    await monitor.stop();
    await monitor.stop();
  });
});
