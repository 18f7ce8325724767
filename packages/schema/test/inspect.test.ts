import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { inspectDatabase, Migrator } from '../src/index.js';
import { openPool, tempDir } from './helpers.js';

/** A database file migrated by the runner (to `to`, default the newest), closed. */
async function migrated(database: 'memory' | 'hive', to?: string): Promise<string> {
  const dir = tempDir();
  const pool = openPool(dir, `${database}.db`);
  await new Migrator(pool, { database, backup: false }).migrate(to === undefined ? {} : { to });
  await pool.close();
  return path.join(dir, `${database}.db`);
}

/** Bytes and mtime of the main file: what inspecting must leave alone. */
function fingerprint(file: string): string {
  const st = fs.statSync(file);
  return `${createHash('sha256').update(fs.readFileSync(file)).digest('hex')} ${st.size} ${st.mtimeMs}`;
}

async function inspectUnchanged(file: string, database: 'memory' | 'hive' = 'memory') {
  const before = fingerprint(file);
  const report = await inspectDatabase(file, database);
  expect(fingerprint(file)).toBe(before);
  return report;
}

const codes = (r: { problems: readonly { code: string }[] }) => r.problems.map((p) => p.code);

describe('inspectDatabase', () => {
  it('a database the runner migrated is ok, and is left byte for byte as it was', async () => {
    const report = await inspectUnchanged(await migrated('memory'));
    expect(report.problems).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.migrations?.upToDate).toBe(true);
    expect((await inspectUnchanged(await migrated('hive'), 'hive')).ok).toBe(true);
  });

  it('an older database with pending migrations is ok (its schema is the one its record implies)', async () => {
    const report = await inspectUnchanged(await migrated('memory', '0000'));
    expect(report.problems).toEqual([]);
    expect(report.migrations?.pending.map((p) => p.tag)).toEqual([
      '0001_locks_changes_history',
      '0002_change_triggers',
    ]);
  });

  it('a zero-byte file is empty-file, and stays zero bytes with nothing beside it', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'memory.db');
    fs.writeFileSync(file, '');
    const report = await inspectUnchanged(file);
    expect(report.ok).toBe(false);
    expect(codes(report)).toEqual(['empty-file']);
    expect(report.problems[0]!.message).toContain(file);
    expect(fs.statSync(file).size).toBe(0);
    expect(fs.readdirSync(dir)).toEqual(['memory.db']);
  });

  it('a missing file is missing, and nothing is created', async () => {
    const dir = tempDir();
    const report = await inspectDatabase(path.join(dir, 'sub', 'memory.db'), 'memory');
    expect(codes(report)).toEqual(['missing']);
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('a text file is not-sqlite', async () => {
    const file = path.join(tempDir(), 'memory.db');
    fs.writeFileSync(file, '{"key":"a"}\n'.repeat(20));
    expect(codes(await inspectUnchanged(file))).toEqual(['not-sqlite']);
  });

  it('hive.db copied over memory.db is unknown-migration, saying so', async () => {
    const report = await inspectUnchanged(await migrated('hive'));
    expect(codes(report)).toEqual(['unknown-migration']);
    expect(report.problems[0]!.message).toContain('hive.db copied over memory.db');
  });

  it('a foreign SQLite file with an empty shared_memory(key, value) is no-migration-record', async () => {
    const file = path.join(tempDir(), 'memory.db');
    const db = new Database(file);
    db.exec('CREATE TABLE shared_memory (key TEXT, value TEXT)');
    db.close();
    const report = await inspectUnchanged(file);
    expect(codes(report)).toEqual(['no-migration-record']);
    expect(report.problems[0]!.message).toContain('shared_memory');
  });

  it('a SQLite file with no tables is no-schema', async () => {
    const file = path.join(tempDir(), 'memory.db');
    new Database(file).exec('PRAGMA user_version = 1').close();
    expect(codes(await inspectUnchanged(file))).toEqual(['no-schema']);
  });

  it('a drifted and an unknown migration are reported as such', async () => {
    const file = await migrated('memory');
    const db = new Database(file);
    db.exec(`UPDATE __drizzle_migrations SET hash = 'changed' WHERE rowid = 1;
      INSERT INTO __drizzle_migrations (hash, created_at) VALUES ('from-the-future', 4102444800000)`);
    db.close();
    const report = await inspectUnchanged(file);
    expect(codes(report)).toEqual(['drifted-migration', 'unknown-migration']);
    expect(report.problems[0]!.message).toContain('0000_shared_memory');
    expect(report.problems[1]!.message).toContain('4102444800000');
  });

  it('tables that differ from what the applied migrations create are schema-mismatch', async () => {
    const file = await migrated('memory');
    const db = new Database(file);
    db.exec('ALTER TABLE shared_memory ADD COLUMN extra TEXT; DROP TABLE memory_history');
    db.close();
    const report = await inspectUnchanged(file);
    expect(codes(report)).toEqual(['schema-mismatch', 'schema-mismatch']);
    expect(report.problems.map((p) => p.message).join('\n')).toMatch(
      /memory_history[\s\S]*extra|extra[\s\S]*memory_history/,
    );
  });

  it('integrity: false leaves out the page checks, not the record and schema checks', async () => {
    const file = await migrated('memory');
    const db = new Database(file);
    db.exec('ALTER TABLE shared_memory ADD COLUMN extra TEXT');
    db.close();
    const before = fingerprint(file);
    const report = await inspectDatabase(file, 'memory', { integrity: false });
    expect(codes(report)).toEqual(['schema-mismatch']);
    expect(fingerprint(file)).toBe(before);
    await expect(inspectDatabase(file, 'memory', { integrity: 'no' as never })).rejects.toThrow(
      expect.objectContaining({ code: 'SCHEMA_INVALID_OPTION' }),
    );
  });

  it('a damaged file is reported, not thrown', async () => {
    const file = await migrated('memory');
    const fd = fs.openSync(file, 'r+');
    fs.writeSync(fd, Buffer.alloc(4096, 0xa5), 0, 4096, 4096);
    fs.closeSync(fd);
    const report = await inspectUnchanged(file);
    expect(report.ok).toBe(false);
    expect(codes(report).some((c) => c === 'integrity' || c === 'unreadable')).toBe(true);
  });
});
