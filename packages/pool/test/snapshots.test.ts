import { describe, expect, it } from 'vitest';
import {
  nextMacrotask,
  sleep,
  useSandbox,
  writeInChild,
  writeInChildSync,
} from './helpers/index.js';

const sb = useSandbox();

const Q = 'SELECT v FROM t WHERE id = 1';

async function setup(options: { snapshotWindowMs?: number } = {}) {
  const s = sb();
  const pool = s.pool({ filename: 'snap.db', ...options });
  await pool.run('CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER NOT NULL)');
  await pool.run('INSERT INTO t (id, v) VALUES (1, 0)');
  return { s, pool };
}

describe('read snapshots', () => {
  it("a read issued after this process's write resolved always sees it (1000 times)", async () => {
    const { pool } = await setup();
    const stale: string[] = [];
    for (let i = 1; i <= 1000; i++) {
      // A read in flight keeps a snapshot open in this macrotask; the write must end it.
      const inFlight = pool.get<{ v: number }>(Q);
      await pool.run('UPDATE t SET v = ? WHERE id = 1', [i]);
      const row = await pool.get<{ v: number }>(Q);
      if (row?.v !== i) stale.push(`get after write ${i} saw ${row?.v}`);
      const rows = await pool.all<{ v: number }>(Q);
      if (rows[0]?.v !== i) stale.push(`all after write ${i} saw ${rows[0]?.v}`);
      await inFlight;
      if (i % 100 === 0) await nextMacrotask();
    }
    expect(stale).toEqual([]);
    expect(pool.stats().counters.snapshots).toBeGreaterThan(0);
  });

  it('a read after a transaction, a begin()/commit() or a write lease sees it', async () => {
    const { pool } = await setup();
    for (let i = 1; i <= 100; i++) {
      void pool.get(Q);
      await pool.transaction((tx) => tx.run('UPDATE t SET v = ? WHERE id = 1', [i]));
      expect(await pool.get(Q)).toEqual({ v: i });
      expect(await pool.read((tx) => tx.get(Q))).toEqual({ v: i });
    }
    void pool.get(Q);
    const h = await pool.begin();
    h.run('UPDATE t SET v = ? WHERE id = 1', [-1]);
    await h.commit();
    expect(await pool.get(Q)).toEqual({ v: -1 });
    void pool.get(Q);
    await pool.withConnection((l) => l.run('UPDATE t SET v = ? WHERE id = 1', [-2]), {
      mode: 'write',
    });
    expect(await pool.get(Q)).toEqual({ v: -2 });
  });

  it("another process's commit is seen within the window by a reader polling every 5 ms", async () => {
    const { s, pool } = await setup();
    let seenAt: number | undefined;
    let polling = true;
    const poller = (async () => {
      while (polling) {
        const row = await pool.get<{ v: number }>(Q);
        if (row?.v === 42 && seenAt === undefined) seenAt = Date.now();
        await sleep(5);
      }
    })();
    await sleep(20);
    const committedAt = await writeInChild(s.file('snap.db'), 'UPDATE t SET v = 42 WHERE id = 1');
    const exitedAt = Date.now();
    while (seenAt === undefined && Date.now() - exitedAt < 2000) await sleep(5);
    polling = false;
    await poller;
    expect(seenAt).toBeDefined();
    expect(seenAt! - committedAt).toBeLessThan(200);
  });

  it('a snapshot is not reused past snapshotWindowMs, even inside one macrotask', async () => {
    const { s, pool } = await setup();
    await nextMacrotask();
    expect(await pool.get(Q)).toEqual({ v: 0 }); // opens a snapshot in this macrotask
    // Blocks this process (no macrotask ends) for far longer than the 1 ms window.
    writeInChildSync(s.file('snap.db'), 'UPDATE t SET v = 7 WHERE id = 1');
    expect(await pool.get(Q)).toEqual({ v: 7 });
  });

  it('snapshotWindowMs 0: the first read after the other process exits sees its commit', async () => {
    const { s, pool } = await setup({ snapshotWindowMs: 0 });
    await writeInChild(s.file('snap.db'), 'UPDATE t SET v = 5 WHERE id = 1');
    expect(await pool.get(Q)).toEqual({ v: 5 });
    // Even inside the macrotask of an earlier read.
    await nextMacrotask();
    expect(await pool.get(Q)).toEqual({ v: 5 });
    writeInChildSync(s.file('snap.db'), 'UPDATE t SET v = 6 WHERE id = 1');
    expect(await pool.get(Q)).toEqual({ v: 6 });
  });

  it('read() holds one snapshot across awaits while another process commits', async () => {
    const { s, pool } = await setup();
    const seen = await pool.read(async (tx) => {
      const before = tx.get<{ v: number }>(Q)!.v;
      await writeInChild(s.file('snap.db'), 'UPDATE t SET v = 9 WHERE id = 1');
      const after = tx.get<{ v: number }>(Q)!.v;
      return [before, after];
    });
    expect(seen).toEqual([0, 0]);
    await sleep(5);
    expect(await pool.get(Q)).toEqual({ v: 9 });
  });

  it('read() refuses a transaction control statement, so its snapshot cannot be ended from inside', async () => {
    const { s, pool } = await setup();
    const seen = await pool.read(async (tx) => {
      const before = tx.get<{ v: number }>(Q)!.v;
      let code: string | undefined;
      try {
        tx.run('/* c */ COMMIT');
      } catch (err) {
        code = (err as { code?: string }).code;
      }
      await writeInChild(s.file('snap.db'), 'UPDATE t SET v = 9 WHERE id = 1');
      return { before, after: tx.get<{ v: number }>(Q)!.v, code };
    });
    expect(seen).toEqual({ before: 0, after: 0, code: 'POOL_TRANSACTION_CONTROL' });
  });
});
