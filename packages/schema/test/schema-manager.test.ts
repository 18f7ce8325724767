import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { DatabaseConnectionManager } from '@hivedb/pool';
import { afterEach, describe, expect, it } from 'vitest';
import { DatabaseSchemaManager } from '../src/index.js';
import { tempDir } from './helpers.js';

const managers: DatabaseConnectionManager[] = [];
afterEach(async () => {
  await Promise.all(managers.splice(0).map((m) => m.shutdown()));
});

function connections(root: string): DatabaseConnectionManager {
  const manager = new DatabaseConnectionManager({ root, healthCheckInterval: 0 });
  managers.push(manager);
  return manager;
}

describe('DatabaseSchemaManager (the seed facade)', () => {
  it('initializeSchemas() creates memory.db and hive.db under the root, at head, valid', async () => {
    const root = tempDir();
    const manager = connections(root);
    const schemas = new DatabaseSchemaManager(manager);
    const init = await schemas.initializeSchemas();
    expect(init.memory.applied).toEqual([
      '0000_shared_memory',
      '0001_locks_changes_history',
      '0002_change_triggers',
    ]);
    expect(init.hive.applied).toEqual(['0000_agent_memory_query_performance']);
    expect(fs.existsSync(path.join(root, 'memory.db'))).toBe(true);
    expect(fs.existsSync(path.join(root, 'hive.db'))).toBe(true);
    expect(manager.hasPool('memory') && manager.hasPool('hive')).toBe(true);

    const status = await schemas.status();
    expect(status.memory.upToDate && status.hive.upToDate).toBe(true);
    const report = await schemas.validateIntegrity({ quick: true });
    expect(report).toMatchObject({
      ok: true,
      memory: { ok: true, quick: true },
      hive: { ok: true },
    });
    const optimized = await schemas.optimize({ vacuum: 'incremental' });
    expect(optimized.memory.vacuumed).toBe('incremental');
    expect(optimized.hive.autoVacuum).toBe('incremental');
    // A second initialisation is a no-op.
    expect((await schemas.initializeSchemas()).memory.applied).toEqual([]);
  });

  it('migrate(targets) goes down with the down files and back up', async () => {
    const schemas = new DatabaseSchemaManager(connections(tempDir()), { backup: false });
    await schemas.initializeSchemas();
    await schemas
      .pool('memory')
      .run(
        "INSERT INTO shared_memory (key, namespace, data_type, value, created_at, updated_at) VALUES ('k', 'n', 's', 'v', 1, 1)",
      );
    const down = await schemas.migrate({ hive: null });
    expect(down.hive).toMatchObject({
      direction: 'down',
      rolledBack: ['0000_agent_memory_query_performance'],
    });
    expect(down.memory).toMatchObject({ direction: 'up', applied: [] });
    expect(
      await schemas.pool('hive').get("SELECT name FROM sqlite_master WHERE name = 'agent_memory'"),
    ).toBeUndefined();
    const up = await schemas.migrate();
    expect(up.hive).toMatchObject({
      direction: 'up',
      applied: ['0000_agent_memory_query_performance'],
    });
    expect(await schemas.pool('memory').get('SELECT count(*) AS n FROM shared_memory')).toEqual({
      n: 1,
    });
    await expect(schemas.migrate({ memory: '0042' })).rejects.toMatchObject({
      code: 'SCHEMA_UNKNOWN_TARGET',
    });
  });

  it("adopts both databases in the seed's original layout", async () => {
    const root = tempDir();
    const memory = new Database(path.join(root, 'memory.db'));
    memory.exec(`CREATE TABLE shared_memory (key TEXT PRIMARY KEY, namespace TEXT NOT NULL, data_type TEXT NOT NULL,
      value TEXT NOT NULL, metadata TEXT, version INTEGER DEFAULT 1, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,
      expires_at INTEGER, size_bytes INTEGER DEFAULT 0, access_count INTEGER DEFAULT 0, last_accessed INTEGER)`);
    memory
      .prepare(
        "INSERT INTO shared_memory (key, namespace, data_type, value, created_at, updated_at) VALUES ('a', 'n', 's', 'v', 1, 2)",
      )
      .run();
    memory.close();
    const schemas = new DatabaseSchemaManager(connections(root));
    const init = await schemas.initializeSchemas();
    expect(init.memory).toMatchObject({ adopted: true, adoptedRows: { shared_memory: 1 } });
    expect(init.hive).toMatchObject({
      adopted: false,
      applied: ['0000_agent_memory_query_performance'],
    });
    expect((await schemas.validateIntegrity()).ok).toBe(true);
  });

  it('uses pools the connection manager already has, by the configured names', async () => {
    const root = tempDir();
    const manager = connections(root);
    manager.createPool('mem', { filename: 'custom-memory.db' });
    const schemas = new DatabaseSchemaManager(manager, { pools: { memory: 'mem' } });
    await schemas.initializeSchemas();
    expect(schemas.pool('memory')).toBe(manager.getPool('mem'));
    expect(fs.existsSync(path.join(root, 'custom-memory.db'))).toBe(true);
    expect(fs.existsSync(path.join(root, 'memory.db'))).toBe(false);
  });
});
