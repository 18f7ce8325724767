import { readdirSync } from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DEFAULT_POOL_OPTIONS, createPool } from '../src/index.js';
import type { PoolOptions } from '../src/index.js';
import { expectRejectCode, expectThrowCode, useSandbox } from './helpers/index.js';

const sb = useSandbox();

describe('options', () => {
  // Each row: the options given (besides a valid filename and root), and the option the error must name.
  const invalid: Array<[string, Record<string, unknown>, string]> = [
    ['an unknown option', { maxConnection: 5 }, 'maxConnection'],
    ['an unknown retry option', { retry: { tries: 3 } }, 'retry.tries'],
    [
      'an unknown circuitBreaker option',
      { circuitBreaker: { threshold: 3 } },
      'circuitBreaker.threshold',
    ],
    ['an unknown queryCache option', { queryCache: { ttl: 5 } }, 'queryCache.ttl'],
    ['maxConnections 0', { maxConnections: 0 }, 'maxConnections'],
    ['maxConnections negative', { maxConnections: -1 }, 'maxConnections'],
    ['maxConnections fractional', { maxConnections: 2.5 }, 'maxConnections'],
    ['maxConnections as a string', { maxConnections: '10' }, 'maxConnections'],
    [
      'minConnections above maxConnections',
      { minConnections: 5, maxConnections: 3 },
      'minConnections',
    ],
    ['connectionTimeout negative', { connectionTimeout: -1 }, 'connectionTimeout'],
    ['queryTimeout NaN', { queryTimeout: Number.NaN }, 'queryTimeout'],
    ['busyTimeout negative', { busyTimeout: -5 }, 'busyTimeout'],
    ['enableWAL as a string', { enableWAL: 'yes' }, 'enableWAL'],
    [
      'healthCheckInterval Infinity',
      { healthCheckInterval: Number.POSITIVE_INFINITY },
      'healthCheckInterval',
    ],
    ['idleTimeout as a string', { idleTimeout: '5s' }, 'idleTimeout'],
    ['snapshotWindowMs negative', { snapshotWindowMs: -1 }, 'snapshotWindowMs'],
    ['retry not an object', { retry: 3 }, 'retry'],
    ['retry.maxRetries negative', { retry: { maxRetries: -1 } }, 'retry.maxRetries'],
    [
      'circuitBreaker.failureThreshold 0',
      { circuitBreaker: { failureThreshold: 0 } },
      'circuitBreaker.failureThreshold',
    ],
    ['queryCache.ttlMs 0', { queryCache: { ttlMs: 0 } }, 'queryCache.ttlMs'],
    ['queryCache as a string', { queryCache: 'yes' }, 'queryCache'],
    [
      'a pragma name that is not a word',
      { pragmas: { 'cache_size; DROP TABLE t': 1 } },
      'pragmas.',
    ],
    [
      'a pragma value that smuggles SQL',
      { pragmas: { cache_size: '1; DROP TABLE t' } },
      'pragmas.cache_size',
    ],
    ['synchronous not a level', { synchronous: 'SOMETIMES' }, 'synchronous'],
    ['readonly as a number', { readonly: 1 }, 'readonly'],
    ['memory as a string', { memory: 'true' }, 'memory'],
    ['filename not a string', { filename: 42 }, 'filename'],
    ['filename empty', { filename: '' }, 'filename'],
  ];

  it.each(invalid)(
    'refuses %s with POOL_INVALID_OPTION naming the option, touching no file',
    (_, extra, name) => {
      const s = sb();
      const err = expectThrowCode(
        () => createPool({ filename: 'opts.db', root: s.root, ...extra } as unknown as PoolOptions),
        'POOL_INVALID_OPTION',
      );
      expect(err.message).toContain(name);
      expect(readdirSync(s.root)).toEqual([]);
    },
  );

  it('refuses a missing options object with POOL_INVALID_OPTION', () => {
    expectThrowCode(() => createPool(undefined as unknown as PoolOptions), 'POOL_INVALID_OPTION');
    expectThrowCode(() => createPool(null as unknown as PoolOptions), 'POOL_INVALID_OPTION');
  });

  it('accepts 0 where 0 means "none" (defaults are applied with ??, not ||)', async () => {
    const pool = sb().pool({
      filename: 'zero.db',
      healthCheckInterval: 0,
      transactionTimeout: 0,
      snapshotWindowMs: 0,
      busyTimeout: 0,
      maxLifetime: 0,
      queryTimeout: 0,
    });
    await pool.run('CREATE TABLE t (id INTEGER PRIMARY KEY)');
    expect(await pool.get('SELECT count(*) AS n FROM t')).toEqual({ n: 0 });
  });

  it("the seed's defaults are the exported defaults", () => {
    expect(DEFAULT_POOL_OPTIONS).toMatchObject({
      maxConnections: 10,
      minConnections: 2,
      connectionTimeout: 10_000,
      queryTimeout: 30_000,
      enableWAL: true,
      healthCheckInterval: 60_000,
    });
    expect(Object.isFrozen(DEFAULT_POOL_OPTIONS)).toBe(true);
  });

  it('defaults: 10 connections at most, 2 opened at start (writer + 1 reader), WAL on', () => {
    const s = sb();
    const pool = s.pool({ filename: 'defaults.db' });
    const st = pool.stats();
    expect(st.maxConnections).toBe(10);
    expect(st.minConnections).toBe(2);
    expect(st.total).toBe(2);
    expect(st.writer.open).toBe(true);
    expect(st.readers.open).toBe(1);
    expect(st.readers.max).toBe(9);
    expect(st.circuit).toBe('closed');
    expect(st.closed).toBe(false);
    expect(st.cache).toBeUndefined();
    const raw = s.raw('defaults.db');
    expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
  });

  it('enableWAL: false leaves the journal in rollback mode', async () => {
    const s = sb();
    const pool = s.pool({ filename: 'nowal.db', enableWAL: false, minConnections: 1 });
    await pool.run('CREATE TABLE t (id INTEGER PRIMARY KEY)');
    const mode = await pool.withConnection(
      (lease) => lease.raw.pragma('journal_mode', { simple: true }),
      {
        mode: 'write',
      },
    );
    expect(mode).not.toBe('wal');
  });

  it('pragmas and synchronous are applied to every connection, writer and readers', async () => {
    const pool = sb().pool({
      filename: 'pragmas.db',
      pragmas: { cache_size: -4321 },
      synchronous: 'FULL',
    });
    const check = (lease: {
      raw: { pragma(s: string, o: { simple: true }): unknown };
    }): unknown[] => [
      lease.raw.pragma('cache_size', { simple: true }),
      lease.raw.pragma('synchronous', { simple: true }),
    ];
    expect(await pool.withConnection(check, { mode: 'write' })).toEqual([-4321, 2]);
    expect(await pool.withConnection(check, { mode: 'read' })).toEqual([-4321, 2]);
  });

  it('maxConnections 1 still serves reads and writes', async () => {
    const pool = sb().pool({ filename: 'one.db', maxConnections: 1 });
    expect(pool.stats().minConnections).toBe(1);
    await pool.run('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)');
    await pool.run('INSERT INTO t (v) VALUES (?)', ['x']);
    expect(await pool.get('SELECT v FROM t')).toEqual({ v: 'x' });
    expect(pool.stats().total).toBe(1);
  });

  it('readonly: reads work, writes are refused with POOL_READONLY', async () => {
    const s = sb();
    const setup = s.raw('ro.db');
    setup.pragma('journal_mode = WAL');
    setup.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT); INSERT INTO t (v) VALUES ('x')");
    setup.close();
    const pool = s.pool({ filename: 'ro.db', readonly: true });
    expect(await pool.get('SELECT v FROM t')).toEqual({ v: 'x' });
    await expectRejectCode(pool.run("INSERT INTO t (v) VALUES ('y')"), 'POOL_READONLY');
    expect(await pool.all('SELECT v FROM t')).toEqual([{ v: 'x' }]);
  });

  describe('timer defaults (fake clock)', () => {
    afterEach(() => {
      vi.useRealTimers();
    });

    it('healthCheckInterval defaults to 60000 ms and connectionTimeout to 10000 ms', async () => {
      const s = sb();
      vi.useFakeTimers({
        toFake: [
          'setTimeout',
          'clearTimeout',
          'setInterval',
          'clearInterval',
          'Date',
          'performance',
        ],
      });
      const pool = s.pool({ filename: 'timers.db', maxConnections: 2 });
      let healthEvents = 0;
      pool.events.on('health', () => {
        healthEvents++;
      });
      await vi.advanceTimersByTimeAsync(59_000);
      expect(healthEvents).toBe(0);
      await vi.advanceTimersByTimeAsync(2_000);
      expect(healthEvents).toBeGreaterThanOrEqual(1);

      // The only reader is leased: a second acquire waits connectionTimeout, then times out.
      const lease = await pool.acquire();
      let outcome: unknown = 'pending';
      const waiting = pool.acquire().then(
        (l) => {
          l.release();
          outcome = 'acquired';
        },
        (err: unknown) => {
          outcome = err;
        },
      );
      await vi.advanceTimersByTimeAsync(9_900);
      expect(outcome).toBe('pending');
      await vi.advanceTimersByTimeAsync(200);
      await waiting;
      expect((outcome as { code?: string }).code).toBe('POOL_ACQUIRE_TIMEOUT');
      lease.release();
      vi.useRealTimers();
    });
  });

  it.each([0, 2])(
    'statementCacheSize %i: many distinct statements still give the right rows',
    async (size) => {
      const pool = sb().pool({ filename: `stmts-${size}.db`, statementCacheSize: size });
      await pool.run('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)');
      for (let i = 0; i < 20; i++) await pool.run(`INSERT INTO t (id, v) VALUES (${i}, 'v${i}')`);
      for (let round = 0; round < 2; round++) {
        for (let i = 0; i < 20; i++) {
          expect(await pool.get(`SELECT v FROM t WHERE id = ${i}`)).toEqual({ v: `v${i}` });
        }
      }
      // A statement prepared before a schema change sees the new schema after it.
      expect(await pool.get('SELECT * FROM t WHERE id = 0')).toEqual({ id: 0, v: 'v0' });
      await pool.run('ALTER TABLE t ADD COLUMN w TEXT');
      expect(await pool.get('SELECT * FROM t WHERE id = 0')).toEqual({ id: 0, v: 'v0', w: null });
    },
  );
});
