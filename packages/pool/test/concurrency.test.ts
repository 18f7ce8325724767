import { describe, expect, it } from 'vitest';
import { nextMacrotask, useSandbox } from './helpers/index.js';

const sb = useSandbox();

const PAIR = 'SELECT a.v AS a, b.v AS b FROM pair a, pair b WHERE a.k = ? AND b.k = ?';

describe('concurrent writers and readers', () => {
  it('200 async transactions each incrementing one counter end at exactly 200; readers never see half a transaction', async () => {
    const pool = sb().pool({ filename: 'counter.db', maxConnections: 4 });
    await pool.transaction((tx) => {
      tx.exec('CREATE TABLE counter (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)');
      tx.exec('CREATE TABLE pair (k TEXT PRIMARY KEY, v INTEGER NOT NULL)');
      tx.run('INSERT INTO counter (id, n) VALUES (1, 0)');
      tx.run("INSERT INTO pair (k, v) VALUES ('a', 0), ('b', 0)");
    });

    let writing = true;
    const violations: string[] = [];

    // Single-statement reads in a loop: each sees both rows of one committed state, and never goes back.
    const pointReader = async (): Promise<number> => {
      let reads = 0;
      let last = -1;
      while (writing) {
        const r = await pool.get<{ a: number; b: number }>(PAIR, ['a', 'b']);
        if (!r || r.a !== r.b) violations.push(`get saw ${JSON.stringify(r)}`);
        else if (r.a < last) violations.push(`get went back from ${last} to ${r.a}`);
        else last = r.a;
        reads++;
        await nextMacrotask();
      }
      return reads;
    };

    // Two statements in one read(), with commits landing between them: one snapshot throughout.
    const snapshotReader = async (): Promise<number> => {
      let reads = 0;
      while (writing) {
        const r = await pool.read(async (tx) => {
          const a = tx.get<{ v: number }>('SELECT v FROM pair WHERE k = ?', ['a'])!.v;
          await nextMacrotask();
          const b = tx.get<{ v: number }>('SELECT v FROM pair WHERE k = ?', ['b'])!.v;
          const all = tx.all<{ v: number }>('SELECT v FROM pair ORDER BY k').map((x) => x.v);
          return { a, b, all };
        });
        if (r.a !== r.b || r.all[0] !== r.a || r.all[1] !== r.a)
          violations.push(`read saw ${JSON.stringify(r)}`);
        reads++;
        await nextMacrotask();
      }
      return reads;
    };

    const readers = [pointReader(), pointReader(), snapshotReader()];
    const writers = Array.from({ length: 200 }, (_, i) =>
      pool.transaction(async (tx) => {
        const { n } = tx.get<{ n: number }>('SELECT n FROM counter WHERE id = 1')!;
        await nextMacrotask();
        tx.run('UPDATE counter SET n = ? WHERE id = 1', [n + 1]);
        tx.run("UPDATE pair SET v = ? WHERE k = 'a'", [n + 1]);
        // The transaction is half done here while readers run.
        await nextMacrotask();
        tx.run("UPDATE pair SET v = ? WHERE k = 'b'", [n + 1]);
        return i;
      }),
    );
    const results = await Promise.all(writers);
    writing = false;
    const reads = await Promise.all(readers);

    expect(results).toEqual(Array.from({ length: 200 }, (_, i) => i));
    expect(await pool.get('SELECT n FROM counter WHERE id = 1')).toEqual({ n: 200 });
    expect(await pool.get(PAIR, ['a', 'b'])).toEqual({ a: 200, b: 200 });
    expect(violations).toEqual([]);
    for (const n of reads) expect(n).toBeGreaterThan(0);
    expect(pool.stats().counters.transactions.committed).toBeGreaterThanOrEqual(201);
  });

  it('single-statement writes and transactions queued together never lose an update', async () => {
    const pool = sb().pool({ filename: 'mixed.db' });
    await pool.run('CREATE TABLE counter (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)');
    await pool.run('INSERT INTO counter (id, n) VALUES (1, 0)');
    const work: Promise<unknown>[] = [];
    for (let i = 0; i < 100; i++) {
      work.push(pool.run('UPDATE counter SET n = n + 1 WHERE id = 1'));
      work.push(
        pool.transaction(async (tx) => {
          const { n } = tx.get<{ n: number }>('SELECT n FROM counter WHERE id = 1')!;
          await nextMacrotask();
          tx.run('UPDATE counter SET n = ? WHERE id = 1', [n + 1]);
        }),
      );
    }
    await Promise.all(work);
    expect(await pool.get('SELECT n FROM counter WHERE id = 1')).toEqual({ n: 200 });
  });
});
