import { createHash } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { createPool } from '@hivedb/pool';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SharedMemoryStore } from '../src/index.js';
import { execOn, expectRejectCode, type Sandbox, useSandbox } from './helpers/sandbox.js';

const sb = useSandbox();

afterEach(() => {
  vi.useRealTimers();
});

/** sha256 of every row of `shared_memory` in a database file, in (namespace, key) order. */
async function rowHashes(file: string): Promise<string[]> {
  const pool = createPool({
    filename: basename(file),
    root: dirname(file),
    readonly: true,
    healthCheckInterval: 0,
  });
  try {
    const rows = await pool.all('SELECT * FROM shared_memory ORDER BY namespace, key');
    return rows.map((r) => createHash('sha256').update(JSON.stringify(r)).digest('hex'));
  } finally {
    await pool.close();
  }
}

async function live20(s: Sandbox): Promise<SharedMemoryStore> {
  const store = await s.open();
  for (let i = 0; i < 20; i++) await store.set(`live${i}`, { i }, { namespace: 'task_results' });
  return store;
}

const safetyBackups = (s: Sandbox) =>
  readdirSync(s.hiveMind).filter((f) => f.startsWith('memory.db.before-restore-'));

describe('restore() accepts only a hivedb memory.db, and keeps a safety backup', () => {
  it('refuses an SQLite file holding only an empty shared_memory(key, value): every live row unchanged', async () => {
    const s = sb();
    const store = await live20(s);
    const liveFile = join(s.hiveMind, 'memory.db');
    const before = await rowHashes(liveFile);
    expect(before).toHaveLength(20);
    const wrong = join(s.root, 'wrong.db');
    await execOn(wrong, 'CREATE TABLE shared_memory (key TEXT, value TEXT)');
    const err = await expectRejectCode(store.restore(wrong), 'STORE_RESTORE_REFUSED');
    expect(err.details?.reason).toBe('schema');
    expect(err.message).toContain('not a hivedb memory.db');
    expect(err.message).toContain('no migration record');
    expect(err.message).toContain('the live database was not changed');
    expect(await rowHashes(liveFile)).toEqual(before);
    expect(await store.count({ namespace: 'task_results' })).toBe(20);
    expect(safetyBackups(s)).toEqual([]);
  });

  it('refuses hive.db and a file whose tables differ from what its migration record implies', async () => {
    const s = sb();
    const store = await live20(s);
    const liveFile = join(s.hiveMind, 'memory.db');
    const before = await rowHashes(liveFile);
    const copy = join(s.root, 'changed.db');
    await store.backup(copy);
    await execOn(copy, 'ALTER TABLE shared_memory ADD COLUMN extra TEXT');
    const changed = await expectRejectCode(store.restore(copy), 'STORE_RESTORE_REFUSED');
    expect(changed.details?.reason).toBe('schema');
    expect(changed.message).toContain('extra');
    // Another root's hive.db, its WAL checkpointed into it by shutdown().
    const other = await SharedMemoryStore.open({ projectRoot: join(s.root, 'other') });
    await other.shutdown();
    const hive = await expectRejectCode(
      store.restore(join(s.root, 'other', '.hive-mind', 'hive.db')),
      'STORE_RESTORE_REFUSED',
    );
    expect(hive.message).toContain('hive.db copied over memory.db');
    expect(await rowHashes(liveFile)).toEqual(before);
    expect(safetyBackups(s)).toEqual([]);
  });

  it('a valid restore first writes a safety backup beside the database holding the 20 prior entries', async () => {
    const s = sb();
    const other = await SharedMemoryStore.open({ projectRoot: join(s.root, 'other') });
    s.defer(() => other.shutdown());
    for (let i = 0; i < 5; i++) await other.set(`old${i}`, i);
    const backup = join(s.root, 'five.db');
    await other.backup(backup);
    const store = await live20(s);
    const liveFile = join(s.hiveMind, 'memory.db');
    const before = await rowHashes(liveFile);
    const result = await store.restore(backup);
    expect(result.entries).toBe(5);
    expect(result.safetyBackup).toMatch(/[/\\]memory\.db\.before-restore-\d{8}T\d{6}-\d{3}Z\.bak$/);
    expect(dirname(result.safetyBackup)).toBe(s.hiveMind);
    expect(await rowHashes(result.safetyBackup)).toEqual(before);
    expect(await store.count({ namespace: 'task_results' })).toBe(0);
    expect(await store.get('old3')).toBe(3);
    // The safety backup is itself a hivedb memory.db: restoring it brings the 20 back.
    const back = await store.restore(result.safetyBackup);
    expect(back.entries).toBe(20);
    expect(await rowHashes(liveFile)).toHaveLength(20);
  });

  it('never overwrites a file: a second safety backup in the same millisecond takes the next name', async () => {
    const s = sb();
    const store = await live20(s);
    const copy = join(s.root, 'copy.db');
    await store.backup(copy);
    vi.useFakeTimers({ toFake: ['Date'], now: new Date('2026-12-07T23:15:00.123Z') });
    const first = await store.restore(copy);
    const second = await store.restore(copy);
    vi.useRealTimers();
    expect(basename(first.safetyBackup)).toBe('memory.db.before-restore-20261207T231500-123Z.bak');
    expect(basename(second.safetyBackup)).toBe(
      'memory.db.before-restore-20261207T231500-123Z-2.bak',
    );
    expect(existsSync(first.safetyBackup) && existsSync(second.safetyBackup)).toBe(true);
    expect(await rowHashes(first.safetyBackup)).toHaveLength(20);
  });
});
