import { createPool } from '@hivedb/pool';
import { describe, expect, it } from 'vitest';
import { type Alert, PerformanceMonitor } from '../src/index.js';
import { manualClock, openPool, tempDir } from './helpers.js';

const KiB = 1024;

/** Resolves once `pool` has emitted a `wal` event that `match` accepts. */
function walEvent(
  pool: ReturnType<typeof openPool>,
  match: (e: { overLimit: boolean; maxWalBytes: number }) => boolean,
): Promise<void> {
  return new Promise((resolve) => {
    const listener = (e: { overLimit: boolean; maxWalBytes: number }) => {
      if (!match(e)) return;
      pool.events.off('wal', listener);
      resolve();
    };
    pool.events.on('wal', listener);
  });
}

describe('wal_size alert', () => {
  it('a reader that pins the WAL past walLimitBytes raises wal_size; it resolves once the WAL is back under the bound', async () => {
    const clock = manualClock();
    const dir = tempDir();
    const pool = openPool(dir, { walCheckpointBytes: 64 * KiB, walLimitBytes: 256 * KiB });
    await pool.run('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)');
    const monitor = new PerformanceMonitor({ clock: clock.now, monitoringInterval: 0 });
    const raised: Alert[] = [];
    const resolved: Alert[] = [];
    monitor.events.on('alert', (a) => raised.push(a));
    monitor.events.on('alert:resolved', (a) => resolved.push(a));
    monitor.attachPool(pool);

    // Another connection holds a read snapshot: no checkpoint can copy past it.
    const other = createPool({ filename: 'app.db', root: dir, healthCheckInterval: 0 });
    const lease = await other.acquire({ mode: 'read' });
    lease.raw.exec('BEGIN');
    lease.raw.prepare('SELECT count(*) FROM t').get();
    const over = walEvent(pool, (e) => e.overLimit);
    for (let i = 0; i < 200; i++)
      await pool.run('INSERT INTO t (v) VALUES (?)', ['x'.repeat(4000)]);
    await over;
    await monitor.runCycle();
    const alert = raised.find((a) => a.type === 'wal_size');
    expect(alert, JSON.stringify(raised)).toBeDefined();
    expect(alert!.threshold).toBe(0.25);
    expect(alert!.value).toBeGreaterThan(0.25);
    expect(alert!.message).toMatch(/over its bound of 0\.3 MiB/);

    // The reader lets go: the checkpointer restarts the WAL, and the next cycle resolves it.
    lease.raw.exec('COMMIT');
    lease.release();
    await other.close();
    await pool.run('INSERT INTO t (v) VALUES (?)', ['after']);
    await walEvent(pool, (e) => !e.overLimit);
    // A cycle whose every report was under the bound resolves it (the cycle before may still
    // have seen the WAL before it was emptied).
    clock.advance(1000);
    await monitor.runCycle();
    await walEvent(pool, (e) => !e.overLimit);
    clock.advance(1000);
    await monitor.runCycle();
    expect(resolved.map((a) => a.type)).toContain('wal_size');
    expect(monitor.activeAlerts().filter((a) => a.type === 'wal_size')).toEqual([]);
    await monitor.stop();
  }, 20_000);
});
