import { createPool } from '@hivedb/pool';
import { describe, expect, it } from 'vitest';
import { OWN_SQL_MARK, PerformanceMonitor } from '../src/index.js';
import { DAY_MS, manualClock, openPool, tempDir } from './helpers.js';

interface Row {
  query_type: string;
  execution_time_ms: number;
  memory_key: string | null;
  agent_id: string | null;
  timestamp: number;
  rows_affected: number;
  cache_hit: number;
}

describe('persistence to hive.db query_performance', () => {
  it('samples reach query_performance in one transaction per flush, and the monitor does not count its own writes', async () => {
    const dir = tempDir();
    const app = openPool(dir);
    const hive = openPool(dir, { filename: 'hive.db' });
    const clock = manualClock();
    const monitor = new PerformanceMonitor({
      clock: clock.now,
      monitoringInterval: 0,
      persistence: { pool: hive, sampleRate: 1, flushIntervalMs: 60_000, batchSize: 10_000 },
    });
    monitor.attachPool(app);
    monitor.attachPool(hive); // its own writes go through this pool: they must not count
    const hiveTransactions: number[] = [];
    const hiveStatements: string[] = [];
    hive.events.on('transaction', (e) => hiveTransactions.push(e.statements ?? 0));
    hive.events.on('query', (e) => hiveStatements.push(e.sql));
    await monitor.start();

    await app.run('CREATE TABLE kv (k TEXT PRIMARY KEY, v TEXT)');
    for (let i = 0; i < 50; i++) await app.run('INSERT INTO kv VALUES (?, ?)', [`k${i}`, 'v']);
    for (let i = 0; i < 49; i++) await app.get('SELECT v FROM kv WHERE k = ?', [`k${i}`]);
    await expect(app.run('INSERT INTO kv VALUES (?, ?)', ['k1', 'dup'])).rejects.toThrow();
    monitor.recordQueryPerformance({
      queryType: 'store.get',
      executionTimeMs: 2.5,
      memoryKey: 'agents:k1',
      agentId: 'agent-7',
      cacheHit: true,
      rowsAffected: 1,
    });

    expect(await monitor.flush()).toBe(102);
    expect(hiveTransactions).toHaveLength(1);
    expect(hiveStatements.filter((s) => s.startsWith(OWN_SQL_MARK))).toHaveLength(102);

    // The monitor's flush through `hive` is not an application query of `hive`.
    const report = monitor.snapshot();
    expect(report.queries.total).toBe(101 + 1);
    expect(report.queries.byOperation.find((o) => o.operation === 'INSERT')?.count).toBe(51);
    expect(report.pools.find((p) => p.source === 'hive.db')?.transactions).toBeUndefined();
    expect(report.persistence).toMatchObject({ written: 102, pending: 0, dropped: 0 });
    const rows = await hive.all<Row>('SELECT * FROM query_performance ORDER BY id');
    expect(rows).toHaveLength(102);
    const byType = new Map<string, number>();
    for (const r of rows) byType.set(r.query_type, (byType.get(r.query_type) ?? 0) + 1);
    expect(Object.fromEntries(byType)).toEqual({
      CREATE: 1,
      INSERT: 50,
      SELECT: 49,
      'INSERT:error': 1,
      'store.get': 1,
    });
    expect(rows.every((r) => r.timestamp === clock.now() && r.execution_time_ms >= 0)).toBe(true);
    expect(rows.find((r) => r.query_type === 'store.get')).toMatchObject({
      memory_key: 'agents:k1',
      agent_id: 'agent-7',
      cache_hit: 1,
      rows_affected: 1,
      execution_time_ms: 2.5,
    });

    await monitor.stop();
  });

  it('stop() flushes what is pending; only the sampled share of ordinary queries is written, slow and failed ones always', async () => {
    const dir = tempDir();
    const app = openPool(dir);
    const monitor = new PerformanceMonitor({
      monitoringInterval: 0,
      slowQueryThreshold: 1000,
      persistence: { filename: 'hive.db', root: dir, sampleRate: 0, flushIntervalMs: 60_000 },
    });
    monitor.attachPool(app);
    await monitor.start();
    for (let i = 0; i < 200; i++) await app.get('SELECT ? AS i', [i]);
    await expect(app.get('SELECT json(?)', ['not json'])).rejects.toThrow();
    monitor.recordQueryPerformance({ queryType: 'SELECT', executionTimeMs: 1500 });
    await monitor.stop();
    const hive = createPool({ filename: 'hive.db', root: dir });
    try {
      const rows = await hive.all<Row>(
        'SELECT query_type, execution_time_ms FROM query_performance ORDER BY id',
      );
      // (In either order: the pool delivers its statements in a batch, at the latest at stop().)
      expect(rows).toHaveLength(2);
      expect(rows).toEqual(
        expect.arrayContaining([
          { query_type: 'SELECT:error', execution_time_ms: expect.any(Number) },
          { query_type: 'SELECT', execution_time_ms: 1500 },
        ]),
      );
    } finally {
      await hive.close();
    }
  });

  it('rows past metricsRetentionDays are pruned, by the injectable clock', async () => {
    const dir = tempDir();
    const clock = manualClock();
    const monitor = new PerformanceMonitor({
      clock: clock.now,
      metricsRetentionDays: 7,
      monitoringInterval: 0,
      persistence: { filename: 'hive.db', root: dir, pruneIntervalMs: DAY_MS },
    });
    await monitor.start();
    const t0 = clock.now();
    for (let day = 0; day < 10; day++) {
      for (let i = 0; i < 3; i++)
        monitor.recordQueryPerformance({ queryType: `day-${day}`, executionTimeMs: i });
      await monitor.flush();
      clock.advance(DAY_MS);
    }
    // Now = t0 + 10 days: days 0, 1 and 2 are older than 7 days (day 3 is exactly 7 days old: kept).
    await monitor.runCycle(); // the first cycle prunes (none ran yet)
    // snapshotWindowMs 0: each read sees the other pool's latest commit.
    const hive = openPool(dir, { filename: 'hive.db', snapshotWindowMs: 0 });
    const left = await hive.all<{ query_type: string; timestamp: number }>(
      'SELECT DISTINCT query_type, timestamp FROM query_performance ORDER BY timestamp',
    );
    expect(left.map((r) => r.query_type)).toEqual([
      'day-3',
      'day-4',
      'day-5',
      'day-6',
      'day-7',
      'day-8',
      'day-9',
    ]);
    expect(left[0]!.timestamp).toBe(t0 + 3 * DAY_MS);
    expect(monitor.snapshot().persistence?.pruned).toBe(9);

    // Not due again within pruneIntervalMs; due after it.
    clock.advance(DAY_MS / 2);
    await monitor.runCycle();
    expect(await hive.get('SELECT count(*) AS n FROM query_performance')).toEqual({ n: 21 });
    clock.advance(DAY_MS);
    await monitor.runCycle();
    expect(await hive.get('SELECT count(*) AS n FROM query_performance')).toEqual({ n: 15 });
    expect(await monitor.prune()).toBe(0);
    await monitor.stop();
  });

  it('a hive.db that cannot be opened fails start() with MONITOR_PERSIST_FAILED', async () => {
    const dir = tempDir();
    const monitor = new PerformanceMonitor({
      persistence: { filename: '../outside.db', root: dir },
    });
    await expect(monitor.start()).rejects.toMatchObject({ code: 'MONITOR_PERSIST_FAILED' });
    await monitor.stop();
  });
});
