import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Migrator, optimize } from '../src/index.js';
import { openPool, tempDir } from './helpers.js';

async function fill(pool: ReturnType<typeof openPool>, rows: number) {
  await pool.transaction((tx) => {
    for (let i = 0; i < rows; i++) {
      tx.run(
        'INSERT INTO shared_memory (key, namespace, data_type, value, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)',
        [`k${i}`, 'bulk', 'string', 'x'.repeat(1000), i, i],
      );
    }
  });
}

describe('optimize', () => {
  it("vacuum: 'full' shrinks the file after mass deletes", async () => {
    const dir = tempDir();
    const pool = openPool(dir, 'memory.db');
    await new Migrator(pool, { database: 'memory' }).migrate();
    await fill(pool, 4000);
    await optimize(pool, { vacuum: false }); // checkpoint: the rows are in the main file
    const full = fs.statSync(path.join(dir, 'memory.db')).size;
    expect(full).toBeGreaterThan(4_000_000);
    await pool.run("DELETE FROM shared_memory WHERE key <> 'k1'");

    const report = await optimize(pool, { vacuum: 'full' });
    expect(report).toMatchObject({
      vacuumed: 'full',
      analyzed: true,
      autoVacuum: 'incremental',
      checkpoint: { busy: false },
    });
    expect(report.before.database).toBe(full);
    expect(report.after.database).toBeLessThan(full / 10);
    expect(report.after.wal).toBe(0);
    expect(report.after.freePages).toBe(0);
    expect(report.bytesFreed).toBeGreaterThan(full * 0.9 - report.before.wal);
    expect(fs.statSync(path.join(dir, 'memory.db')).size).toBe(report.after.database);
    expect(await pool.get('SELECT count(*) AS n FROM shared_memory')).toEqual({ n: 1 });
  });

  it("vacuum: 'incremental' gives free pages back on a database the migrator created", async () => {
    const dir = tempDir();
    const pool = openPool(dir, 'memory.db');
    await new Migrator(pool, { database: 'memory' }).migrate();
    await fill(pool, 2000);
    await pool.run('DELETE FROM shared_memory');
    await pool.run('DELETE FROM memory_changes'); // the change log keeps a row per write and delete
    const report = await optimize(pool); // defaults: analyze, incremental, checkpoint
    expect(report).toMatchObject({ vacuumed: 'incremental', autoVacuum: 'incremental' });
    expect(report.before.freePages).toBeGreaterThan(400);
    expect(report.after.freePages).toBe(0);
    expect(report.after.database).toBeLessThan(200_000);
  });

  it("vacuum: 'incremental' does nothing, and says so, where auto_vacuum is off", async () => {
    const dir = tempDir();
    const pool = openPool(dir, 'plain.db');
    await pool.run('CREATE TABLE t (v TEXT)');
    await pool.transaction((tx) => {
      for (let i = 0; i < 500; i++) tx.run('INSERT INTO t VALUES (?)', ['y'.repeat(1000)]);
    });
    await pool.run('DELETE FROM t');
    const report = await optimize(pool, { vacuum: 'incremental', analyze: false });
    expect(report).toMatchObject({ vacuumed: false, autoVacuum: 'none', analyzed: false });
    expect(report.after.freePages).toBeGreaterThan(100);
    // A full vacuum rewrites the file anyway, and switches incremental auto_vacuum on while at it.
    expect(await optimize(pool, { vacuum: 'full' })).toMatchObject({
      vacuumed: 'full',
      autoVacuum: 'incremental',
      after: { freePages: 0 },
    });
  });

  it('runs ANALYZE when asked (sqlite_stat1 appears)', async () => {
    const pool = openPool(tempDir(), 'memory.db');
    await new Migrator(pool, { database: 'memory' }).migrate();
    await fill(pool, 50);
    await optimize(pool, { analyze: true, vacuum: false, checkpoint: false });
    expect(
      await pool.get("SELECT count(*) AS n FROM sqlite_stat1 WHERE tbl = 'shared_memory'"),
    ).toEqual({ n: 4 }); // three indexes and the primary key's
  });
});
