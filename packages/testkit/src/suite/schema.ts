import { MIGRATIONS_TABLE, Migrator, optimize, validateIntegrity } from '@hivedb/schema';
import { expect, it } from 'vitest';
import { corruptPage, pageSizeOf } from '../faults/files.js';
import { seedStore } from '../seed.js';
import { type CaseEnv, rejectionOf } from './context.js';

/** The seed's original `memory.db` layout: `key` alone is the primary key, no migrations record. */
const SEED_LAYOUT = `
CREATE TABLE shared_memory (
  key TEXT PRIMARY KEY, namespace TEXT NOT NULL, data_type TEXT NOT NULL, value TEXT NOT NULL,
  metadata TEXT, version INTEGER DEFAULT 1, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,
  expires_at INTEGER, size_bytes INTEGER DEFAULT 0, access_count INTEGER DEFAULT 0, last_accessed INTEGER,
  CONSTRAINT chk_version CHECK (version > 0), CONSTRAINT chk_timestamps CHECK (updated_at >= created_at)
);
CREATE INDEX idx_namespace_type ON shared_memory(namespace, data_type);
CREATE INDEX idx_expires_at_not_null ON shared_memory(expires_at) WHERE expires_at IS NOT NULL;
CREATE INDEX idx_last_accessed_desc ON shared_memory(last_accessed DESC);
`;

const MASTER =
  "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name";

/** Case 5: schema — migrate to head, rollback, drift detection, adoption of the original layout. */
export function schemaCase(env: () => CaseEnv): void {
  it('migrates both databases to their newest migration, exactly as defined', async () => {
    for (const database of ['memory', 'hive'] as const) {
      const pool = await env().pool({ filename: `${database}.db` });
      const migrator = new Migrator(pool, { database, backup: false });
      const first = await migrator.status();
      expect(first.applied).toEqual([]);
      expect(first.pending.length).toBeGreaterThanOrEqual(1);
      const run = await migrator.migrate();
      expect(run.applied.length).toBe(first.pending.length);
      const st = await migrator.status();
      expect(st.upToDate).toBe(true);
      expect(st.pending).toEqual([]);
      expect(st.applied.map((m) => m.tag)).toEqual(first.pending.map((m) => m.tag));
      const report = await validateIntegrity(pool, { definitions: database });
      expect(report.ok, JSON.stringify(report)).toBe(true);
      expect(report.schema).toEqual([]);
      // Migrating again does nothing.
      expect((await migrator.migrate()).applied).toEqual([]);
    }
  });

  it('rolls every migration back and forward again, leaving the same schema', async () => {
    const pool = await env().pool({ filename: 'memory.db' });
    const migrator = new Migrator(pool, { database: 'memory', backup: false });
    await migrator.migrate();
    const head = await pool.all(MASTER);
    await pool.run(
      "INSERT INTO shared_memory (key, namespace, data_type, value, created_at, updated_at) VALUES ('k', 'n', 'persistent', '1', 1, 1)",
    );
    await migrator.rollback({ to: null });
    expect((await pool.all(MASTER)).filter((r) => r.name !== MIGRATIONS_TABLE)).toEqual([]);
    expect((await migrator.status()).applied).toEqual([]);
    await migrator.migrate();
    expect(await pool.all(MASTER)).toEqual(head);
  });

  it('detects drift: a changed migration record stops migrate(), a changed table fails validation', async () => {
    const pool = await env().pool({ filename: 'memory.db' });
    const migrator = new Migrator(pool, { database: 'memory', backup: false });
    await migrator.migrate();
    await pool.run(
      `UPDATE ${MIGRATIONS_TABLE} SET hash = 'tampered' WHERE rowid = (SELECT min(rowid) FROM ${MIGRATIONS_TABLE})`,
    );
    const st = await migrator.status();
    expect(st.drifted.length).toBe(1);
    expect((await rejectionOf(migrator.migrate())).code).toBe('SCHEMA_DRIFT');
    expect((await rejectionOf(migrator.rollback({ to: null }))).code).toBe('SCHEMA_DRIFT');

    await pool.run('ALTER TABLE shared_memory ADD COLUMN intruder TEXT');
    const report = await validateIntegrity(pool, { definitions: 'memory' });
    expect(report.ok).toBe(false);
    expect(JSON.stringify(report.schema)).toContain('intruder');
  });

  it("adopts the seed's original layout with its rows, and a store then reads them", async () => {
    const e = env();
    const setup = await e.pool({ filename: '.hive-mind/memory.db' });
    await setup.transaction((tx) => {
      tx.exec(SEED_LAYOUT);
      for (let i = 0; i < 50; i++)
        tx.run(
          'INSERT INTO shared_memory (key, namespace, data_type, value, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)',
          [
            `seed${i}`,
            i % 2 ? 'agent_context' : 'task_results',
            'persistent',
            JSON.stringify({ i }),
            1000,
            1000,
          ],
        );
    });
    const migrator = new Migrator(setup, { database: 'memory', backup: false });
    expect((await migrator.status()).seedLayout).toBe(true);
    await setup.close();
    const store = await e.store();
    for (let i = 0; i < 50; i++) {
      const ns = i % 2 ? 'agent_context' : 'task_results';
      expect(await store.get(`seed${i}`, { namespace: ns })).toEqual({ i });
    }
    // The primary key is (namespace, key) now: the same key in two namespaces is two entries.
    await store.set('seed0', 'other namespace', { namespace: 'agent_context' });
    expect(await store.get('seed0', { namespace: 'task_results' })).toEqual({ i: 0 });
    const check = await e.pool({ filename: '.hive-mind/memory.db' });
    const status = await new Migrator(check, { database: 'memory', backup: false }).status();
    expect(status.upToDate).toBe(true);
    expect(status.seedLayout).toBe(false);
  });
}

