import { join } from 'node:path';
import { validateIntegrity } from '@hivedb/schema';
import { expect, it } from 'vitest';
import { diskFullPragmas } from '../faults/disk-full.js';
import { corruptPage, makeReadOnly, permissionChecked } from '../faults/files.js';
import { holdWriteLock } from '../faults/hold-write-lock.js';
import { seedStore } from '../seed.js';
import { runStoreWorker } from '../store-worker.js';
import { type CaseEnv, rejectionOf, sleep } from './context.js';

/** Case 8: error handling and retry — busy, disk full, read-only, the circuit breaker. */
export function errorsCase(env: () => CaseEnv): void {
  it('waits out a write lock held by another process and then succeeds (retry)', async () => {
    const e = env();
    const store = await e.store();
    await store.set('before', 1);
    const holder = await holdWriteLock(e.memoryDb, 600);
    const t0 = Date.now();
    const result = await store.set('during', 2);
    const done = Date.now();
    const committedAt = await holder.committed;
    expect(result.success).toBe(true);
    // The write could only commit once the other process let go of the lock.
    expect(done).toBeGreaterThanOrEqual(committedAt);
    expect(done - t0).toBeGreaterThanOrEqual(300);
    expect(await store.get('during', { bypassCache: true })).toBe(2);
  });

  it('refuses a write on a full disk with SQLITE_FULL, and loses nothing already stored', async () => {
    const e = env();
    const first = await e.store();
    const seeded = await seedStore(first, { count: 300, valueBytes: 100 });
    await first.shutdown(); // checkpoint: the main file holds every page
    const store = await e.store({ pool: { pragmas: diskFullPragmas(e.memoryDb, 2) } });
    const big = 'x'.repeat(8192);
    const err = await rejectionOf(
      store.setBulk(Array.from({ length: 200 }, (_, i) => ({ key: `big${i}`, value: big }))),
    );
    expect(err.name).toBe('HiveDbError');
    expect(err.code, err.message).toMatch(/^(POOL|STORE)_/);
    expect(`${err.sqliteCode} ${err.message}`).toMatch(/SQLITE_FULL|full/i);
    // Nothing of the refused bulk is visible, and every seeded entry is intact.
    expect(await store.count({ prefix: 'big' })).toBe(0);
    for (const [key, value] of seeded)
      expect(await store.get(key, { namespace: 'seed' })).toEqual(value);
    await store.shutdown();
    const reopened = await e.store();
    expect(await reopened.count({ namespace: 'seed' })).toBe(300);
    const check = await e.pool({ filename: '.hive-mind/memory.db' });
    expect((await validateIntegrity(check)).ok).toBe(true);
  });

  it('a read-only database gives a clear error, and nothing stored is lost', async () => {
    const e = env();
    const first = await e.store();
    await first.set('kept', { safe: true });
    await first.shutdown();
    // Root ignores permission bits: the read-only side runs without the capabilities that let
    // it (still root, so it reads the checkout wherever it lives).
    const files = [e.memoryDb, join(e.hiveMind, 'hive.db')].map((f) => makeReadOnly(f));
    e.defer(() => {
      for (const f of files) f.restore();
    });
    const result = await runStoreWorker<{
      opened: boolean;
      openError?: { code: string; message: string };
      values?: Record<string, unknown>;
      writeError?: { code: string; sqliteCode: string | null; message: string } | null;
    }>(
      e.root,
      e.config.store,
      'readonly-probe',
      { key: 'new', value: 1, keys: ['kept'] },
      permissionChecked(),
    );
    if (result.opened) {
      expect(result.values).toEqual({ kept: { safe: true } });
      expect(result.writeError, 'a write to a read-only database must fail').not.toBeNull();
      expect(`${result.writeError!.sqliteCode} ${result.writeError!.message}`).toMatch(
        /READONLY|read-only|readonly|CANTOPEN/i,
      );
    } else {
      expect(result.openError!.code).toBe('STORE_OPEN_FAILED');
      expect(result.openError!.message).toMatch(
        /READONLY|read-only|readonly|CANTOPEN|unable to open/i,
      );
    }
    for (const f of files) f.restore();
    const store = await e.store();
    expect(await store.get('kept')).toEqual({ safe: true });
    expect(await store.get('new')).toBeNull();
  });

  it('opens the circuit on a database that became unwell, fails fast, and closes it once it is well again', async () => {
    const e = env();
    const breaker = e.config.pool?.circuitBreaker;
    if (breaker?.enabled === false) return;
    const setup = await e.pool({ filename: 'circuit.db' });
    await setup.run('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)');
    await setup.run("INSERT INTO t (v) VALUES ('ok')");
    await setup.withConnection((l) => l.run('PRAGMA wal_checkpoint(TRUNCATE)'), { mode: 'write' });
    await setup.close();
    // minConnections 1: every read opens a reader, which reads page 1 from disk and meets the fault.
    const pool = await e.pool({
      filename: 'circuit.db',
      minConnections: 1,
      connectionTimeout: 500,
      circuitBreaker: { ...breaker, failureThreshold: 3, resetTimeoutMs: 300, enabled: true },
    });
    const transitions: string[] = [];
    pool.events.on('circuit', (ev) => transitions.push(`${ev.from}->${ev.to}`));
    const page = corruptPage(join(e.root, 'circuit.db'), 1);
    let open = false;
    const failures: string[] = [];
    for (let i = 0; i < 8 && !open; i++) {
      const err = await rejectionOf(pool.get('SELECT v FROM t WHERE id = 1'));
      if (err.code === 'POOL_CIRCUIT_OPEN') open = true;
      else failures.push(`${err.code} ${err.sqliteCode}`);
    }
    expect(open, failures.join('; ')).toBe(true);
    expect(failures.length).toBeLessThanOrEqual(3);
    expect(pool.stats().circuit).toBe('open');
    const t0 = performance.now();
    expect((await rejectionOf(pool.get('SELECT 1'))).code).toBe('POOL_CIRCUIT_OPEN');
    expect(performance.now() - t0).toBeLessThan(250);
    page.restore();
    await sleep(350);
    expect(await pool.get('SELECT v FROM t WHERE id = 1')).toEqual({ v: 'ok' });
    expect(pool.stats().circuit).toBe('closed');
    expect(transitions[0]).toBe('closed->open');
    expect(transitions.at(-1)).toBe('half-open->closed');
  });
}
