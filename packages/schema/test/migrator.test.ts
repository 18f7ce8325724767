import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { drizzle } from 'drizzle-orm/better-sqlite3';
import { migrate as drizzleMigrate } from 'drizzle-orm/better-sqlite3/migrator';
import { describe, expect, it } from 'vitest';
import { MIGRATIONS_TABLE, Migrator, schemaFor } from '../src/index.js';
import {
  type FixtureMigration,
  openPool,
  PARENT_CHILD,
  tempDir,
  writeMigrations,
} from './helpers.js';

const A: FixtureMigration = {
  tag: '0000_a',
  up: 'CREATE TABLE `a` (`x` integer);',
  down: 'DROP TABLE `a`;',
  when: 1000,
};
const B: FixtureMigration = {
  tag: '0001_b',
  up: 'CREATE TABLE `b` (`x` integer);',
  down: 'DROP TABLE `b`;',
  when: 2000,
};
const C: FixtureMigration = {
  tag: '0002_c',
  up: 'CREATE TABLE `c` (`x` integer);',
  down: 'DROP TABLE `c`;',
  when: 3000,
};

const tablesOf = async (pool: ReturnType<typeof openPool>) =>
  (
    await pool.all<{ name: string }>(
      "SELECT name FROM sqlite_master WHERE type = 'table' AND name IN ('a','b','c','t1','t2') ORDER BY name",
    )
  ).map((r) => r.name);

