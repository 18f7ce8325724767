import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DatabaseConnectionManager } from '../src/index.js';
import { expectRejectCode, useSandbox } from './helpers/index.js';

const sb = useSandbox();

function manager(): DatabaseConnectionManager {
  const s = sb();
  const m = new DatabaseConnectionManager({ root: s.root, maxConnections: 4 });
  s.defer(() => m.shutdown());
  return m;
}

describe('DatabaseConnectionManager (the seed facade)', () => {
  it('createPool(name, opts) makes <name>.db under the root; executeQuery reads and writes', async () => {
    const s = sb();
    const m = manager();
    const pool = m.createPool('memory');
    expect(pool.filename).toBe(s.file('memory.db'));
    expect(pool.stats().maxConnections).toBe(4);
    expect(
      await m.executeQuery('memory', 'CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)'),
    ).toMatchObject({
      kind: 'run',
    });
    const ins = await m.executeQuery('memory', 'INSERT INTO t (v) VALUES (?)', ['a']);
    expect(ins).toMatchObject({ kind: 'run', changes: 1 });
    expect(await m.executeQuery('memory', 'SELECT v FROM t')).toEqual({
      kind: 'rows',
      rows: [{ v: 'a' }],
    });
    expect(existsSync(s.file('memory.db'))).toBe(true);

    m.createPool('hive', { filename: 'nested-hive.db', maxConnections: 2 });
    expect(m.getStats().hive!.maxConnections).toBe(2);
    expect(Object.keys(m.getStats()).sort()).toEqual(['hive', 'memory']);
  });

  it('refuses a duplicate name, and an unknown name, as rejected promises for async methods', async () => {
    const m = manager();
    m.createPool('a');
    expect(() => m.createPool('a')).toThrow(/already exists/);
    await expectRejectCode(m.executeQuery('nope', 'SELECT 1'), 'POOL_UNKNOWN');
    await expectRejectCode(m.getConnection('nope'), 'POOL_UNKNOWN');
    await expectRejectCode(m.beginTransaction('nope'), 'POOL_UNKNOWN');
  });

  it('getConnection leases a connection that is given back on release', async () => {
    const m = manager();
    m.createPool('a');
    const lease = await m.getConnection('a');
    expect(lease.get('SELECT 1 AS one')).toEqual({ one: 1 });
    expect(m.getStats().a!.leased).toBe(1);
    lease.release();
    expect(m.getStats().a!.leased).toBe(0);
  });

  it('beginTransaction: commit() keeps the work, rollback() undoes it, { timeout } bounds it', async () => {
    const m = manager();
    m.createPool('a');
    await m.executeQuery('a', 'CREATE TABLE t (v TEXT)');

    const kept = await m.beginTransaction('a');
    kept.run("INSERT INTO t (v) VALUES ('kept')");
    await kept.commit();

    const undone = await m.beginTransaction('a', { timeout: 5000 });
    undone.run("INSERT INTO t (v) VALUES ('undone')");
    await undone.rollback();

    const forgotten = await m.beginTransaction('a', { timeout: 100 });
    forgotten.run("INSERT INTO t (v) VALUES ('forgotten')");
    // The next write waits for the timeout to roll the forgotten transaction back.
    await m.executeQuery('a', "INSERT INTO t (v) VALUES ('next')");
    expect(forgotten.active).toBe(false);

    expect(await m.executeQuery('a', 'SELECT v FROM t ORDER BY rowid')).toEqual({
      kind: 'rows',
      rows: [{ v: 'kept' }, { v: 'next' }],
    });
    expect(m.getStats().a!.counters.transactions.timedOut).toBe(1);
  });

  it('shutdown() closes every pool; it is idempotent; later calls fail with POOL_CLOSED', async () => {
    const m = manager();
    const a = m.createPool('a');
    const b = m.createPool('b');
    await Promise.all([m.shutdown(), m.shutdown()]);
    expect(a.stats().closed).toBe(true);
    expect(b.stats().closed).toBe(true);
    await expectRejectCode(m.executeQuery('a', 'SELECT 1'), 'POOL_CLOSED');
    await expectRejectCode(m.getConnection('a'), 'POOL_CLOSED');
    await expectRejectCode(a.get('SELECT 1'), 'POOL_CLOSED');
  });
});
