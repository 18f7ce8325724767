// A worker thread that ends under its statements: they fail with POOL_WORKER_CRASHED (never
// hang), the worker is replaced, and the application's thread goes on.
//
// The crash is a real one: the worker is given a small heap (`offloadHeapLimitMb`), and a
// statement returns more rows than fit in it. V8 stops the thread (ERR_WORKER_OUT_OF_MEMORY),
// as it would stop a worker with the default heap that met a result too big for it. A worker
// that cannot open its connection (a database header overwritten on disk) is no crash.
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import type {
  ConnectionCloseEvent,
  ConnectionErrorEvent,
  ConnectionOpenEvent,
} from '../src/index.js';
import {
  type CodedError,
  corruptHeader,
  requireBuiltEntry,
  useSandbox,
  waitFor,
  within,
} from './helpers/index.js';

const sb = useSandbox();

/** 100,000 rows of 1,000 characters: about 100 MB of strings, far above a 16 MiB heap. */
const HUGE =
  'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 100000) SELECT x, hex(randomblob(500)) AS s FROM c';

async function rejection(p: Promise<unknown>): Promise<CodedError> {
  try {
    await p;
  } catch (err) {
    return err as CodedError;
  }
  throw new Error('expected a rejection');
}

describe('an offload worker that crashes', () => {
  it('fails every statement in flight on it with POOL_WORKER_CRASHED, and is replaced', async () => {
    requireBuiltEntry();
    const pool = sb().pool({ filename: 'crash.db', offloadWorkers: 1, offloadHeapLimitMb: 16 });
    const opened: ConnectionOpenEvent[] = [];
    const closed: ConnectionCloseEvent[] = [];
    pool.events.on('connection:open', (e) => e.role === 'worker' && opened.push(e));
    pool.events.on('connection:close', (e) => e.role === 'worker' && closed.push(e));
    expect(await pool.get('SELECT 1 AS one', [], { offload: true })).toEqual({ one: 1 });
    const first = opened[0]!.connectionId;

    // Issued in one tick: both travel to the one worker together and are in flight when it dies.
    const huge = pool.all(HUGE, [], { offload: true });
    const small = pool.get('SELECT 2 AS two', [], { offload: true });
    const [hugeErr, smallErr] = await within(
      20_000,
      Promise.all([rejection(huge), rejection(small)]),
      'the statements on the crashed worker',
    );
    for (const err of [hugeErr, smallErr]) {
      expect(err.name).toBe('HiveDbError');
      expect(err.code).toBe('POOL_WORKER_CRASHED');
      expect((err.cause as { code?: string }).code).toBe('ERR_WORKER_OUT_OF_MEMORY');
      expect(err.message).toMatch(/did not complete/);
    }
    expect(pool.stats().offload.crashes).toBe(1);
    expect(closed).toEqual([expect.objectContaining({ connectionId: first, reason: 'failed' })]);

    // Replaced at once, on a new connection; the next statement is answered there.
    await waitFor(() => opened.length === 2, 10_000);
    expect(opened[1]).toMatchObject({ reason: 'replace' });
    expect(opened[1]!.connectionId).not.toBe(first);
    expect(await pool.get('SELECT 3 AS three', [], { offload: true })).toEqual({ three: 3 });
    expect(pool.stats().offload).toMatchObject({ workers: 1, crashes: 1, inFlight: 0 });

    // The application's thread and its inline connections never noticed.
    expect(await pool.get('SELECT 4 AS four')).toEqual({ four: 4 });
    await within(5000, pool.close(), 'close()');
    expect(pool.stats().offload.workers).toBe(0);
  });

  it('a statement whose rows fit is answered by the same small-heap worker', async () => {
    const pool = sb().pool({ filename: 'fits.db', offloadWorkers: 1, offloadHeapLimitMb: 16 });
    const rows = await pool.all<{ x: number }>(
      'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 10000) SELECT x FROM c',
      [],
      { offload: true },
    );
    expect(rows).toHaveLength(10_000);
    expect(pool.stats().offload.crashes).toBe(0);
  });
});

describe('an offload worker that cannot open its connection', () => {
  it('fails its statements with POOL_OPEN_FAILED (not a crash), reports connection:error, and a later worker opens once the file is sound', async () => {
    const s = sb();
    const file = s.file('bad.db');
    const setup = new Database(file);
    setup.pragma('journal_mode = WAL');
    setup.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT); INSERT INTO t (v) VALUES ('ok')");
    setup.close(); // checkpoints: page 1 now lives in the main file only
    const pool = s.pool({
      filename: 'bad.db',
      offloadWorkers: 1,
      circuitBreaker: { enabled: false },
    });
    const errors: ConnectionErrorEvent[] = [];
    pool.events.on('connection:error', (e) => errors.push(e));

    const header = corruptHeader(file);
    const results = await within(
      10_000,
      Promise.allSettled([
        pool.get('SELECT v FROM t', [], { offload: true }),
        pool.get('SELECT 1', [], { offload: true }),
      ]),
      'statements on a worker that cannot open',
    );
    for (const r of results) {
      expect(r.status).toBe('rejected');
      const err = (r as PromiseRejectedResult).reason as CodedError;
      expect(err.code).toBe('POOL_OPEN_FAILED');
      expect(err.message).toMatch(/not a database|file is not a database/i);
    }
    expect(errors).toEqual([expect.objectContaining({ role: 'worker' })]);
    await waitFor(() => pool.stats().offload.workers === 0);
    expect(pool.stats().offload.crashes).toBe(0);

    header.restore();
    expect(await pool.get('SELECT v FROM t', [], { offload: true })).toEqual({ v: 'ok' });
    expect(pool.stats().offload).toMatchObject({ workers: 1, crashes: 0 });
  });
});