describe('Migrator', () => {
  it('reports status, applies to a target, then to head, and records in __drizzle_migrations', async () => {
    const dir = tempDir();
    const folder = writeMigrations(path.join(dir, 'm'), [A, B, C]);
    const pool = openPool(dir);
    const migrator = new Migrator(pool, { migrationsFolder: folder });
    expect(await migrator.status()).toMatchObject({
      applied: [],
      current: null,
      head: '0002_c',
      upToDate: false,
    });

    expect((await migrator.migrate({ to: '0001' })).applied).toEqual(['0000_a', '0001_b']);
    expect(await tablesOf(pool)).toEqual(['a', 'b']);
    expect((await migrator.status()).pending.map((p) => p.tag)).toEqual(['0002_c']);

    expect((await migrator.migrate()).applied).toEqual(['0002_c']);
    expect((await migrator.migrate()).applied).toEqual([]);
    const status = await migrator.status();
    expect(status).toMatchObject({
      current: '0002_c',
      upToDate: true,
      pending: [],
      drifted: [],
      unknown: [],
    });
    expect(
      await pool.all(`SELECT created_at FROM ${MIGRATIONS_TABLE} ORDER BY created_at`),
    ).toEqual([{ created_at: 1000 }, { created_at: 2000 }, { created_at: 3000 }]);
    await expect(migrator.migrate({ to: '0009_nope' })).rejects.toMatchObject({
      code: 'SCHEMA_UNKNOWN_TARGET',
    });
  });

  it('leaves the previous migration intact when one fails: its transaction is rolled back whole', async () => {
    const dir = tempDir();
    const failing: FixtureMigration = {
      tag: '0001_broken',
      up: 'CREATE TABLE `t1` (`x` integer);--> statement-breakpoint\nINSERT INTO `t1` VALUES (1);--> statement-breakpoint\nINSERT INTO `no_such_table` VALUES (1);',
      when: 2000,
    };
    const folder = writeMigrations(path.join(dir, 'm'), [A, failing, C]);
    const pool = openPool(dir);
    await pool.run('CREATE TABLE keep (v)');
    await pool.run("INSERT INTO keep VALUES ('data')");
    const migrator = new Migrator(pool, { migrationsFolder: folder, backup: false });

    const err = await migrator.migrate().catch((e: unknown) => e);
    expect(err).toMatchObject({
      name: 'HiveDbError',
      code: 'SCHEMA_MIGRATION_FAILED',
      sqliteCode: 'SQLITE_ERROR',
      details: expect.objectContaining({ tag: '0001_broken', statement: 3, completed: ['0000_a'] }),
    });
    expect((err as Error).message).toMatch(/no such table: no_such_table/);
    expect(await tablesOf(pool)).toEqual(['a']); // t1 and its row are gone with the rollback; c never ran
    expect(await migrator.status()).toMatchObject({ current: '0000_a' });
    expect((await migrator.status()).pending.map((p) => p.tag)).toEqual(['0001_broken', '0002_c']);
    expect(await pool.all('SELECT v FROM keep')).toEqual([{ v: 'data' }]);
    // The pool is still usable, and a fixed file applies on the next run.
    writeMigrations(folder, [A, { ...failing, up: 'CREATE TABLE `t1` (`x` integer);' }, C]);
    expect((await migrator.migrate()).applied).toEqual(['0001_broken', '0002_c']);
  });

  it('applies a migration merged out of order (drizzle-orm’s own migrator skips it)', async () => {
    const dir = tempDir();
    const folder = path.join(dir, 'm');
    writeMigrations(folder, [A, C]); // main had a and c …
    const pool = openPool(dir);
    const migrator = new Migrator(pool, { migrationsFolder: folder });
    await migrator.migrate();
    const drizzleDb = path.join(dir, 'drizzle.db');
    const raw = new Database(drizzleDb);
    drizzleMigrate(drizzle(raw), { migrationsFolder: folder });

    writeMigrations(folder, [A, B, C]); // … then a branch with b, older than c, was merged.
    const status = await migrator.status();
    expect(status.pending).toEqual([expect.objectContaining({ tag: '0001_b', outOfOrder: true })]);
    expect((await migrator.migrate()).applied).toEqual(['0001_b']);
    expect(await tablesOf(pool)).toEqual(['a', 'b', 'c']);
    expect((await migrator.status()).upToDate).toBe(true);

    // The high-water mark: drizzle's migrator sees c (3000) > b (2000) and never creates b.
    drizzleMigrate(drizzle(raw), { migrationsFolder: folder });
    expect(raw.prepare("SELECT name FROM sqlite_master WHERE name = 'b'").get()).toBeUndefined();
    raw.close();
  });

  it('reports an edited migration file as drift and changes nothing, even with migrations pending', async () => {
    const dir = tempDir();
    const folder = writeMigrations(path.join(dir, 'm'), [A, B]);
    const pool = openPool(dir);
    const migrator = new Migrator(pool, { migrationsFolder: folder });
    await migrator.migrate();
    writeMigrations(folder, [{ ...A, up: 'CREATE TABLE `a` (`x` integer, `y` text);' }, B, C]);

    const status = await migrator.status();
    expect(status.drifted).toEqual([
      expect.objectContaining({ tag: '0000_a', recordedHash: expect.any(String) }),
    ]);
    expect(status.drifted[0]!.hash).not.toBe(status.drifted[0]!.recordedHash);
    expect(status.upToDate).toBe(false);
    await expect(migrator.migrate()).rejects.toMatchObject({
      code: 'SCHEMA_DRIFT',
      details: expect.objectContaining({ drifted: [expect.objectContaining({ tag: '0000_a' })] }),
    });
    await expect(migrator.rollback({ to: null })).rejects.toMatchObject({ code: 'SCHEMA_DRIFT' });
    expect(await tablesOf(pool)).toEqual(['a', 'b']); // c was not applied
  });

  it('reports a recorded migration with no file as drift (a database from a newer release)', async () => {
    const dir = tempDir();
    const folder = writeMigrations(path.join(dir, 'm'), [A, B]);
    const pool = openPool(dir);
    const migrator = new Migrator(pool, { migrationsFolder: folder });
    await migrator.migrate();
    writeMigrations(folder, [A]);
    expect((await migrator.status()).unknown).toEqual([
      { hash: expect.any(String), createdAt: 2000 },
    ]);
    await expect(migrator.migrate()).rejects.toMatchObject({ code: 'SCHEMA_DRIFT' });
  });

  it('recognises a database migrated by drizzle-orm’s migrator (same record, same hashes)', async () => {
    const dir = tempDir();
    const raw = new Database(path.join(dir, 'memory.db'));
    drizzleMigrate(drizzle(raw), { migrationsFolder: schemaFor('memory').migrationsFolder });
    raw.close();
    const pool = openPool(dir, 'memory.db');
    const migrator = new Migrator(pool, { database: 'memory' });
    expect(await migrator.status()).toMatchObject({ upToDate: true, pending: [], drifted: [] });
    expect((await migrator.migrate()).applied).toEqual([]);
  });

  it('takes an online backup before changing a database with data, unless backup: false', async () => {
    const dir = tempDir();
    const folder = writeMigrations(path.join(dir, 'm'), [A, B]);
    const pool = openPool(dir);
    const migrator = new Migrator(pool, {
      migrationsFolder: folder,
      backup: path.join(dir, 'backups'),
    });
    const first = await migrator.migrate({ to: 0 });
    expect(first.backup).toBeNull(); // a brand-new database has nothing to lose
    await pool.run('INSERT INTO a VALUES (42)');

    const second = await migrator.migrate();
    expect(second.backup).toMatch(/backups[/\\]test\.db\.\d{8}T\d{6}-\d{3}Z\.backup$/);
    const copy = new Database(second.backup!, { readonly: true });
    expect(copy.prepare('SELECT x FROM a').all()).toEqual([{ x: 42 }]);
    expect(copy.prepare("SELECT name FROM sqlite_master WHERE name = 'b'").get()).toBeUndefined();
    expect(copy.prepare(`SELECT count(*) AS n FROM ${MIGRATIONS_TABLE}`).get()).toEqual({ n: 1 });
    copy.close();

    writeMigrations(folder, [A, B, C]);
    const before = fs.readdirSync(path.join(dir, 'backups')).length;
    expect((await migrator.migrate({ backup: false })).backup).toBeNull();
    expect(fs.readdirSync(path.join(dir, 'backups'))).toHaveLength(before);
  });

  it('two pools migrating the same file at once apply each migration exactly once', async () => {
    const dir = tempDir();
    const folder = writeMigrations(path.join(dir, 'm'), PARENT_CHILD);
    const one = new Migrator(openPool(dir, 'shared.db'), {
      migrationsFolder: folder,
      backup: false,
    });
    const two = new Migrator(openPool(dir, 'shared.db'), {
      migrationsFolder: folder,
      backup: false,
    });
    const [r1, r2] = await Promise.all([one.migrate(), two.migrate()]);
    expect([...r1.applied, ...r2.applied].sort()).toEqual(PARENT_CHILD.map((m) => m.tag));
    expect((await one.status()).upToDate).toBe(true);
    expect((await two.status()).applied).toHaveLength(PARENT_CHILD.length);
  });

  it('waits for another connection’s write lock, and gives up after lockTimeoutMs with SCHEMA_LOCK_TIMEOUT', async () => {
    const dir = tempDir();
    const folder = writeMigrations(path.join(dir, 'm'), [A, B, C]);
    const pool = openPool(dir);
    await new Migrator(pool, { migrationsFolder: folder }).migrate({ to: 0 });
    const other = new Database(path.join(dir, 'test.db'));
    try {
      other.exec('BEGIN IMMEDIATE');
      const impatient = new Migrator(pool, {
        migrationsFolder: folder,
        backup: false,
        lockTimeoutMs: 50,
      });
      await expect(impatient.migrate()).rejects.toMatchObject({
        code: 'SCHEMA_LOCK_TIMEOUT',
        sqliteCode: 'SQLITE_BUSY',
      });
      expect((await impatient.status()).current).toBe('0000_a');

      const started = Date.now();
      setTimeout(() => other.exec('COMMIT'), 400);
      const patient = new Migrator(pool, {
        migrationsFolder: folder,
        backup: false,
        lockTimeoutMs: 10_000,
      });
      expect((await patient.migrate()).applied).toEqual(['0001_b', '0002_c']);
      expect(Date.now() - started).toBeGreaterThanOrEqual(350);
    } finally {
      if (other.inTransaction) other.exec('ROLLBACK');
      other.close();
    }
  });
});
