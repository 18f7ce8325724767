// The fixtures and faults themselves: each does what it says, for real.
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { validateIntegrity } from '@hivedb/schema';
import { afterEach, describe, expect, it } from 'vitest';
import {
  assertSerializable,
  corruptPage,
  createTempDir,
  diskFullPragmas,
  holdWriteLock,
  killAllChildren,
  killDuring,
  manualClock,
  openTestPool,
  openTestStore,
  pageSizeOf,
  seedKey,
  seedStore,
  seedValue,
  slowQuery,
  type TempDir,
  truncateFile,
} from '../src/index.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  await killAllChildren();
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

function tempDir(): TempDir {
  const dir = createTempDir();
  cleanups.push(() => dir.remove());
  return dir;
}

describe('fixtures', () => {
  it('a temp folder exists until removed, and remove() is idempotent', () => {
    const dir = createTempDir();
    expect(existsSync(dir.path)).toBe(true);
    dir.remove();
    dir.remove();
    expect(existsSync(dir.path)).toBe(false);
  });

  it('openTestStore migrates both databases; seedStore writes what it returns', async () => {
    const dir = tempDir();
    const store = await openTestStore(dir.path);
    cleanups.push(() => store.shutdown());
    expect(existsSync(join(dir.path, '.hive-mind', 'memory.db'))).toBe(true);
    expect(existsSync(join(dir.path, '.hive-mind', 'hive.db'))).toBe(true);
    const seeded = await seedStore(store, { count: 2500, valueBytes: 64 });
    expect(seeded.size).toBe(2500);
    expect(await store.count({ namespace: 'seed' })).toBe(2500);
    expect(await store.get(seedKey(1234), { namespace: 'seed' })).toEqual(seedValue(1234, 64));
    await expect(seedStore(store, { count: -1 })).rejects.toMatchObject({
      code: 'TESTKIT_INVALID_ARGUMENT',
    });
  });

  it('openTestPool can migrate its file', async () => {
    const dir = tempDir();
    const pool = await openTestPool(dir.path, { filename: 'm.db', migrate: 'memory' });
    cleanups.push(() => pool.close());
    expect((await validateIntegrity(pool, { definitions: 'memory' })).ok).toBe(true);
  });

  it('a suite configuration must be plain JSON: child processes open the same one', () => {
    expect(assertSerializable({ store: { maxConnections: 2 }, pool: { busyTimeout: 50 } })).toEqual(
      {
        store: { maxConnections: 2 },
        pool: { busyTimeout: 50 },
      },
    );
    for (const bad of [
      { store: { clock: () => 1 } },
      { store: { projectRoot: undefined } },
      { monitor: { since: new Date(0) } },
    ]) {
      expect(() => assertSerializable(bad as never)).toThrow(
        expect.objectContaining({ code: 'TESTKIT_INVALID_ARGUMENT' }),
      );
    }
  });

  it('the manual clock drives TTL expiry', async () => {
    const dir = tempDir();
    const clock = manualClock();
    const store = await openTestStore(dir.path, { clock: clock.now });
    cleanups.push(() => store.shutdown());
    await store.set('k', 1, { ttl: 1000 });
    clock.advance(999);
    expect(await store.get('k')).toBe(1);
    clock.advance(1);
    expect(await store.get('k')).toBeNull();
    expect(() => clock.advance(-1)).toThrow(RangeError);
  });
});

