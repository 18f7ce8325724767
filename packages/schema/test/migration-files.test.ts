import fs from 'node:fs';
import path from 'node:path';
import { readMigrationFiles as drizzleReadMigrationFiles } from 'drizzle-orm/migrator';
import { describe, expect, it } from 'vitest';
import { readMigrationFiles, schemaFor } from '../src/index.js';
import { PARENT_CHILD, tempDir, writeMigrations } from './helpers.js';

describe('readMigrationFiles', () => {
  it('reads the packaged folders in journal order, each with a hand-written down file', () => {
    for (const database of ['memory', 'hive'] as const) {
      const files = readMigrationFiles(schemaFor(database).migrationsFolder);
      expect(files.length).toBeGreaterThan(0);
      files.forEach((f, i) => {
        expect(f.index).toBe(i);
        expect(f.down, `${database}/${f.tag}.down.sql`).not.toBeNull();
      });
    }
  });

  it('hashes every file exactly as drizzle-orm does, so drizzle-migrated databases are recognised', () => {
    for (const database of ['memory', 'hive'] as const) {
      const folder = schemaFor(database).migrationsFolder;
      const ours = readMigrationFiles(folder);
      const theirs = drizzleReadMigrationFiles({ migrationsFolder: folder });
      expect(ours.map((f) => [f.up.hash, f.when])).toEqual(
        theirs.map((m) => [m.hash, m.folderMillis]),
      );
    }
  });

  it("splits on drizzle-kit's breakpoints and lifts foreign_keys pragmas out of the statements", () => {
    const folder = writeMigrations(path.join(tempDir(), 'm'), PARENT_CHILD);
    const files = readMigrationFiles(folder);
    expect(files.map((f) => f.tag)).toEqual(PARENT_CHILD.map((m) => m.tag));
    expect(files[0]!.up.statements).toHaveLength(2);
    expect(files[0]!.up.foreignKeysOff).toBe(false);
    const rebuild = files[2]!;
    expect(rebuild.up.foreignKeysOff).toBe(true);
    expect(rebuild.down!.foreignKeysOff).toBe(true);
    expect(rebuild.up.statements).toHaveLength(4);
    expect(rebuild.up.statements.some((s) => /PRAGMA/i.test(s))).toBe(false);
  });

  it('refuses a folder with no journal, a malformed entry, or two entries with the same time', () => {
    const dir = tempDir();
    expect(() => readMigrationFiles(path.join(dir, 'nowhere'))).toThrow(
      expect.objectContaining({ code: 'SCHEMA_INVALID_MIGRATIONS' }),
    );
    const folder = writeMigrations(path.join(dir, 'dup'), [
      { tag: '0000_a', up: 'CREATE TABLE a (x);', when: 5 },
      { tag: '0001_b', up: 'CREATE TABLE b (x);', when: 5 },
    ]);
    expect(() => readMigrationFiles(folder)).toThrow(/share the journal time/);
    fs.writeFileSync(
      path.join(folder, 'meta', '_journal.json'),
      '{"entries":[{"tag":"../x","when":1}]}',
    );
    expect(() => readMigrationFiles(folder)).toThrow(/malformed/);
  });
});
