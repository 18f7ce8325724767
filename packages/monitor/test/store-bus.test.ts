import { EventBus } from '@hivedb/pool';
import { describe, expect, it } from 'vitest';
import { type AttachableBus, type MonitoredStoreEvents, PerformanceMonitor } from '../src/index.js';
import { openPool, tempDir } from './helpers.js';

// The store's event map as @hivedb/store declares it (copied: the monitor never imports the store).
interface StoreEvents {
  set: {
    namespace: string;
    key: string;
    dataType: 'string';
    version: number;
    size: number;
    created: boolean;
    source: 'set';
    agentId?: string;
    durationMs: number;
  };
  get: {
    namespace: string;
    key: string;
    found: boolean;
    cacheHit: boolean;
    agentId?: string;
    durationMs: number;
  };
  delete: {
    namespace: string;
    key: string;
    existed: boolean;
    source: 'delete';
    agentId?: string;
    durationMs: number;
  };
  clear: { namespace: string | null; deleted: number; durationMs: number };
  expire: {
    entries: readonly { namespace: string; key: string; version: number }[];
    count: number;
    durationMs: number;
  };
  conflict: {
    namespace: string;
    key: string;
    current: number | null;
    operation: 'set';
    reason: 'version';
  };
  cache: { type: 'hit' | 'miss' | 'invalidate'; namespace?: string; key?: string };
  flush: { accessRecords: number; logRecords: number; reason: 'interval'; durationMs: number };
  error: { where: string; error: unknown };
}

describe('attaching a store bus', () => {
  it('any bus with the store event names: operations, conflicts, cache, persisted with memory_key and agent_id', async () => {
    const dir = tempDir();
    const store = new EventBus<StoreEvents>();
    // The store's EventSource is assignable to what attach accepts.
    const asAttachable: AttachableBus<MonitoredStoreEvents> = store;
    const hive = openPool(dir, { filename: 'hive.db', snapshotWindowMs: 0 });
    const monitor = new PerformanceMonitor({
      slowQueryThreshold: 100,
      persistence: { pool: hive, sampleRate: 1 },
    });
    await monitor.start();
    const detach = monitor.attach(asAttachable);
    for (let i = 0; i < 10; i++)
      store.emit('set', {
        namespace: 'agents',
        key: `k${i}`,
        dataType: 'string',
        version: 1,
        size: 4,
        created: true,
        source: 'set',
        agentId: 'a1',
        durationMs: 0.2,
      });
    for (let i = 0; i < 8; i++) {
      store.emit('cache', { type: i < 6 ? 'hit' : 'miss' });
      store.emit('get', {
        namespace: 'agents',
        key: `k${i}`,
        found: i < 7,
        cacheHit: i < 6,
        agentId: 'a2',
        durationMs: 0.05,
      });
    }
    store.emit('delete', {
      namespace: 'agents',
      key: 'k0',
      existed: true,
      source: 'delete',
      durationMs: 150,
    });
    store.emit('conflict', {
      namespace: 'agents',
      key: 'k1',
      current: 2,
      operation: 'set',
      reason: 'version',
    });
    store.emit('expire', { entries: [], count: 3, durationMs: 1 });
    store.emit('flush', { accessRecords: 8, logRecords: 8, reason: 'interval', durationMs: 2 });
    store.emit('error', { where: 'sweep', error: new Error('x') });

    const report = monitor.snapshot();
    expect(report.stores).toHaveLength(1);
    const s = report.stores[0]!;
    expect(s.source).toBe('store');
    expect(Object.fromEntries(s.operations.map((o) => [o.operation, o.count]))).toEqual({
      set: 10,
      get: 8,
      delete: 1,
      expire: 1,
    });
    expect(s).toMatchObject({
      gets: { found: 7, missed: 1 },
      conflicts: 1,
      expired: 3,
      errors: 1,
      cache: { hits: 6, misses: 2, hitRatio: 0.75 },
    });
    expect(report.slowQueries.recent.map((q) => q.sql)).toEqual(['store.delete']);
    const text = monitor.toPrometheus();
    expect(text).toContain(
      'hivedb_store_operation_duration_seconds_count{store="store",operation="get"} 8',
    );
    expect(text).toContain('hivedb_store_conflicts_total{store="store"} 1');

    await monitor.flush();
    const rows = await hive.all<{
      query_type: string;
      memory_key: string;
      agent_id: string | null;
      cache_hit: number;
    }>('SELECT query_type, memory_key, agent_id, cache_hit FROM query_performance ORDER BY id');
    expect(rows).toHaveLength(19);
    expect(rows[0]).toEqual({
      query_type: 'store.set',
      memory_key: 'agents:k0',
      agent_id: 'a1',
      cache_hit: 0,
    });
    expect(rows[10]).toEqual({
      query_type: 'store.get',
      memory_key: 'agents:k0',
      agent_id: 'a2',
      cache_hit: 1,
    });

    detach();
    detach();
    store.emit('get', {
      namespace: 'agents',
      key: 'k1',
      found: true,
      cacheHit: false,
      durationMs: 0.05,
    });
    expect(monitor.snapshot().stores[0]!.operations.find((o) => o.operation === 'get')?.count).toBe(
      8,
    );
    await monitor.stop();
  });

  it('several pools and stores at once, each under its own name', async () => {
    const dir = tempDir();
    const a = openPool(dir, { filename: 'memory.db' });
    const b = openPool(dir, { filename: 'sub/memory.db' });
    const monitor = new PerformanceMonitor();
    monitor.attachPool(a);
    monitor.attachPool(b);
    monitor.attach(new EventBus<StoreEvents>());
    monitor.attach(b.events, { name: 'custom' });
    await a.get('SELECT 1');
    await b.get('SELECT 2');
    const names = monitor
      .snapshot()
      .queries.mostFrequent.map((s) => s.source)
      .sort();
    expect(names).toEqual(['custom', 'memory.db', 'memory.db#2']);
    expect(() => monitor.attach({} as never)).toThrow(
      expect.objectContaining({ code: 'MONITOR_INVALID_ARGUMENT' }),
    );
    await monitor.stop();
    expect(() => monitor.attachPool(a)).toThrow(
      expect.objectContaining({ code: 'MONITOR_CLOSED' }),
    );
  });
});
