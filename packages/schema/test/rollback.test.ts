import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Migrator, readMigrationFiles, schemaFor } from '../src/index.js';
import { readLiveSchema } from '../src/live-schema.js';
import { masterOf, openPool, PARENT_CHILD, tempDir, writeMigrations } from './helpers.js';

const folders = () => [
  ['memory', schemaFor('memory').migrationsFolder],
  ['hive', schemaFor('hive').migrationsFolder],
  ['parent/child fixture', writeMigrations(path.join(tempDir(), 'm'), PARENT_CHILD)],
];

describe('rollback with hand-written down files', () => {
  it.each(folders())(
    '%s: up → down → up leaves sqlite_master identical, for every migration',
    async (_name, folder) => {
      const pool = openPool(tempDir());
      const migrator = new Migrator(pool, { migrationsFolder: folder!, backup: false });
      const files = readMigrationFiles(folder!);
      for (const file of files) {
        await migrator.migrate({ to: file.index });
        const up = await masterOf(pool);
        expect(
          (await migrator.rollback({ to: file.index - 1 < 0 ? null : file.index - 1 })).rolledBack,
        ).toEqual([file.tag]);
        expect((await migrator.migrate({ to: file.index })).applied).toEqual([file.tag]);
        expect(await masterOf(pool)).toEqual(up);
      }
    },
  );

  it.each(folders())(
    '%s: rollback to each earlier migration and forward again round-trips',
    async (_name, folder) => {
      const pool = openPool(tempDir());
      const migrator = new Migrator(pool, { migrationsFolder: folder!, backup: false });
      const files = readMigrationFiles(folder!);
      const shapes: unknown[] = [await pool.read((db) => readLiveSchema(db))];
      for (const file of files) {
        await migrator.migrate({ to: file.index });
        shapes.push(await pool.read((db) => readLiveSchema(db)));
      }
      const head = await masterOf(pool);
      for (let keep = files.length - 2; keep >= -1; keep--) {
        const result = await migrator.rollback({ to: keep < 0 ? null : keep });
        expect(result.rolledBack).toEqual(
          files
            .slice(keep + 1)
            .reverse()
            .map((f) => f.tag),
        );
        expect(await pool.read((db) => readLiveSchema(db))).toEqual(shapes[keep + 1]);
        expect((await migrator.status()).applied.map((a) => a.tag)).toEqual(
          files.slice(0, keep + 1).map((f) => f.tag),
        );
        expect((await migrator.migrate()).applied).toEqual(files.slice(keep + 1).map((f) => f.tag));
        expect(await masterOf(pool)).toEqual(head);
      }
    },
  );

  it('keeps the rows of tables a rollback leaves in place', async () => {
    const dir = tempDir();
    const folder = writeMigrations(path.join(dir, 'm'), PARENT_CHILD);
    const pool = openPool(dir);
    const migrator = new Migrator(pool, { migrationsFolder: folder });
    await migrator.migrate();
    await pool.run("INSERT INTO parent (id, name, note) VALUES (1, 'p', 'n')");
    await pool.run('INSERT INTO child (parent_id) VALUES (1)');
    const result = await migrator.rollback({ to: '0000_parent_child' });
    expect(result.backup).toMatch(/\.backup$/);
    expect(await pool.all('SELECT * FROM parent')).toEqual([{ id: 1, name: 'p' }]);
    expect(await pool.all('SELECT parent_id FROM child')).toEqual([{ parent_id: 1 }]);
  });

  it('refuses to start when a migration to revert has no down file', async () => {
    const dir = tempDir();
    const noDown = PARENT_CHILD.map((m, i) => (i === 1 ? { tag: m.tag, up: m.up } : m));
    const folder = writeMigrations(path.join(dir, 'm'), noDown);
    const pool = openPool(dir);
    const migrator = new Migrator(pool, { migrationsFolder: folder });
    await migrator.migrate();
    const before = await masterOf(pool);
    await expect(migrator.rollback({ to: null })).rejects.toMatchObject({
      code: 'SCHEMA_MISSING_DOWN',
      details: { tags: ['0001_parent_note'] },
    });
    expect(await masterOf(pool)).toEqual(before);
    expect((await migrator.rollback({ to: 1 })).rolledBack).toEqual([
      '0003_child_parent_index',
      '0002_parent_name_nullable',
    ]);
    await expect(migrator.rollback({ to: 'nope' })).rejects.toMatchObject({
      code: 'SCHEMA_UNKNOWN_TARGET',
    });
  });
});
