import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Migrator, validateIntegrity } from '../src/index.js';
import { openPool, PARENT_CHILD, tempDir, writeMigrations } from './helpers.js';

async function memoryDbWithRows(dir: string, rows: number) {
  const pool = openPool(dir, 'memory.db');
  await new Migrator(pool, { database: 'memory' }).migrate();
  await pool.transaction((tx) => {
    for (let i = 0; i < rows; i++) {
      tx.run(
        'INSERT INTO shared_memory (key, namespace, data_type, value, created_at, updated_at, last_accessed) VALUES (?, ?, ?, ?, ?, ?, ?)',
        [`k${i}`, `ns${i % 5}`, 'json', JSON.stringify({ i, text: 'v'.repeat(200) }), i, i, i],
      );
    }
  });
  return pool;
}

describe('validateIntegrity', () => {
  it('finds a deliberately corrupted page in a copy of the database', async () => {
    const dir = tempDir();
    const pool = await memoryDbWithRows(dir, 3000);
    await pool.close(); // checkpoints the WAL into the file
    const copyDir = tempDir();
    const copy = path.join(copyDir, 'memory.db');
    fs.copyFileSync(path.join(dir, 'memory.db'), copy);
    const pageSize = 4096;
    const pages = fs.statSync(copy).size / pageSize;
    expect(pages).toBeGreaterThan(50);
    // Overwrite the middle of a few pages of the table's b-tree with garbage (page 1 kept intact).
    const fd = fs.openSync(copy, 'r+');
    for (const page of [
      Math.floor(pages / 3),
      Math.floor(pages / 2),
      Math.floor((2 * pages) / 3),
    ]) {
      fs.writeSync(fd, Buffer.alloc(1024, 0xa5), 0, 1024, page * pageSize + 512);
    }
    fs.closeSync(fd);

    const damaged = openPool(copyDir, 'memory.db');
    for (const quick of [false, true]) {
      const report = await validateIntegrity(damaged, { quick, definitions: 'memory' });
      expect(report.ok).toBe(false);
      expect(report.quick).toBe(quick);
      const found = [
        ...report.integrity,
        ...report.errors.map((e) => `${e.sqliteCode} ${e.message}`),
      ].join('\n');
      expect(found).toMatch(
        /corrupt|malformed|btreeInitPage|Tree \d+ page \d+|invalid page|never used|SQLITE_CORRUPT/i,
      );
    }
  });

  it('reports a dropped index, an extra table and a changed column against the definitions', async () => {
    const dir = tempDir();
    const pool = await memoryDbWithRows(dir, 10);
    expect((await validateIntegrity(pool, { definitions: 'memory' })).ok).toBe(true);

    await pool.run('DROP INDEX idx_namespace_type');
    await pool.run('CREATE TABLE stray (x)');
    await pool.run('CREATE INDEX idx_extra ON shared_memory (data_type)');
    await pool.run('ALTER TABLE shared_memory ADD COLUMN owner TEXT');
    const report = await validateIntegrity(pool, { definitions: 'memory' });
    expect(report.ok).toBe(false);
    expect(report.integrity).toEqual([]);
    expect(report.schema).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          kind: 'missing-index',
          table: 'shared_memory',
          name: 'idx_namespace_type',
        }),
        expect.objectContaining({ kind: 'extra-index', table: 'shared_memory', name: 'idx_extra' }),
        expect.objectContaining({ kind: 'extra-table', table: 'stray' }),
        expect.objectContaining({ kind: 'extra-column', table: 'shared_memory', name: 'owner' }),
      ]),
    );
    expect(report.schema).toHaveLength(4);
    expect(report.schema!.every((i) => typeof i.message === 'string' && i.message.length > 0)).toBe(
      true,
    );
  });

  it('reports a missing table and a column whose constraints differ', async () => {
    const dir = tempDir();
    const pool = openPool(dir, 'hive.db');
    await pool.run(
      'CREATE TABLE agent_memory (agent_id TEXT, memory_key TEXT NOT NULL, access_type TEXT NOT NULL, timestamp INTEGER NOT NULL, duration_ms INTEGER DEFAULT 0, success BOOLEAN DEFAULT 1)',
    );
    const report = await validateIntegrity(pool, { definitions: 'hive' });
    const kinds = report.schema!.map((i) => `${i.kind}:${i.table}:${i.name ?? ''}`);
    expect(kinds).toEqual(
      expect.arrayContaining([
        'missing-table:query_performance:',
        'column-mismatch:agent_memory:agent_id',
        'primary-key-mismatch:agent_memory:',
        'missing-check:agent_memory:chk_access_type',
      ]),
    );
  });

  it('reports rows whose parent row is gone (foreign_key_check)', async () => {
    const dir = tempDir();
    const folder = writeMigrations(path.join(dir, 'm'), PARENT_CHILD);
    const pool = openPool(dir);
    await new Migrator(pool, { migrationsFolder: folder }).migrate();
    await pool.run("INSERT INTO parent (id, name) VALUES (1, 'p')");
    await pool.run('INSERT INTO child (id, parent_id) VALUES (1, 1)');
    await pool.withConnection(
      (lease) => {
        lease.raw.pragma('foreign_keys = OFF');
        lease.run('INSERT INTO child (id, parent_id) VALUES (2, 99)');
        lease.raw.pragma('foreign_keys = ON');
      },
      { mode: 'write' },
    );
    const report = await validateIntegrity(pool);
    expect(report).toMatchObject({ ok: false, schema: null, integrity: [] });
    expect(report.foreignKeys).toEqual([{ table: 'child', rowid: 2, parent: 'parent', fkid: 0 }]);
  });
});