/** Case 6: integrity and optimize — corruption found, vacuum reclaims space. */
export function integrityCase(env: () => CaseEnv): void {
  it('finds a corrupted page', async () => {
    const e = env();
    const store = await e.store();
    await seedStore(store, { count: 3000, valueBytes: 200 });
    const clean = await e.pool({ filename: '.hive-mind/memory.db' });
    expect((await validateIntegrity(clean)).ok).toBe(true);
    await clean.close();
    await store.shutdown(); // checkpoints: every page is in the main file
    const pages = Math.floor(
      (await import('node:fs')).statSync(e.memoryDb).size / pageSizeOf(e.memoryDb),
    );
    expect(pages).toBeGreaterThan(10);
    corruptPage(e.memoryDb, Math.floor(pages / 2));
    const pool = await e.pool({ filename: '.hive-mind/memory.db' });
    const report = await validateIntegrity(pool);
    expect(report.ok).toBe(false);
    expect(report.integrity.length + report.errors.length).toBeGreaterThan(0);
  });

  it('gives space back: a full vacuum after deleting most entries shrinks the file', async () => {
    const e = env();
    const store = await e.store();
    await seedStore(store, { count: 3000, valueBytes: 1000 });
    expect(await store.clear({ namespace: 'seed' })).toBe(3000);
    await store.set('survivor', 'still here');
    await store.shutdown();
    const pool = await e.pool({ filename: '.hive-mind/memory.db' });
    const report = await optimize(pool, { vacuum: 'full' });
    expect(report.vacuumed).toBe('full');
    expect(report.before.freePages).toBeGreaterThan(0);
    expect(report.after.freePages).toBe(0);
    expect(report.after.total).toBeLessThan(report.before.total / 2);
    expect(report.bytesFreed).toBeGreaterThan(1_000_000);
    expect((await validateIntegrity(pool, { definitions: 'memory' })).ok).toBe(true);
    const reopened = await e.store();
    expect(await reopened.get('survivor')).toBe('still here');
  });
}
