import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import type { TransactionEvent } from '../src/index.js';
import { type CodedError, sigkill, startPoolWriter, useSandbox } from './helpers/index.js';

const sb = useSandbox();

describe('group commit', () => {
  it('64 concurrent inserts with one duplicate key: 63 committed, exactly that caller rejected', async () => {
    const s = sb();
    const pool = s.pool({ filename: 'group.db' });
    await pool.run('CREATE TABLE items (id INTEGER PRIMARY KEY, body TEXT NOT NULL)');
    await pool.run("INSERT INTO items (id, body) VALUES (1000, 'existing')");
    const transactions: TransactionEvent[] = [];
    pool.events.on('transaction', (e) => transactions.push(e));
    const counters0 = pool.stats().counters;

    // An independent connection: when a caller's promise resolves, its row must already be committed.
    const observer = s.raw('group.db', { readonly: true });
    const visible = observer.prepare('SELECT count(*) AS n FROM items WHERE id = ?').pluck();
    const notCommittedAtResolve: number[] = [];

    const ids = Array.from({ length: 64 }, (_, i) => (i === 31 ? 1000 : i + 1));
    const settled = await Promise.allSettled(
      ids.map((id) =>
        pool.run('INSERT INTO items (id, body) VALUES (?, ?)', [id, `row ${id}`]).then((r) => {
          if (visible.get(id) !== 1) notCommittedAtResolve.push(id);
          return r;
        }),
      ),
    );

    const rejected = settled.flatMap((r, i) =>
      r.status === 'rejected' ? [[i, r.reason as CodedError] as const] : [],
    );
    expect(rejected).toHaveLength(1);
    const [index, err] = rejected[0]!;
    expect(index).toBe(31);
    expect(err.name).toBe('HiveDbError');
    expect(err.code).toBe('POOL_SQLITE_ERROR');
    expect(err.sqliteCode).toMatch(/^SQLITE_CONSTRAINT/);
    for (const r of settled) {
      if (r.status === 'fulfilled') expect(r.value.changes).toBe(1);
    }
    expect(notCommittedAtResolve).toEqual([]);

    expect(await pool.get('SELECT count(*) AS n FROM items')).toEqual({ n: 64 });
    expect(await pool.get('SELECT body FROM items WHERE id = 1000')).toEqual({ body: 'existing' });
    const c = pool.stats().counters;
    expect(c.groupCommits - counters0.groupCommits).toBeGreaterThanOrEqual(1);
    expect(c.groupedWrites - counters0.groupedWrites).toBeGreaterThanOrEqual(2);
    const groups = transactions.filter((e) => e.mode === 'group');
    expect(groups.length).toBeGreaterThanOrEqual(1);
    expect(groups.every((g) => g.outcome === 'commit')).toBe(true);
    expect(Math.max(...groups.map((g) => g.statements ?? 0))).toBeGreaterThan(1);
  });

  it("each caller in a group gets its own statement's result", async () => {
    const pool = sb().pool({ filename: 'results.db' });
    await pool.run('CREATE TABLE items (id INTEGER PRIMARY KEY, body TEXT NOT NULL)');
    const results = await Promise.all(
      Array.from({ length: 64 }, (_, i) =>
        pool.run('INSERT INTO items (body) VALUES (?)', [`caller ${i}`]),
      ),
    );
    const rowids = results.map((r) => Number(r.lastInsertRowid));
    expect(new Set(rowids).size).toBe(64);
    for (let i = 0; i < 64; i++) {
      expect(await pool.get('SELECT body FROM items WHERE id = ?', [rowids[i]])).toEqual({
        body: `caller ${i}`,
      });
    }
    // An UPDATE's changes are its own, not the group's.
    const [u1, u2] = await Promise.all([
      pool.run("UPDATE items SET body = 'x' WHERE id <= 10"),
      pool.run("UPDATE items SET body = 'y' WHERE id = 11"),
    ]);
    expect(u1.changes).toBe(10);
    expect(u2.changes).toBe(1);
  });

  it('a statement failing in the middle of a group undoes only its own work', async () => {
    const pool = sb().pool({ filename: 'partial.db' });
    await pool.run('CREATE TABLE a (id INTEGER PRIMARY KEY, n INTEGER NOT NULL CHECK (n < 100))');
    await pool.run('INSERT INTO a (id, n) VALUES (1, 0), (2, 0), (3, 0)');
    // The second statement changes two rows before failing its CHECK on the third.
    const settled = await Promise.allSettled([
      pool.run('UPDATE a SET n = n + 1 WHERE id = 1'),
      pool.run('UPDATE a SET n = CASE id WHEN 3 THEN 100 ELSE n + 10 END'),
      pool.run('UPDATE a SET n = n + 1 WHERE id = 2'),
    ]);
    expect(settled.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(((settled[1] as PromiseRejectedResult).reason as CodedError).sqliteCode).toBe(
      'SQLITE_CONSTRAINT_CHECK',
    );
    expect(await pool.all('SELECT id, n FROM a ORDER BY id')).toEqual([
      { id: 1, n: 1 },
      { id: 2, n: 1 },
      { id: 3, n: 0 },
    ]);
  });

  it('a statement that rolls the whole group back (RAISE(ROLLBACK)) fails only its own caller', async () => {
    const pool = sb().pool({ filename: 'raise.db' });
    await pool.run('CREATE TABLE items (id INTEGER PRIMARY KEY, body TEXT NOT NULL)');
    await pool.run(
      "CREATE TRIGGER no_poison BEFORE INSERT ON items WHEN NEW.body = 'poison' BEGIN SELECT RAISE(ROLLBACK, 'poisoned'); END",
    );
    // Hold the writer so that everything below queues into one group.
    const h = await pool.begin();
    const calls = Array.from({ length: 10 }, (_, i) =>
      pool.run('INSERT INTO items (id, body) VALUES (?, ?)', [
        i + 1,
        i === 4 ? 'poison' : `row ${i + 1}`,
      ]),
    );
    await h.commit();
    const settled = await Promise.allSettled(calls);
    expect(settled.map((r) => r.status)).toEqual(
      Array.from({ length: 10 }, (_, i) => (i === 4 ? 'rejected' : 'fulfilled')),
    );
    const err = (settled[4] as PromiseRejectedResult).reason as CodedError;
    expect(err.sqliteCode).toMatch(/^SQLITE_CONSTRAINT/);
    expect(err.message).toContain('poisoned');
    expect(await pool.all('SELECT id FROM items ORDER BY id')).toEqual(
      [1, 2, 3, 4, 6, 7, 8, 9, 10].map((id) => ({ id })),
    );
  });

  it("SIGKILL after a group's promises resolved loses none of them (built package in a child)", async () => {
    const s = sb();
    let first = 1;
    for (const killAfter of [150, 700]) {
      const child = startPoolWriter(s.root, 'durable.db', first);
      await child.waitForLine((l) => l === 'ready');
      // Every line after `ready` is an id whose promise resolved.
      await child.waitUntil(() => child.lines.length > killAfter, 20_000);
      await sigkill(child);
      const acknowledged = child.lines.slice(1).map(Number);
      expect(acknowledged.every((id) => Number.isInteger(id))).toBe(true);
      expect(acknowledged.length).toBeGreaterThanOrEqual(killAfter);

      const db = new Database(s.file('durable.db'));
      try {
        expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
        const present = new Set(db.prepare('SELECT id FROM items').pluck().all() as number[]);
        const lost = acknowledged.filter((id) => !present.has(id));
        expect(lost).toEqual([]);
        first = (db.prepare('SELECT max(id) FROM items').pluck().get() as number) + 1;
      } finally {
        db.close();
      }
    }
  });
});
