import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import type { CircuitEvent, Pool } from '../src/index.js';
import {
  type CodedError,
  corruptHeader,
  expectRejectCode,
  sleep,
  timed,
  useSandbox,
} from './helpers/index.js';

const sb = useSandbox();

const breaker = { failureThreshold: 3, resetTimeoutMs: 200 };

describe('circuit breaker', () => {
  it('opens on a database whose header is garbage, fails fast while open, and closes after it is restored', async () => {
    const s = sb();
    const file = s.file('c.db');
    const setup = new Database(file);
    setup.pragma('journal_mode = WAL');
    setup.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT); INSERT INTO t (v) VALUES ('ok')");
    setup.close(); // checkpoints: page 1 now lives in the main file only

    // minConnections 1: only the writer is open, so every read needs a new reader, which reads
    // the header from disk and meets the fault for real.
    const pool = s.pool({
      filename: 'c.db',
      minConnections: 1,
      maxConnections: 4,
      connectionTimeout: 300,
      circuitBreaker: breaker,
    });
    expect(pool.stats().readers.open).toBe(0);
    const events: CircuitEvent[] = [];
    pool.events.on('circuit', (e) => events.push(e));

    const header = corruptHeader(file);
    const failures: CodedError[] = [];
    let open: CodedError | undefined;
    for (let i = 0; i < 6 && !open; i++) {
      const err = (await pool
        .get('SELECT v FROM t WHERE id = 1')
        .catch((e: unknown) => e)) as CodedError;
      expect(err).toBeInstanceOf(Error);
      expect(err.name).toBe('HiveDbError');
      if (err.code === 'POOL_CIRCUIT_OPEN') open = err;
      else failures.push(err);
    }
    // It took at most failureThreshold failed calls to open the circuit.
    expect(open).toBeDefined();
    expect(failures.length).toBeGreaterThanOrEqual(1);
    expect(failures.length).toBeLessThanOrEqual(3);
    // The failures say what SQLite said, somewhere on the error or its cause chain.
    expect(JSON.stringify(failures.map((f) => [f.code, f.sqliteCode, f.message]))).toMatch(
      /NOTADB|not a database/i,
    );
    expect(pool.stats().circuit).toBe('open');
    expect(events.map((e) => `${e.from}->${e.to}`)).toEqual(['closed->open']);
    expect(events[0]!.consecutiveFailures).toBeGreaterThanOrEqual(3);
    expect(events[0]!.reason).toBeTruthy();

    // While open, every call fails fast, writes included.
    const fast = await timed(() => pool.get('SELECT v FROM t WHERE id = 1'));
    expect((fast.error as CodedError).code).toBe('POOL_CIRCUIT_OPEN');
    expect(fast.ms).toBeLessThan(100);
    await expectRejectCode(pool.run("INSERT INTO t (v) VALUES ('no')"), 'POOL_CIRCUIT_OPEN');

    // After resetTimeoutMs one probe goes through; still broken, so the circuit opens again.
    await sleep(breaker.resetTimeoutMs + 100);
    const probe = (await pool
      .get('SELECT v FROM t WHERE id = 1')
      .catch((e: unknown) => e)) as CodedError;
    expect(probe).toBeInstanceOf(Error);
    expect(events.map((e) => `${e.from}->${e.to}`)).toEqual([
      'closed->open',
      'open->half-open',
      'half-open->open',
    ]);
    await expectRejectCode(pool.get('SELECT v FROM t WHERE id = 1'), 'POOL_CIRCUIT_OPEN');

    // Restored: the next probe succeeds and the circuit closes.
    header.restore();
    await sleep(breaker.resetTimeoutMs + 100);
    expect(await pool.get('SELECT v FROM t WHERE id = 1')).toEqual({ v: 'ok' });
    expect(pool.stats().circuit).toBe('closed');
    expect(events.map((e) => `${e.from}->${e.to}`)).toEqual([
      'closed->open',
      'open->half-open',
      'half-open->open',
      'open->half-open',
      'half-open->closed',
    ]);
    await pool.run("INSERT INTO t (v) VALUES ('again')");
    expect(await pool.all('SELECT v FROM t ORDER BY id')).toEqual([{ v: 'ok' }, { v: 'again' }]);
  });

  // Whatever call happens to be the half-open probe, once it is done the breaker must know the
  // outcome: a probe that never reports would leave the circuit half-open, failing every call.
  const probes: Array<[string, (pool: Pool) => Promise<unknown>]> = [
    [
      'a lease acquired and released',
      async (pool) => {
        const lease = await pool.acquire();
        lease.release();
      },
    ],
    [
      'withConnection whose fn throws',
      (pool) =>
        pool.withConnection(() => {
          throw new Error('caller');
        }),
    ],
    [
      'read() whose fn throws',
      (pool) =>
        pool.read(() => {
          throw new Error('caller');
        }),
    ],
    [
      'a transaction whose fn throws',
      (pool) =>
        pool.transaction(() => {
          throw new Error('caller');
        }),
    ],
    [
      'begin() then rollback()',
      async (pool) => {
        const h = await pool.begin();
        await h.rollback();
      },
    ],
    [
      'a write lease acquired and released',
      async (pool) => {
        const lease = await pool.acquire({ mode: 'write' });
        lease.release();
      },
    ],
    ['a statement with a syntax error', (pool) => pool.get('SELEC 1')],
  ];

  it.each(probes)('closes again when the half-open probe is %s', async (_, probe) => {
    const s = sb();
    const file = s.file('probe.db');
    const setup = new Database(file);
    setup.pragma('journal_mode = WAL');
    setup.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT); INSERT INTO t (v) VALUES ('ok')");
    setup.close();
    const pool = s.pool({
      filename: 'probe.db',
      minConnections: 1,
      maxConnections: 4,
      connectionTimeout: 300,
      circuitBreaker: breaker,
    });
    const header = corruptHeader(file);
    for (let i = 0; i < 6 && pool.stats().circuit !== 'open'; i++) {
      await pool.get('SELECT v FROM t').catch(() => {});
    }
    expect(pool.stats().circuit).toBe('open');
    header.restore();
    await sleep(breaker.resetTimeoutMs + 100);

    await probe(pool).catch(() => {});
    // The probe is over and the database is well: at the latest after one more reset period,
    // calls go through again.
    await sleep(breaker.resetTimeoutMs + 100);
    expect(await pool.get('SELECT v FROM t')).toEqual({ v: 'ok' });
    expect(pool.stats().circuit).toBe('closed');
  });

  it("opens when the writer meets SQLITE_FULL, keeping SQLite's code on the errors", async () => {
    const s = sb();
    const pool = s.pool({ filename: 'full.db', circuitBreaker: breaker });
    await pool.run('CREATE TABLE blobs (id INTEGER PRIMARY KEY, b BLOB NOT NULL)');
    // Cap the writer's file at its current size: any insert that needs a new page is SQLITE_FULL.
    await pool.withConnection(
      (lease) => {
        const pages = lease.raw.pragma('page_count', { simple: true }) as number;
        lease.raw.pragma(`max_page_count = ${pages}`);
      },
      { mode: 'write' },
    );
    const events: CircuitEvent[] = [];
    pool.events.on('circuit', (e) => events.push(e));
    for (let i = 0; i < 3; i++) {
      const err = await expectRejectCode(
        pool.run('INSERT INTO blobs (b) VALUES (zeroblob(200000))'),
        'POOL_SQLITE_ERROR',
      );
      expect(err.sqliteCode).toBe('SQLITE_FULL');
    }
    expect(pool.stats().circuit).toBe('open');
    expect(events.map((e) => `${e.from}->${e.to}`)).toEqual(['closed->open']);
    await expectRejectCode(pool.run("INSERT INTO blobs (b) VALUES (x'00')"), 'POOL_CIRCUIT_OPEN');
  });

  it("never opens for a caller's mistake: constraint violations, syntax errors, missing tables, thrown errors", async () => {
    const pool = sb().pool({
      filename: 'mistakes.db',
      circuitBreaker: { failureThreshold: 1, resetTimeoutMs: 60_000 },
    });
    await pool.run('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL UNIQUE)');
    await pool.run("INSERT INTO t (id, v) VALUES (1, 'a')");
    const events: CircuitEvent[] = [];
    pool.events.on('circuit', (e) => events.push(e));

    for (let i = 0; i < 3; i++) {
      const pk = await expectRejectCode(
        pool.run("INSERT INTO t (id, v) VALUES (1, 'b')"),
        'POOL_SQLITE_ERROR',
      );
      expect(pk.sqliteCode).toBe('SQLITE_CONSTRAINT_PRIMARYKEY');
      const uq = await expectRejectCode(
        pool.run("INSERT INTO t (id, v) VALUES (2, 'a')"),
        'POOL_SQLITE_ERROR',
      );
      expect(uq.sqliteCode).toBe('SQLITE_CONSTRAINT_UNIQUE');
      const nn = await expectRejectCode(
        pool.run('INSERT INTO t (id, v) VALUES (3, NULL)'),
        'POOL_SQLITE_ERROR',
      );
      expect(nn.sqliteCode).toBe('SQLITE_CONSTRAINT_NOTNULL');
      const syntax = await expectRejectCode(pool.get('SELEC 1'), 'POOL_SQLITE_ERROR');
      expect(syntax.sqliteCode).toBe('SQLITE_ERROR');
      await expectRejectCode(pool.all('SELECT * FROM missing'), 'POOL_SQLITE_ERROR');
      const mine = new Error('mine');
      await expect(
        pool.transaction(() => {
          throw mine;
        }),
      ).rejects.toBe(mine);
      await expectRejectCode(
        pool.transaction((tx) => tx.run("INSERT INTO t (id, v) VALUES (1, 'c')")),
        'POOL_SQLITE_ERROR',
      );
    }
    expect(pool.stats().circuit).toBe('closed');
    expect(events).toEqual([]);
    expect(await pool.get('SELECT v FROM t WHERE id = 1')).toEqual({ v: 'a' });
  });
});
