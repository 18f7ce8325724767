import { describe, expect, it } from 'vitest';
import type {
  AcquireEvent,
  ConnectionCloseEvent,
  ConnectionOpenEvent,
  ListenerErrorPayload,
  QueryEvent,
  ReleaseEvent,
  TransactionEvent,
  UtilizationEvent,
} from '../src/index.js';
import { useSandbox, within } from './helpers/index.js';

const sb = useSandbox();

describe('events', () => {
  it('utilization follows every connection changing hands: read snapshots, transactions and leases', async () => {
    const pool = sb().pool({ filename: 'util.db', maxConnections: 3 });
    await pool.run('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)');
    await new Promise((r) => setImmediate(r));
    const seen: UtilizationEvent[] = [];
    pool.events.on('utilization', (u) => seen.push(u));
    // A read snapshot: a reader taken for the macrotask, returned at its end.
    await pool.get('SELECT count(*) AS n FROM t');
    await new Promise((r) => setImmediate(r));
    expect(seen.map((u) => u.leased)).toEqual([1, 0]);
    seen.length = 0;
    // A transaction holds the writer from BEGIN to COMMIT.
    await pool.transaction((tx) => {
      expect(seen.at(-1)?.leased).toBe(1);
      tx.run("INSERT INTO t (v) VALUES ('a')");
    });
    expect(seen.map((u) => u.leased)).toEqual([1, 0]);
    seen.length = 0;
    // Leases: two readers and the writer at once, then all back.
    const leases = await Promise.all([
      pool.acquire({ mode: 'read' }),
      pool.acquire({ mode: 'read' }),
      pool.acquire({ mode: 'write' }),
    ]);
    expect(Math.max(...seen.map((u) => u.leased))).toBe(3);
    expect(seen.at(-1)).toMatchObject({ leased: 3, total: 3, max: 3 });
    for (const l of leases) l.release();
    expect(seen.at(-1)?.leased).toBe(0);
    expect(pool.stats().leased).toBe(0);
  });

  it('a listener that throws does not fail the query, and its error shows on listener:error', async () => {
    const pool = sb().pool({ filename: 'ev.db' });
    const listenerErrors: ListenerErrorPayload[] = [];
    pool.events.on('listener:error', (e) => listenerErrors.push(e));
    const bad = new Error('listener bug');
    pool.events.on('query', () => {
      throw bad;
    });
    pool.events.on('transaction', () => {
      throw bad;
    });
    await within(2000, pool.run('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)'));
    await within(2000, pool.run("INSERT INTO t (v) VALUES ('a')"));
    await within(
      2000,
      pool.transaction((tx) => tx.run("INSERT INTO t (v) VALUES ('b')")),
    );
    expect(await within(2000, pool.all('SELECT v FROM t ORDER BY id'))).toEqual([
      { v: 'a' },
      { v: 'b' },
    ]);
    expect(listenerErrors.length).toBeGreaterThanOrEqual(3);
    expect(listenerErrors.every((e) => e.error === bad)).toBe(true);
    expect(listenerErrors.map((e) => e.event)).toContain('query');
    expect(listenerErrors.map((e) => e.event)).toContain('transaction');
  });

  it("query events carry sql, durationMs, rows, kind, connectionId, and SQLite's code on failure", async () => {
    const pool = sb().pool({ filename: 'q.db' });
    await pool.run('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)');
    const events: QueryEvent[] = [];
    pool.events.on('query', (e) => events.push(e));

    await pool.run('INSERT INTO t (id, v) VALUES (?, ?)', [1, 'secret-value']);
    await pool.all('SELECT * FROM t WHERE id > ?', [0]);
    await pool.run('INSERT INTO t (id, v) VALUES (?, ?)', [1, 'dup']).catch(() => {});

    const write = events.find((e) => e.sql === 'INSERT INTO t (id, v) VALUES (?, ?)' && !e.error)!;
    expect(write).toBeDefined();
    expect(write.kind).toBe('write');
    expect(write.rows).toBe(1);
    expect(write.paramCount).toBe(2);
    expect(typeof write.durationMs).toBe('number');
    expect(write.durationMs).toBeGreaterThanOrEqual(0);
    expect(Number.isInteger(write.connectionId)).toBe(true);
    expect(write.filename).toBe(pool.filename);

    const read = events.find((e) => e.sql === 'SELECT * FROM t WHERE id > ?')!;
    expect(read.kind).toBe('read');
    expect(read.rows).toBe(1);
    expect(read.cacheHit).toBe(false);
    expect(read.connectionId).not.toBe(write.connectionId); // a reader, not the writer

    const failed = events.find((e) => e.error)!;
    expect(failed.error!.sqliteCode).toBe('SQLITE_CONSTRAINT_PRIMARYKEY');
    expect(failed.error!.code).toBe('POOL_SQLITE_ERROR');

    // Bound values are never put on the bus.
    expect(JSON.stringify(events)).not.toContain('secret-value');
  });

  it('statements inside a transaction carry its id; the transaction event carries mode and outcome', async () => {
    const pool = sb().pool({ filename: 'txev.db' });
    await pool.run('CREATE TABLE t (id INTEGER PRIMARY KEY)');
    const queries: QueryEvent[] = [];
    const txs: TransactionEvent[] = [];
    pool.events.on('query', (e) => queries.push(e));
    pool.events.on('transaction', (e) => txs.push(e));
    let id = -1;
    await pool.transaction((tx) => {
      id = tx.id;
      tx.run('INSERT INTO t (id) VALUES (1)');
    });
    await pool
      .transaction((tx) => {
        tx.run('INSERT INTO t (id) VALUES (2)');
        throw new Error('no');
      })
      .catch(() => {});
    expect(queries.find((q) => q.sql === 'INSERT INTO t (id) VALUES (1)')?.transactionId).toBe(id);
    const mine = txs.find((t) => t.transactionId === id)!;
    expect(mine.mode).toBe('immediate');
    expect(mine.outcome).toBe('commit');
    expect(mine.retries).toBe(0);
    expect(mine.durationMs).toBeGreaterThanOrEqual(0);
    expect(txs.some((t) => t.outcome === 'rollback')).toBe(true);
  });

  it('acquire/release carry wait and hold times; connection:open/close carry role and reason', async () => {
    const s = sb();
    const pool = s.pool({ filename: 'conn.db', minConnections: 1, maxConnections: 3 });
    const opened: ConnectionOpenEvent[] = [];
    const closed: ConnectionCloseEvent[] = [];
    const acquired: AcquireEvent[] = [];
    const released: ReleaseEvent[] = [];
    pool.events.on('connection:open', (e) => opened.push(e));
    pool.events.on('connection:close', (e) => closed.push(e));
    pool.events.on('acquire', (e) => acquired.push(e));
    pool.events.on('release', (e) => released.push(e));

    const a = await pool.acquire();
    const b = await pool.acquire();
    expect(opened).toHaveLength(2);
    expect(opened.every((e) => e.role === 'reader' && e.reason === 'demand')).toBe(true);
    expect(new Set(opened.map((e) => e.connectionId))).toEqual(
      new Set([a.connectionId, b.connectionId]),
    );
    expect(acquired.map((e) => e.connectionId).sort()).toEqual(
      [a.connectionId, b.connectionId].sort(),
    );
    expect(acquired.every((e) => e.mode === 'read' && e.waitMs >= 0)).toBe(true);
    await new Promise((r) => setTimeout(r, 20));
    a.release();
    b.release();
    expect(released).toHaveLength(2);
    expect(released.every((e) => e.heldMs >= 15)).toBe(true);

    const total = pool.stats().total;
    await pool.close();
    expect(closed).toHaveLength(total);
    expect(closed.every((e) => e.reason === 'close')).toBe(true);
    expect(closed.filter((e) => e.role === 'writer')).toHaveLength(1);
  });
});
