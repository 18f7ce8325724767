import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Migrator, readMigrationFiles } from '../src/index.js';
import { openPool, PARENT_CHILD, tempDir, writeMigrations } from './helpers.js';

async function seeded(dir: string, folder: string) {
  const pool = openPool(dir);
  const migrator = new Migrator(pool, { migrationsFolder: folder, backup: false });
  await migrator.migrate({ to: '0001' });
  await pool.transaction((tx) => {
    for (let p = 1; p <= 3; p++) {
      tx.run('INSERT INTO parent (id, name) VALUES (?, ?)', [p, `p${p}`]);
      for (let c = 0; c < 5; c++) tx.run('INSERT INTO child (parent_id) VALUES (?)', [p]);
    }
  });
  return { pool, migrator };
}

describe('table rebuilds', () => {
  it('a rebuild of a parent table keeps its child rows (ON DELETE CASCADE, foreign keys on)', async () => {
    const dir = tempDir();
    const folder = writeMigrations(path.join(dir, 'm'), PARENT_CHILD);
    const { pool, migrator } = await seeded(dir, folder);
    expect(await pool.get('PRAGMA foreign_keys')).toEqual({ foreign_keys: 1 });

    expect((await migrator.migrate()).applied).toEqual([
      '0002_parent_name_nullable',
      '0003_child_parent_index',
    ]);
    expect(await pool.get('SELECT count(*) AS n FROM child')).toEqual({ n: 15 });
    expect(await pool.get('SELECT count(*) AS n FROM parent')).toEqual({ n: 3 });
    await pool.run('INSERT INTO parent (id, name) VALUES (4, NULL)'); // the rebuild did its job
    // foreign_keys is back on for the pool's writer: the cascade still works after the migration.
    expect(await pool.get('PRAGMA foreign_keys')).toEqual({ foreign_keys: 1 });
    await pool.run('DELETE FROM parent WHERE id = 1');
    expect(await pool.get('SELECT count(*) AS n FROM child')).toEqual({ n: 10 });
  });

  it('run naively in one transaction with foreign keys on, the same SQL deletes every child row', async () => {
    // Why the runner switches foreign_keys off outside the transaction: inside one the pragma is
    // a no-op, and DROP TABLE parent cascades into child.
    const dir = tempDir();
    const folder = writeMigrations(path.join(dir, 'm'), PARENT_CHILD);
    const { pool } = await seeded(dir, folder);
    const rebuild = readMigrationFiles(folder)[2]!;
    await pool.transaction((tx) => {
      tx.exec('PRAGMA foreign_keys=OFF');
      for (const statement of rebuild.up.statements) tx.exec(statement);
    });
    expect(await pool.get('SELECT count(*) AS n FROM child')).toEqual({ n: 0 });
  });

  it('a rebuild that would orphan child rows fails foreign_key_check and is rolled back', async () => {
    const dir = tempDir();
    const lossy = {
      ...PARENT_CHILD[2]!,
      up: PARENT_CHILD[2]!.up.replace('FROM `parent`;', 'FROM `parent` WHERE "id" <> 2;'),
    };
    const folder = writeMigrations(path.join(dir, 'm'), [
      PARENT_CHILD[0]!,
      PARENT_CHILD[1]!,
      lossy,
    ]);
    const { pool, migrator } = await seeded(dir, folder);

    const err = await migrator.migrate().catch((e: unknown) => e);
    expect(err).toMatchObject({
      code: 'SCHEMA_FOREIGN_KEY_VIOLATION',
      details: {
        violations: expect.arrayContaining([
          expect.objectContaining({ table: 'child', parent: 'parent' }),
        ]),
      },
    });
    expect((err as { details: { violations: unknown[] } }).details.violations).toHaveLength(5);
    expect(await pool.get('SELECT count(*) AS n FROM parent')).toEqual({ n: 3 });
    expect(await pool.get('SELECT count(*) AS n FROM child')).toEqual({ n: 15 });
    expect((await migrator.status()).current).toBe('0001_parent_note');
    expect(await pool.get('PRAGMA foreign_keys')).toEqual({ foreign_keys: 1 });
  });
});
