import { createHash } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { createPool } from '@hivedb/pool';
import { Migrator } from '@hivedb/schema';
import { describe, expect, it } from 'vitest';
import type { SharedMemoryStore } from '../src/index.js';
import { execOn, expectRejectCode, type Sandbox, sleep, useSandbox } from './helpers/sandbox.js';

const sb = useSandbox();

/** A memory.db with 20 entries (and a versioned one), made by a read-write store that is then shut down. */
async function populated(s: Sandbox): Promise<string> {
  const store = await s.open();
  for (let i = 0; i < 20; i++) await store.set(`k${i}`, { i }, { namespace: 'task_results' });
  await store.set('v', 1, { dataType: 'versioned' });
  await store.set('v', 2, { dataType: 'versioned' });
  await store.shutdown();
  return join(s.hiveMind, 'memory.db');
}

/** The main file's bytes and mtime. */
function fingerprint(file: string): string {
  const st = statSync(file);
  return `${createHash('sha256').update(readFileSync(file)).digest('hex')} ${st.size} ${st.mtimeMs}`;
}

describe('a readonly store', () => {
  it('reads, and leaves memory.db byte for byte (and its mtime) as it was; no hive.db', async () => {
    const s = sb();
    const file = await populated(s);
    rmSync(join(s.hiveMind, 'hive.db'));
    const before = fingerprint(file);
    // Timers that would write if they ran: they must not run at all.
    const store = await s.open({ readonly: true, gcInterval: 10, flushInterval: 10 });
    expect(store.readonly).toBe(true);
    for (let round = 0; round < 2; round++) {
      expect(await store.get('k3', { namespace: 'task_results', agentId: 'a1' })).toEqual({ i: 3 });
      expect(
        await store.get('k3', { namespace: 'task_results', includeMetadata: true }),
      ).toMatchObject({ found: true });
      expect((await store.list({ namespace: 'task_results', limit: 100 })).entries).toHaveLength(
        20,
      );
      expect(await store.keys({ pattern: 'k1*' })).toHaveLength(11);
      expect(await store.count({ namespace: 'task_results' })).toBe(20);
      expect((await store.getStats()).entryCount).toBe(21);
      expect(await store.history('v')).toHaveLength(2);
      let exported = '';
      for await (const chunk of store.export({ namespace: 'task_results' })) exported += chunk;
      expect(exported.trim().split('\n')).toHaveLength(20);
      await sleep(60);
    }
    expect(store.pools().hive).toBeNull();
    await store.shutdown();
    expect(fingerprint(file)).toBe(before);
    expect(existsSync(join(s.hiveMind, 'hive.db'))).toBe(false);
    // What SQLite does beside the file: a read-only connection needs the -shm index, and makes
    // an empty -wal with it; nothing is ever written to the WAL.
    const wal = join(s.hiveMind, 'memory.db-wal');
    if (existsSync(wal)) expect(statSync(wal).size).toBe(0);
  });

  it('refuses every method that writes with STORE_READONLY, and writes nothing', async () => {
    const s = sb();
    const file = await populated(s);
    const before = fingerprint(file);
    const store = await s.open({ readonly: true });
    const writes: Array<[string, (st: SharedMemoryStore) => Promise<unknown>]> = [
      ['set', (st) => st.set('k', 1)],
      ['delete', (st) => st.delete('k1', { namespace: 'task_results' })],
      ['setBulk', (st) => st.setBulk([{ key: 'k', value: 1 }])],
      ['touch', (st) => st.touch('k1', 1000, { namespace: 'task_results' })],
      ['clear', (st) => st.clear()],
      ['increment', (st) => st.increment('n')],
      ['batch', (st) => st.batch().set('k', 1).commit()],
      ['atomic', (st) => st.atomic('k', () => 1)],
      ['acquireLock', (st) => st.acquireLock('k', 'a1')],
      ['releaseLock', (st) => st.releaseLock('k', 'a1')],
      ['renewLock', (st) => st.renewLock('k', 'a1')],
      ['sweepExpired', (st) => st.sweepExpired()],
      ['flush', (st) => st.flush()],
      ['restore', (st) => st.restore(file)],
      ['import', (st) => st.import(Readable.from(['{"key":"x","value":1}\n']))],
    ];
    for (const [name, call] of writes) {
      const err = await expectRejectCode(call(store), 'STORE_READONLY');
      expect(err.message, name).toContain(`${name}()`);
    }
    await store.shutdown();
    expect(fingerprint(file)).toBe(before);
  });

  it('never creates the folder or the file: a missing memory.db is STORE_NO_DATABASE naming it', async () => {
    const s = sb();
    const err = await expectRejectCode(s.open({ readonly: true }), 'STORE_NO_DATABASE');
    expect(err.message).toContain(join(s.hiveMind, 'memory.db'));
    expect(readdirSync(s.root)).toEqual([]);
    mkdirSync(s.hiveMind);
    await expectRejectCode(s.open({ readonly: true }), 'STORE_NO_DATABASE');
    expect(readdirSync(s.hiveMind)).toEqual([]);
  });

  it('never migrates: a zero-byte, foreign, older, drifted or unknown-migration file is STORE_SCHEMA_MISMATCH, unchanged', async () => {
    const s = sb();
    const file = await populated(s);
    const good = join(s.root, 'good.db');
    copyFileSync(file, good);
    const cases: Array<[string, () => unknown, RegExp]> = [
      ['zero bytes', () => writeFileSync(file, ''), /empty \(0 bytes\)/],
      [
        'hive.db copied over it',
        () => copyFileSync(join(s.hiveMind, 'hive.db'), file),
        /hive\.db copied over memory\.db/,
      ],
      [
        'a foreign file with shared_memory(key, value)',
        () => {
          rmSync(file);
          return execOn(file, 'CREATE TABLE shared_memory (key TEXT, value TEXT)');
        },
        /no migration record/,
      ],
      [
        'an older database',
        async () => {
          rmSync(file);
          const pool = createPool({ filename: file, root: s.hiveMind, healthCheckInterval: 0 });
          await new Migrator(pool, { database: 'memory', backup: false }).migrate({ to: '0000' });
          await pool.close();
        },
        /needs migration\(s\) 0001_locks_changes_history, 0002_change_triggers/,
      ],
      [
        'a drifted migration',
        () => execOn(file, "UPDATE __drizzle_migrations SET hash = 'x' WHERE rowid = 1"),
        /0000_shared_memory was applied from a different file/,
      ],
      [
        'an unknown migration',
        () =>
          execOn(
            file,
            "INSERT INTO __drizzle_migrations (hash, created_at) VALUES ('y', 4102444800000)",
          ),
        /does not have/,
      ],
    ];
    for (const [name, make, why] of cases) {
      for (const side of ['', '-wal', '-shm']) rmSync(file + side, { force: true });
      copyFileSync(good, file);
      await make();
      const before = fingerprint(file);
      const err = await expectRejectCode(s.open({ readonly: true }), 'STORE_SCHEMA_MISMATCH');
      expect(err.message, name).toMatch(why);
      expect(err.message, name).toContain(file);
      expect(fingerprint(file), name).toBe(before);
    }
  });

  it("delivers other processes' changes to subscribe() (the feed needs no writes)", async () => {
    const s = sb();
    await populated(s);
    const reader = await s.open({ readonly: true, changeFeed: { pollIntervalMs: 5 } });
    const got: string[] = [];
    reader.subscribe('*', (c) => void got.push(c.key));
    const writer = await s.open();
    await writer.set('new', 1);
    const end = Date.now() + 5000;
    while (got.length === 0 && Date.now() < end) await sleep(10);
    expect(got).toEqual(['new']);
  });
});