describe('faults', () => {
  it('holdWriteLock: another process holds the lock; a write waits for its commit', async () => {
    const dir = tempDir();
    const pool = await openTestPool(dir.path, { filename: 'l.db', busyTimeout: 20 });
    cleanups.push(() => pool.close());
    await pool.run('CREATE TABLE t (v INTEGER)');
    const holder = await holdWriteLock(join(dir.path, 'l.db'), 400);
    await pool.run('INSERT INTO t VALUES (1)');
    const done = Date.now();
    expect(done).toBeGreaterThanOrEqual(await holder.committed);
  });

  it('holdWriteLock forever: a write with a short retry budget fails with POOL_BUSY; release() frees it', async () => {
    const dir = tempDir();
    const pool = await openTestPool(dir.path, {
      filename: 'l.db',
      busyTimeout: 10,
      retry: { maxRetries: 2, initialDelayMs: 5, maxDelayMs: 10, maxElapsedMs: 200 },
    });
    cleanups.push(() => pool.close());
    await pool.run('CREATE TABLE t (v INTEGER)');
    const holder = await holdWriteLock(join(dir.path, 'l.db'), 'forever');
    await expect(pool.run('INSERT INTO t VALUES (1)')).rejects.toMatchObject({ code: 'POOL_BUSY' });
    await holder.release();
    await pool.run('INSERT INTO t VALUES (2)');
    expect(await pool.all('SELECT v FROM t')).toEqual([{ v: 2 }]);
  });

  it('killDuring: the child dies inside its transaction; nothing of it is visible, integrity ok', async () => {
    const dir = tempDir();
    const pool = await openTestPool(dir.path, { filename: 'k.db', snapshotWindowMs: 0 });
    cleanups.push(() => pool.close());
    await pool.run('CREATE TABLE t (v INTEGER)');
    const result = await killDuring(
      (tx, args: { n: number }) => {
        for (let i = 0; i < args.n; i++) tx.run('INSERT INTO t VALUES (?)', [i]);
      },
      { dbPath: join(dir.path, 'k.db'), args: { n: 2000 } },
    );
    expect(result.signal).toBe('SIGKILL');
    expect(await pool.get('SELECT count(*) AS n FROM t')).toEqual({ n: 0 });
    expect(await pool.all('PRAGMA integrity_check')).toEqual([{ integrity_check: 'ok' }]);
  });

  it('truncateFile and corruptPage damage a database so that SQLite notices', async () => {
    const dir = tempDir();
    const store = await openTestStore(dir.path);
    await seedStore(store, { count: 2000, valueBytes: 300 });
    await store.shutdown();
    const file = join(dir.path, '.hive-mind', 'memory.db');
    const pages = statSync(file).size / pageSizeOf(file);
    const page = corruptPage(file, Math.floor(pages / 2));
    let pool = await openTestPool(join(dir.path, '.hive-mind'), { filename: 'memory.db' });
    expect((await validateIntegrity(pool)).ok).toBe(false);
    await pool.close();
    page.restore();
    pool = await openTestPool(join(dir.path, '.hive-mind'), { filename: 'memory.db' });
    expect((await validateIntegrity(pool)).ok).toBe(true);
    await pool.close();
    const size = statSync(file).size;
    expect(truncateFile(file)).toBe(Math.floor(size / 2));
    expect(statSync(file).size).toBe(Math.floor(size / 2));
    // A truncated file is corrupt: opening it fails, or its integrity check does.
    const outcome = await openTestPool(join(dir.path, '.hive-mind'), {
      filename: 'memory.db',
    }).then(
      async (p) => {
        const ok = (await validateIntegrity(p)).ok;
        await p.close();
        return ok;
      },
      (err: { sqliteCode?: string }) => err.sqliteCode,
    );
    expect(outcome === false || outcome === 'SQLITE_CORRUPT', String(outcome)).toBe(true);
    expect(() => corruptPage(file, 0)).toThrow(/between 1 and/);
  });

  it('diskFullPragmas: a write past the cap fails with SQLITE_FULL', async () => {
    const dir = tempDir();
    writeFileSync(join(dir.path, 'placeholder'), '');
    const setup = await openTestPool(dir.path, { filename: 'f.db' });
    await setup.run('CREATE TABLE t (v TEXT)');
    await setup.close();
    const pool = await openTestPool(dir.path, {
      filename: 'f.db',
      pragmas: diskFullPragmas(join(dir.path, 'f.db'), 1),
    });
    cleanups.push(() => pool.close());
    await expect(
      pool.transaction((tx) => {
        for (let i = 0; i < 100; i++) tx.run('INSERT INTO t VALUES (?)', ['x'.repeat(4000)]);
      }),
    ).rejects.toMatchObject({ sqliteCode: 'SQLITE_FULL' });
    expect(await pool.get('SELECT count(*) AS n FROM t')).toEqual({ n: 0 });
  });

  it('slowQuery: a read that lasts at least the time asked', async () => {
    const dir = tempDir();
    const pool = await openTestPool(dir.path, { filename: 's.db' });
    cleanups.push(() => pool.close());
    const run = await slowQuery(pool, 80);
    expect(run.durationMs).toBeGreaterThanOrEqual(80);
  });
});
