import {
  closeSync,
  existsSync,
  openSync,
  readdirSync,
  statSync,
  truncateSync,
  writeSync,
} from 'node:fs';
import { copyFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { createPool } from '@hivedb/pool';
import { Migrator, validateIntegrity } from '@hivedb/schema';
import { describe, expect, it } from 'vitest';
import type { SharedMemoryStore } from '../src/index.js';
import { spawnChild } from './helpers/children.js';
import { expectRejectCode, useSandbox } from './helpers/sandbox.js';

const sb = useSandbox();

/** `PRAGMA integrity_check` of a database file, read through a pool of its own. */
async function integrityOf(file: string): Promise<string> {
  const pool = createPool({
    filename: basename(file),
    root: dirname(file),
    minConnections: 1,
    maxConnections: 2,
    healthCheckInterval: 0,
  });
  try {
    const rows = await pool.all<{ integrity_check: string }>('PRAGMA integrity_check');
    return rows.map((r) => r.integrity_check).join('\n');
  } finally {
    await pool.close();
  }
}

async function fill(store: SharedMemoryStore, n: number, prefix = 'seed'): Promise<void> {
  const pad = 'p'.repeat(2000);
  for (let start = 0; start < n; start += 500) {
    const batch = [];
    for (let i = start; i < Math.min(n, start + 500); i++)
      batch.push({ key: `${prefix}-${i}`, value: { i, pad }, options: { namespace: 'bulk' } });
    await store.setBulk(batch);
  }
}

describe('backup', () => {
  it('taken under a steady write load (this process and another) restores every entry committed before it began', async () => {
    const s = sb();
    const store = await s.open();
    await fill(store, 12_000);
    const child = spawnChild('load.mjs', [s.root, 'child']);
    await child.waitForLine((l) => l === 'ready');
    await child.waitForLine((l) => l.startsWith('acked 20'));

    // This process writes too, one set after another, the whole time.
    const acked: number[] = [];
    let stop = false;
    let ackedDuringBackup = 0;
    let backingUp = false;
    const local = (async () => {
      for (let n = 0; !stop; n++) {
        await store.set(`local-${n}`, { n }, { namespace: 'load' });
        acked.push(n);
        if (backingUp) ackedDuringBackup++;
        await new Promise((r) => setTimeout(r, 1));
      }
    })();
    while (acked.length < 20) await new Promise((r) => setTimeout(r, 5));

    // Everything acknowledged before the call was committed before the backup began.
    const localBefore = acked.length;
    const childBefore = child.lines.filter((l) => l.startsWith('acked ')).length;
    const progress: Array<{ totalPages: number; remainingPages: number }> = [];
    const dest = join(s.root, 'backups', 'memory.backup.db');
    backingUp = true;
    const result = await store.backup(dest, { onProgress: (p) => progress.push(p) });
    backingUp = false;
    const childLinesAtEnd = child.lines.length;
    stop = true;
    await local;
    child.send('quit');
    expect((await child.exited).code).toBe(0);

    expect(result.path).toBe(dest);
    expect(result.bytes).toBe(statSync(dest).size);
    expect(result.durationMs).toBeGreaterThan(0);
    // It ran in several steps, and writers went on between them.
    expect(progress.length).toBeGreaterThan(2);
    expect(progress.at(-1)!.remainingPages).toBe(0);
    expect(ackedDuringBackup).toBeGreaterThan(0);
    expect(childLinesAtEnd).toBeGreaterThan(childBefore);
    expect(readdirSync(dirname(dest))).toEqual(['memory.backup.db']);
    expect(await integrityOf(dest)).toBe('ok');

    // Restored into a fresh store elsewhere: every entry committed before the backup began.
    const other = await s.open({ projectRoot: join(s.root, 'elsewhere') } as never);
    const restored = await other.restore(dest);
    expect(restored.entries).toBeGreaterThanOrEqual(12_000 + localBefore + childBefore);
    expect(await integrityOf(join(s.root, 'elsewhere', '.hive-mind', 'memory.db'))).toBe('ok');
    for (let n = 0; n < localBefore; n++)
      expect(await other.get(`local-${n}`, { namespace: 'load' })).toEqual({ n });
    for (let n = 0; n < childBefore; n++)
      expect(await other.get(`child-${n}`, { namespace: 'load' })).toMatchObject({ n });
    expect(await other.count({ namespace: 'bulk' })).toBe(12_000);
  }, 60_000);

  it('refuses an existing file and bad paths, and leaves nothing behind', async () => {
    const s = sb();
    const store = await s.open();
    await store.set('a', 1);
    const dest = join(s.root, 'taken.db');
    writeFileSync(dest, 'mine');
    await expectRejectCode(store.backup(dest), 'STORE_BACKUP_FAILED');
    expect(statSync(dest).size).toBe(4);
    await expectRejectCode(store.backup(''), 'STORE_INVALID_ARGUMENT');
    await expectRejectCode(store.backup('file:x.db'), 'STORE_INVALID_ARGUMENT');
    await expectRejectCode(store.backup(join(s.root, 'x\0.db')), 'STORE_INVALID_ARGUMENT');
    await expectRejectCode(
      store.backup(join(s.root, 'y.db'), { onProgress: 3 } as never),
      'STORE_INVALID_ARGUMENT',
    );
    expect(existsSync(join(s.root, 'y.db'))).toBe(false);
  });
});

describe('restore', () => {
  it('replaces the contents; no stale cached entry is served, here or in another store', async () => {
    const s = sb();
    const store = await s.open();
    const peer = await s.open();
    await store.set('kept', 'v1');
    await store.set('changed', 'before');
    const dest = join(s.root, 'b.db');
    await store.backup(dest);
    await store.set('changed', 'after');
    await store.set('added', 'after');
    await store.delete('kept');
    await store.set('mem', 1, { dataType: 'transient' });
    // Both stores have the post-backup values cached.
    for (const st of [store, peer]) {
      expect(await st.get('changed')).toBe('after');
      expect(await st.get('added')).toBe('after');
    }
    const sequences = () =>
      s
        .inspect()
        .all<{ name: string; seq: number }>('SELECT name, seq FROM sqlite_sequence ORDER BY name');
    const before = await sequences();
    expect(await store.restore(dest)).toMatchObject({ entries: 2 });
    // AUTOINCREMENT counters (the change feed's sequence) never go back.
    expect(await sequences()).toEqual(before);
    for (const st of [store, peer]) {
      expect(await st.get('changed')).toBe('before');
      expect(await st.get('kept')).toBe('v1');
      expect(await st.get('added')).toBeNull();
    }
    expect(await store.get('mem')).toBeNull();
    // Writes go on, on top of the restored versions.
    expect((await store.set('changed', 'next')).version).toBe(2);
    expect(await integrityOf(join(s.hiveMind, 'memory.db'))).toBe('ok');
    expect(readdirSync(s.hiveMind).filter((f) => f.startsWith('.restore'))).toEqual([]);
  });

  it('keeps the live locks: no lock comes back from the backup, no holder loses its lock, no fencing token is issued twice', async () => {
    const s = sb();
    const store = await s.open();
    const a = await store.acquireLock('job', 'agent-a', { ttl: 60_000 });
    await store.releaseLock('job', 'agent-a');
    const stale = await store.acquireLock('old', 'agent-old', { ttl: 60_000 });
    const dest = join(s.root, 'locks.db');
    await store.backup(dest);
    await store.releaseLock('old', 'agent-old');
    const b = await store.acquireLock('job', 'agent-b', { ttl: 60_000 });
    await store.releaseLock('job', 'agent-b');
    const c = await store.acquireLock('job', 'agent-c', { ttl: 60_000 });
    expect([a.token, b.token, c.token]).toEqual([1, 2, 3]);
    await store.restore(dest);
    // agent-c still holds 'job'; the backup's holder of 'old' (released since) does not come back.
    await expectRejectCode(store.acquireLock('job', 'agent-d'), 'STORE_LOCK_HELD');
    expect((await store.renewLock('job', 'agent-c')).token).toBe(c.token);
    expect(await store.releaseLock('job', 'agent-c')).toBe(true);
    expect((await store.acquireLock('job', 'agent-d')).token).toBe(c.token + 1);
    expect((await store.acquireLock('old', 'agent-e')).token).toBe(stale.token + 1);
    // A write fenced with a token issued before the restore is still refused.
    await expectRejectCode(
      store.set('job', 'late', { fencingToken: b.token }),
      'STORE_STALE_TOKEN',
    );
  });

  it('migrates a backup of an older schema forward', async () => {
    const s = sb();
    const store = await s.open();
    await store.set('current', 1);
    // A memory.db as the first release left it: migration 0000 only.
    const oldRoot = join(s.root, 'old');
    const old = createPool({ filename: 'memory.db', root: oldRoot, healthCheckInterval: 0 });
    await new Migrator(old, { database: 'memory', backup: false }).migrate({ to: 0 });
    expect(
      (await new Migrator(old, { database: 'memory' }).status()).pending.length,
    ).toBeGreaterThan(0);
    await old.run(
      `INSERT INTO shared_memory (namespace, key, data_type, value, metadata, version, created_at, updated_at)
       VALUES ('task_results', 'from-old', 'versioned', '{"v":3}', NULL, 3, 1000, 2000)`,
    );
    await old.close();
    expect(await store.restore(join(oldRoot, 'memory.db'))).toMatchObject({ entries: 1 });
    expect(await store.get('from-old', { namespace: 'task_results' })).toEqual({ v: 3 });
    expect(await store.get('current')).toBeNull();
    // The live database carries the whole current schema, and the store writes on.
    const report = await validateIntegrity(s.inspect(), { definitions: 'memory' });
    expect(report.ok, JSON.stringify(report)).toBe(true);
    expect((await new Migrator(s.inspect(), { database: 'memory' }).status()).upToDate).toBe(true);
    const next = await store.set(
      'from-old',
      { v: 4 },
      { namespace: 'task_results', dataType: 'versioned' },
    );
    expect(next.version).toBe(4);
  });

  it('refuses garbage, truncated, foreign, corrupted and missing files; the live database is unchanged', async () => {
    const s = sb();
    const store = await s.open();
    await fill(store, 400);
    const good = join(s.root, 'good.db');
    await store.backup(good);
    await store.set('after-backup', 1);
    const before = await s.checksum();

    const garbage = join(s.root, 'garbage.db');
    writeFileSync(garbage, Buffer.alloc(64 * 1024, 7));
    const truncated = join(s.root, 'truncated.db');
    copyFileSync(good, truncated);
    truncateSync(truncated, Math.floor(statSync(good).size / 2));
    const corrupt = join(s.root, 'corrupt.db');
    copyFileSync(good, corrupt);
    const fd = openSync(corrupt, 'r+');
    for (let page = 20; page < 30; page++)
      writeSync(fd, Buffer.alloc(4096, 0xa5), 0, 4096, page * 4096);
    closeSync(fd);
    const foreignRoot = join(s.root, 'foreign');
    const foreign = createPool({ filename: 'other.db', root: foreignRoot, healthCheckInterval: 0 });
    await foreign.run('CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)');
    await foreign.run("INSERT INTO notes (body) VALUES ('hello')");
    await foreign.close();
    const hive = join(s.root, 'hive-copy.db');
    copyFileSync(join(s.hiveMind, 'hive.db'), hive);

    const cases: Array<[string, string]> = [
      [garbage, 'not-sqlite'],
      [truncated, 'integrity'],
      [corrupt, 'integrity'],
      [join(foreignRoot, 'other.db'), 'schema'],
      [hive, 'schema'],
      [join(s.root, 'missing.db'), 'not-found'],
    ];
    for (const [file, reason] of cases) {
      const err = await expectRejectCode(store.restore(file), 'STORE_RESTORE_REFUSED');
      expect(err.details?.reason, `${basename(file)}: ${err.message}`).toBe(reason);
      expect(err.message).toMatch(/live database was not changed/);
      expect(await s.checksum()).toBe(before);
    }
    expect(await store.get('after-backup')).toBe(1);
    expect(readdirSync(s.hiveMind).filter((f) => f.startsWith('.'))).toEqual([]);
    // The good one still restores.
    expect((await store.restore(good)).entries).toBe(400);
    expect(await store.get('after-backup')).toBeNull();
  }, 60_000);
});
