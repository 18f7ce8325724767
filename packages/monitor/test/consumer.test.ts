import { createRequire } from 'node:module';
import path from 'node:path';
import { createPool } from '@hivedb/pool';
import { describe, expect, it } from 'vitest';
import { tempDir } from './helpers.js';

// Only the built package, by its name, as a consumer imports it (run `pnpm build` first; turbo does).
describe('the built @hivedb/monitor, imported by name', () => {
  it('ESM: monitors a pool, reports, exports Prometheus text', async () => {
    const mod = await import('@hivedb/monitor');
    expect(mod.PerformanceMonitor).not.toBe((await import('../src/index.js')).PerformanceMonitor);
    const { PerformanceMonitor, DatabasePerformanceMonitor, MonitorError } = mod;
    const pool = createPool({ filename: 'app.db', root: tempDir(), healthCheckInterval: 0 });
    const monitor = new DatabasePerformanceMonitor({ slowQueryThreshold: 1000 });
    expect(monitor).toBeInstanceOf(PerformanceMonitor);
    try {
      monitor.attachPool(pool);
      await monitor.start();
      await pool.run('CREATE TABLE t (a)');
      await pool.get('SELECT * FROM t');
      const report = await monitor.getPerformanceReport();
      expect(report.queries.total).toBe(2);
      expect(monitor.toPrometheus()).toContain('db_client_operation_duration_seconds_count');
      expect(new MonitorError('MONITOR_CLOSED', 'x')).toMatchObject({
        name: 'HiveDbError',
        code: 'MONITOR_CLOSED',
      });
    } finally {
      await monitor.stop();
      await pool.close();
    }
  });

  it('CJS: require() gives the same API', () => {
    const require = createRequire(import.meta.url);
    expect(path.basename(require.resolve('@hivedb/monitor'))).toBe('index.cjs');
    const mod = require('@hivedb/monitor') as typeof import('@hivedb/monitor');
    expect(Object.keys(mod)).toEqual(
      expect.arrayContaining([
        'PerformanceMonitor',
        'DatabasePerformanceMonitor',
        'createPrometheusCollector',
        'DEFAULT_MONITOR_OPTIONS',
      ]),
    );
    expect(mod.DEFAULT_MONITOR_OPTIONS.slowQueryThreshold).toBe(1000);
  });
});
