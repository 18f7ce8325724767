import { describe, expect, it } from 'vitest';
import { PerformanceMonitor, type SlowQuery } from '../src/index.js';
import { openPool, tempDir } from './helpers.js';

const COUNT_SQL =
  'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < ?) SELECT count(*) AS n FROM c';

/** The recursion length that takes at least `ms` here (measured, so the test holds on any machine). */
async function lengthTaking(pool: ReturnType<typeof openPool>, ms: number): Promise<number> {
  let n = 50_000;
  for (;;) {
    const t = performance.now();
    await pool.get(COUNT_SQL, [n]);
    if (performance.now() - t >= ms) return n;
    n *= 2;
  }
}

describe("queryTiming 'sampled' (the default): the pool's query:batch", () => {
  it('counts every statement exactly, and catches a slow one among thousands of fast ones as it ends', async () => {
    const pool = openPool(tempDir());
    await pool.run('CREATE TABLE kv (k INTEGER PRIMARY KEY, v TEXT)');
    await pool.transaction((tx) => {
      for (let i = 0; i < 100; i++) tx.run('INSERT INTO kv VALUES (?, ?)', [i, `v${i}`]);
    });
    const slowLength = await lengthTaking(pool, 250);

    const monitor = new PerformanceMonitor({ slowQueryThreshold: 150, monitoringInterval: 0 });
    expect(monitor.options.queryTiming).toBe('sampled');
    const slow: SlowQuery[] = [];
    monitor.events.on('slow-query', (q) => slow.push(q));
    monitor.attachPool(pool);
    // The pool's clock thread starts with the first statement listened to; give it time to tick,
    // so that most of what follows is timed by the clock, not by performance.now().
    await pool.get('SELECT 1');
    await new Promise((r) => setTimeout(r, 300));

    for (let i = 0; i < 5000; i++) await pool.get('SELECT v FROM kv WHERE k = ?', [i % 100]);
    // The same text fast a few times first: its first statement is timed, the next ones (the slow
    // one among them) are left to the clock unless they fall on the 1-in-64 sample.
    for (let i = 0; i < 4; i++) await pool.get(COUNT_SQL, [10]);
    const fast = slow.length;
    await pool.get(COUNT_SQL, [slowLength]);
    // Delivered as it ended: no flush, no report needed.
    expect(fast).toBe(0);
    expect(slow).toHaveLength(1);
    expect(slow[0]).toMatchObject({ sql: COUNT_SQL, paramCount: 1, rows: 1 });
    expect(slow[0]!.durationMs).toBeGreaterThanOrEqual(150);
    for (let i = 0; i < 3; i++) await pool.run('UPDATE kv SET v = ? WHERE k = ?', ['w', i]);
    await expect(pool.get('SELECT nope FROM kv')).rejects.toThrow();

    const report = monitor.snapshot();
    const select = report.queries.byOperation.find((o) => o.operation === 'SELECT');
    // 1 + 5000 + 4 + 1 reads and one that failed to prepare; every one counted.
    expect(select).toMatchObject({ count: 5007, errors: 1 });
    expect(report.queries.byOperation.find((o) => o.operation === 'UPDATE')?.count).toBe(3);
    expect(report.queries.total).toBe(5010);
    const read = report.queries.mostFrequent.find(
      (s) => s.statement === 'SELECT v FROM kv WHERE k = ?',
    );
    expect(read?.count).toBe(5000);
    expect(read?.latency.maxMs).toBeLessThan(150);
    expect(report.slowQueries.total).toBe(1);

    // The export's counts are the queries made, and its histogram has exactly that many entries.
    const text = monitor.toPrometheus();
    const count = (op: string, error = '') =>
      Number(
        new RegExp(
          `^db_client_operation_duration_seconds_count\\{[^}]*db_operation_name="${op}"${error}\\} (\\d+)$`,
          'm',
        ).exec(text)?.[1],
      );
    expect(count('SELECT')).toBe(5006);
    expect(count('SELECT', ',error_type="SQLITE_ERROR"')).toBe(1);
    expect(count('UPDATE')).toBe(3);
    await monitor.stop();
  });

  it("'exact' times every statement through the pool's query event", async () => {
    const pool = openPool(tempDir());
    const monitor = new PerformanceMonitor({ queryTiming: 'exact', monitoringInterval: 0 });
    monitor.attachPool(pool);
    expect(pool.events.listenerCount('query')).toBe(1);
    expect(pool.events.listenerCount('query:batch')).toBe(0);
    for (let i = 0; i < 50; i++) await pool.get('SELECT ? AS i', [i]);
    expect(monitor.snapshot().queries.total).toBe(50);
    await monitor.stop();
    expect(pool.events.listenerCount('query')).toBe(0);
  });

  it('detaching delivers what the pool still holds, then counts nothing more', async () => {
    const pool = openPool(tempDir());
    const monitor = new PerformanceMonitor({ monitoringInterval: 0 });
    const detach = monitor.attachPool(pool);
    for (let i = 0; i < 10; i++) await pool.get('SELECT ? AS i', [i]);
    detach();
    for (let i = 0; i < 10; i++) await pool.get('SELECT ? AS i', [i]);
    expect(monitor.snapshot().queries.total).toBe(10);
    expect(pool.events.listenerCount('query:batch')).toBe(0);
    await monitor.stop();
  });
});
