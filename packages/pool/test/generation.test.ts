import { describe, expect, it } from 'vitest';
import { useSandbox, writeInChild } from './helpers/index.js';

const sb = useSandbox();

// generation() is what a cache above the pool (the store's) validates against: equal values
// must mean that nothing was committed anywhere since.
describe('generation()', () => {
  async function setup() {
    const s = sb();
    const pool = s.pool({ filename: 'gen.db' });
    await pool.run('CREATE TABLE kv (k TEXT PRIMARY KEY, v TEXT NOT NULL)');
    await pool.run("INSERT INTO kv VALUES ('a', 'v0')");
    return { s, pool };
  }

  it('stays put while nothing is committed, across snapshots and macrotasks', async () => {
    const { pool } = await setup();
    const g = pool.generation();
    expect(typeof g).toBe('number');
    await pool.get('SELECT v FROM kv WHERE k = ?', ['a']);
    expect(pool.generation()).toBe(g);
    await new Promise((r) => setTimeout(r, 20)); // the snapshot ends; a new one begins
    expect(pool.generation()).toBe(g);
  });

  it('moves on a commit through this pool', async () => {
    const { pool } = await setup();
    const g = pool.generation()!;
    await pool.run("UPDATE kv SET v = 'v1' WHERE k = 'a'");
    expect(pool.generation()).toBeGreaterThan(g);
    const h = pool.generation()!;
    await pool.transaction((tx) => tx.run("UPDATE kv SET v = 'v2' WHERE k = 'a'"));
    expect(pool.generation()).toBeGreaterThan(h);
  });

  it('moves on a commit by another process, once the next snapshot begins', async () => {
    const { s, pool } = await setup();
    const g = pool.generation()!;
    await writeInChild(s.file('gen.db'), "UPDATE kv SET v = 'child' WHERE k = 'a'");
    await new Promise((r) => setImmediate(r)); // the snapshot that began before the commit ends
    const h = pool.generation()!;
    expect(h).toBeGreaterThan(g);
    // …and the snapshot it reports on serves the child's value.
    expect(await pool.get('SELECT v FROM kv WHERE k = ?', ['a'])).toEqual({ v: 'child' });
  });

  it('moves on a commit by another connection in this process', async () => {
    const { s, pool } = await setup();
    const other = s.raw('gen.db');
    const g = pool.generation()!;
    other.prepare("UPDATE kv SET v = 'other' WHERE k = 'a'").run();
    await new Promise((r) => setImmediate(r));
    expect(pool.generation()).toBeGreaterThan(g);
  });

  it('is undefined for a closed pool', async () => {
    const { pool } = await setup();
    await pool.close();
    expect(pool.generation()).toBeUndefined();
  });
});
