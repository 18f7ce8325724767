import { describe, expect, it } from 'vitest';
import { type MonitorErrorEvent, PerformanceMonitor } from '../src/index.js';
import { openPool, tempDir } from './helpers.js';

describe('a failure inside the monitor never fails a query', () => {
  it('a monitor whose clock throws inside its listeners: every query still returns its rows, and the failure is an error event', async () => {
    const pool = openPool(tempDir(), { maxConnections: 3 });
    await pool.run('CREATE TABLE kv (k TEXT PRIMARY KEY, v TEXT)');
    let broken = false;
    const monitor = new PerformanceMonitor({
      slowQueryThreshold: 0, // every query reads the clock (a slow query is stamped)
      clock: () => {
        if (broken) throw new Error('clock exploded');
        return Date.now();
      },
    });
    const errors: MonitorErrorEvent[] = [];
    monitor.events.on('error', (e) => errors.push(e));
    monitor.attachPool(pool);
    const listenerErrors: unknown[] = [];
    pool.events.on('listener:error', (e) => listenerErrors.push(e));

    broken = true;
    await pool.run('INSERT INTO kv VALUES (?, ?)', ['a', '1']);
    expect(await pool.get('SELECT v FROM kv WHERE k = ?', ['a'])).toEqual({ v: '1' });
    await pool.transaction((tx) => tx.run('UPDATE kv SET v = ? WHERE k = ?', ['2', 'a']));
    const lease = await pool.acquire(); // the utilization listener reads the clock too
    expect(lease.get('SELECT v FROM kv')).toEqual({ v: '2' });
    lease.release();

    expect(errors.length).toBeGreaterThanOrEqual(4);
    expect(errors.map((e) => e.where)).toContain('query listener');
    expect(errors.map((e) => e.where)).toContain('utilization listener');
    expect((errors[0]!.error as Error).message).toBe('clock exploded');
    // The monitor caught its own failures: nothing reached the pool's listener:error channel.
    expect(listenerErrors).toEqual([]);
    broken = false;
    await monitor.stop();
  });

  it('a subscriber of the monitor that throws, and a monitor listener that escapes, are isolated by the buses', async () => {
    const pool = openPool(tempDir());
    const monitor = new PerformanceMonitor({ slowQueryThreshold: 0 });
    monitor.events.on('slow-query', () => {
      throw new Error('subscriber bug');
    });
    const monitorListenerErrors: unknown[] = [];
    monitor.events.on('listener:error', (e) => monitorListenerErrors.push(e));
    monitor.attachPool(pool);
    // A listener of the pool that crashes outright (as the seed's monitor did on its first health event).
    const poolListenerErrors: unknown[] = [];
    pool.events.on('listener:error', (e) => poolListenerErrors.push(e));
    pool.events.on('query', () => {
      throw new Error('crashing listener');
    });
    for (let i = 0; i < 10; i++) expect(await pool.get('SELECT ? AS i', [i])).toEqual({ i });
    expect(poolListenerErrors).toHaveLength(10);
    expect(monitorListenerErrors).toHaveLength(10);
    // And the monitor kept counting.
    expect(monitor.snapshot().queries.total).toBe(10);
    await monitor.stop();
  });

  it('an EXPLAIN that fails (a reader that throws) is an error event, never a rejected report', async () => {
    const pool = openPool(tempDir());
    await pool.run('CREATE TABLE t (a TEXT)');
    const monitor = new PerformanceMonitor();
    const errors: MonitorErrorEvent[] = [];
    monitor.events.on('error', (e) => errors.push(e));
    monitor.attach(pool.events, {
      reader: () => {
        throw new Error('no reader today');
      },
    });
    await pool.all('SELECT * FROM t WHERE a = ?', ['x']);
    const report = await monitor.getPerformanceReport();
    expect(report.recommendations).toEqual([]);
    expect(errors.map((e) => e.where)).toEqual(['explain']);
    await monitor.stop();
  });
});
