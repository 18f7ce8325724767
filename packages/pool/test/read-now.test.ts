import { describe, expect, it } from 'vitest';
import { expectThrowCode, useSandbox, writeInChildSync } from './helpers/index.js';

const sb = useSandbox();

const Q = 'SELECT v FROM t WHERE id = 1';

async function setup(options: { maxConnections?: number; minConnections?: number } = {}) {
  const s = sb();
  const pool = s.pool({ filename: 'now.db', snapshotWindowMs: 1000, ...options });
  await pool.run('CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER NOT NULL)');
  await pool.run('INSERT INTO t (id, v) VALUES (1, 0)');
  return { s, pool };
}

describe('readNow', () => {
  it("sees another process's commit made just before the call, inside the call, where an open snapshot does not", async () => {
    const { s, pool } = await setup();
    // A read opens a snapshot (held up to the 1 s window in this macrotask) as of v = 0.
    const early = pool.get<{ v: number }>(Q);
    writeInChildSync(s.file('now.db'), 'UPDATE t SET v = 7 WHERE id = 1');
    const now = pool.readNow((db) => db.get<{ v: number }>(Q));
    expect(now).toEqual({ v: 7 });
    expect(await early).toEqual({ v: 0 });
  });

  it('never waits: with every reader leased it reads on a surplus connection and closes it', async () => {
    const { s, pool } = await setup({ maxConnections: 2, minConnections: 2 });
    const reasons: string[] = [];
    pool.events.on('connection:open', (e) => reasons.push(`open ${e.reason}`));
    pool.events.on('connection:close', (e) => reasons.push(`close ${e.reason}`));
    const lease = await pool.acquire({ mode: 'read' });
    try {
      writeInChildSync(s.file('now.db'), 'UPDATE t SET v = 3 WHERE id = 1');
      expect(pool.readNow((db) => db.get<{ v: number }>(Q))).toEqual({ v: 3 });
      expect(reasons).toEqual(['open surplus', 'close surplus']);
      expect(pool.stats().total).toBe(2);
    } finally {
      lease.release();
    }
  });

  it('refuses an async fn and a closed pool with codes, and leaves no transaction open', async () => {
    const { pool } = await setup();
    expectThrowCode(() => pool.readNow(async () => 1), 'POOL_INVALID_ARGUMENT');
    expect(pool.readNow((db) => db.get<{ n: number }>('SELECT count(*) AS n FROM t'))).toEqual({
      n: 1,
    });
    await pool.run('UPDATE t SET v = 9 WHERE id = 1');
    expect(await pool.get(Q)).toEqual({ v: 9 });
    await pool.close();
    expectThrowCode(() => pool.readNow(() => 1), 'POOL_CLOSED');
  });
});
