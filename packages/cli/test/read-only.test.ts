import { copyFileSync, existsSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createPool } from '@hivedb/pool';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { digestRoot, fileDigest, hivedb, json, seedRoot, tempDir } from './helpers.js';

// Issue 16, item 4: read-only commands never create, migrate or write a database, and status
// and check say when a database is not what hivedb made.
const READERS = [['get', 'key-1', '-n', 'alpha'], ['list'], ['stats'], ['export']];

describe('read-only commands', () => {
  const t = tempDir();
  const root = path.join(t.dir, '.hive-mind');
  const memory = path.join(root, 'memory.db');
  const hive = path.join(root, 'hive.db');
  const pristine = path.join(t.dir, 'pristine');
  afterAll(t.cleanup);
  beforeAll(async () => {
    expect((await hivedb(t.dir, ['init'])).code).toBe(0);
    await seedRoot(t.dir, 20);
    expect((await hivedb(t.dir, ['backup', pristine])).code).toBe(0);
  });
  beforeEach(() => {
    for (const s of ['', '-wal', '-shm']) rmSync(`${memory}${s}`, { force: true });
    copyFileSync(pristine, memory);
  });

  it('change nothing on a healthy root (not even access counts)', async () => {
    const before = await digestRoot(root);
    const hiveBefore = fileDigest(hive);
    for (const args of [...READERS, ['status'], ['check'], ['report']]) {
      const r = await hivedb(t.dir, args);
      expect(r.code, `${args.join(' ')}\n${r.stderr}`).toBe(0);
    }
    expect(await digestRoot(root)).toEqual(before);
    expect(fileDigest(hive)).toBe(hiveBefore);
  });

  it('a missing memory.db is CLI_NO_DATABASE, and stays missing', async () => {
    rmSync(memory);
    for (const args of [...READERS, ['status'], ['check']]) {
      const r = await hivedb(t.dir, args);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr, args.join(' ')).toMatch(/^hivedb: CLI_NO_DATABASE: .*memory\.db/m);
      expect(existsSync(memory), args.join(' ')).toBe(false);
    }
    const saved = `${hive}.saved`;
    copyFileSync(hive, saved);
    rmSync(hive);
    try {
      const r = await hivedb(t.dir, ['report']);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/^hivedb: CLI_NO_DATABASE: .*hive\.db/);
      expect(existsSync(hive)).toBe(false);
    } finally {
      copyFileSync(saved, hive);
      rmSync(saved);
    }
  });

  it('a zero-byte memory.db is not ok for status and check, refused by readers, and stays zero bytes', async () => {
    writeFileSync(memory, '');
    for (const args of [['status'], ['check']]) {
      const r = await hivedb(t.dir, [...args, '--json']);
      expect(r.code, args.join(' ')).toBe(1);
      expect(json<{ ok: boolean }>(r).ok).toBe(false);
      const text = await hivedb(t.dir, args);
      expect(text.code).toBe(1);
      expect(text.stdout, args.join(' ')).toMatch(/memory\.db\W.*?FAILED.*?empty \(0 bytes\)/s);
    }
    for (const args of READERS) {
      const r = await hivedb(t.dir, args);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr, args.join(' ')).toMatch(/^hivedb: CLI_BAD_DATABASE: .*memory\.db.*0 bytes/);
    }
    expect(statSync(memory).size).toBe(0);
  });

  it('hive.db copied over memory.db is not ok, and report on a foreign hive.db is a coded error', async () => {
    copyFileSync(hive, memory);
    const sha = fileDigest(memory);
    const s = await hivedb(t.dir, ['status', '--json']);
    expect(s.code).toBe(1);
    const doc = json<{ ok: boolean; databases: { database: string; problems: string[] }[] }>(s);
    expect(doc.ok).toBe(false);
    expect(doc.databases[0]?.problems.join('\n')).toMatch(
      /not a hivedb memory\.db|unknown migration/,
    );
    const c = await hivedb(t.dir, ['check']);
    expect(c.code).toBe(1);
    expect(c.stdout).toMatch(/memory\.db: FAILED/);
    for (const args of READERS) {
      const r = await hivedb(t.dir, args);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr, args.join(' ')).toMatch(/^hivedb: CLI_BAD_DATABASE: .*memory\.db/);
    }
    expect(fileDigest(memory)).toBe(sha);

    const saved = `${hive}.saved`;
    copyFileSync(hive, saved);
    copyFileSync(pristine, hive);
    try {
      const r = await hivedb(t.dir, ['report']);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/^hivedb: CLI_BAD_DATABASE: .*hive\.db/);
      expect(r.stderr).not.toMatch(/no such table/);
      expect(fileDigest(hive)).toBe(fileDigest(pristine));
    } finally {
      copyFileSync(saved, hive);
      rmSync(saved);
    }
  });

  it('a drifted schema and an unknown migration are not ok for status and check', async () => {
    const damage = async (sql: string) => {
      const pool = createPool({ filename: 'memory.db', root, healthCheckInterval: 0 });
      try {
        await pool.run(sql);
      } finally {
        await pool.close();
      }
    };
    await damage('DROP INDEX idx_last_accessed_desc');
    for (const cmd of ['status', 'check']) {
      const r = await hivedb(t.dir, [cmd]);
      expect(r.code, cmd).toBe(1);
      expect(r.stdout, cmd).toMatch(/idx_last_accessed_desc/);
    }
    copyFileSync(pristine, memory);
    await damage(
      "INSERT INTO __drizzle_migrations (hash, created_at) VALUES ('f00d', 4102444800000)",
    );
    for (const cmd of ['status', 'check']) {
      const r = await hivedb(t.dir, [cmd]);
      expect(r.code, cmd).toBe(1);
      expect(r.stdout, cmd).toMatch(/unknown migration/);
    }
    const l = await hivedb(t.dir, ['list']);
    expect(l.code).toBe(1);
    expect(l.stderr).toMatch(/^hivedb: CLI_BAD_DATABASE: .*unknown migration/);
  });

  // (with a line break, so that export must parse it too: it copies stored JSON text as it is)
  it('a damaged stored value is CLI_BAD_DATABASE (exit 1) for every reader, not bad usage', async () => {
    const pool = createPool({ filename: 'memory.db', root, healthCheckInterval: 0 });
    try {
      await pool.run("UPDATE shared_memory SET value = '{not\njson' WHERE key = 'key-1'");
    } finally {
      await pool.close();
    }
    const sha = fileDigest(memory);
    for (const args of [
      ['get', 'key-1', '-n', 'alpha'],
      ['list'],
      ['list', '-n', 'alpha'],
      ['export'],
    ]) {
      const r = await hivedb(t.dir, args);
      expect(r.code, `${args.join(' ')}\n${r.stderr}`).toBe(1);
      expect(r.stderr, args.join(' ')).toMatch(
        /^hivedb: CLI_BAD_DATABASE: .*memory\.db holds an entry hivedb cannot read: .*not valid JSON/m,
      );
    }
    expect(fileDigest(memory)).toBe(sha);
  });
});
