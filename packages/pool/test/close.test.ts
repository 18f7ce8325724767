import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import {
  expectRejectCode,
  sleep,
  startPoolCloseBound,
  startPoolLifecycle,
  useSandbox,
} from './helpers/index.js';

const sb = useSandbox();

describe('close', () => {
  it('is idempotent, also when called concurrently', async () => {
    const pool = sb().pool({ filename: 'idem.db' });
    await Promise.all([pool.close(), pool.close()]);
    await pool.close();
    expect(pool.stats().closed).toBe(true);
    expect(pool.stats().total).toBe(0);
  });

  it('waits for a transaction in flight, which commits', async () => {
    const s = sb();
    const pool = s.pool({ filename: 'inflight.db' });
    await pool.run('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)');
    let txDone = false;
    const tx = pool
      .transaction(async (t) => {
        t.run("INSERT INTO t (v) VALUES ('first')");
        await sleep(200);
        t.run("INSERT INTO t (v) VALUES ('second')");
      })
      .then(() => {
        txDone = true;
      });
    await sleep(20);
    await pool.close();
    expect(txDone).toBe(true);
    await tx;
    const db = new Database(s.file('inflight.db'), { readonly: true });
    try {
      expect(db.prepare('SELECT v FROM t ORDER BY id').all()).toEqual([
        { v: 'first' },
        { v: 'second' },
      ]);
    } finally {
      db.close();
    }
  });

  it('after close, every call fails with POOL_CLOSED', async () => {
    const pool = sb().pool({ filename: 'closed.db' });
    await pool.run('CREATE TABLE t (id INTEGER PRIMARY KEY)');
    await pool.close();
    await expectRejectCode(pool.get('SELECT 1'), 'POOL_CLOSED');
    await expectRejectCode(pool.all('SELECT 1'), 'POOL_CLOSED');
    await expectRejectCode(pool.run('INSERT INTO t (id) VALUES (1)'), 'POOL_CLOSED');
    await expectRejectCode(pool.executeQuery('SELECT 1'), 'POOL_CLOSED');
    await expectRejectCode(
      pool.transaction(() => 1),
      'POOL_CLOSED',
    );
    await expectRejectCode(pool.begin(), 'POOL_CLOSED');
    await expectRejectCode(
      pool.read(() => 1),
      'POOL_CLOSED',
    );
    await expectRejectCode(pool.acquire(), 'POOL_CLOSED');
    await expectRejectCode(
      pool.withConnection(() => 1),
      'POOL_CLOSED',
    );
    await expectRejectCode(pool.checkHealth(), 'POOL_CLOSED');
  });

  it('does not wait past its bound for a lease never released; waiters are told POOL_CLOSED', async () => {
    // In a child process (the built package): a close() that starves the event loop must fail
    // this test, not hang the runner.
    const s = sb();
    const child = startPoolCloseBound(s.root, 'bound.db');
    const killer = setTimeout(() => child.process.kill('SIGKILL'), 5000);
    const { code, signal } = await child.exited;
    clearTimeout(killer);
    expect(signal, 'close() did not return within 5 s').toBeNull();
    expect(code, child.stderr()).toBe(0);
    const result = JSON.parse(child.lines[0]!) as {
      ms: number;
      waiter: string;
      total: number;
      closed: boolean;
    };
    expect(result.ms).toBeGreaterThanOrEqual(100);
    expect(result.ms).toBeLessThan(3000);
    expect(result.waiter).toBe('POOL_CLOSED');
    expect(result.total).toBe(0);
    expect(result.closed).toBe(true);
  });

  it.each([
    ['closes its pool', 'close'],
    ['leaves its pool open (every timer unref()ed)', 'leave-open'],
  ] as const)('a process that %s exits by itself', async (_, mode) => {
    const s = sb();
    const child = startPoolLifecycle(s.root, 'life.db', mode);
    const started = performance.now();
    const killer = setTimeout(() => child.process.kill('SIGKILL'), 3000);
    const { code, signal } = await child.exited;
    clearTimeout(killer);
    expect(child.stderr()).toBe('');
    expect(signal, 'still running after 3 s').toBeNull();
    expect(code).toBe(0);
    expect(child.lines).toEqual(['done 3']);
    expect(performance.now() - started).toBeLessThan(3000);
  });
});
