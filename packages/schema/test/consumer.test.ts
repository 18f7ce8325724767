import { createRequire } from 'node:module';
import path from 'node:path';
import { createPool } from '@hivedb/pool';
import { describe, expect, it } from 'vitest';
import { tempDir } from './helpers.js';

// Only the built package, by its name, as a consumer imports it (run `pnpm build` first; turbo does).
describe('the built @hivedb/schema, imported by name', () => {
  it('ESM: migrates, validates and optimizes with the migrations shipped beside dist/', async () => {
    const schema = await import('@hivedb/schema');
    const { Migrator, validateIntegrity, optimize, schemaFor, sharedMemory, SchemaError } = schema;
    // The dist build, not this package's sources.
    expect(Migrator).not.toBe((await import('../src/index.js')).Migrator);
    expect(schemaFor('memory').migrationsFolder).toMatch(/[/\\]schema[/\\]migrations[/\\]memory$/);
    expect(schemaFor('memory').tables.sharedMemory).toBe(sharedMemory);
    const pool = createPool({ filename: 'memory.db', root: tempDir(), healthCheckInterval: 0 });
    try {
      const result = await new Migrator(pool, { database: 'memory' }).migrate();
      expect(result.applied).toEqual([
        '0000_shared_memory',
        '0001_locks_changes_history',
        '0002_change_triggers',
      ]);
      expect(await validateIntegrity(pool, { definitions: 'memory' })).toMatchObject({
        ok: true,
        schema: [],
      });
      expect((await optimize(pool)).vacuumed).toBe('incremental');
      const err = new SchemaError('SCHEMA_DRIFT', 'x');
      expect(err).toMatchObject({ name: 'HiveDbError', code: 'SCHEMA_DRIFT' });
    } finally {
      await pool.close();
    }
  });

  it('CJS: require() finds the same migrations through the shimmed import.meta.url', async () => {
    const require = createRequire(import.meta.url);
    const entry = require.resolve('@hivedb/schema');
    expect(path.basename(entry)).toBe('index.cjs');
    const schema = require('@hivedb/schema') as typeof import('@hivedb/schema');
    const files = schema.readMigrationFiles(schema.schemaFor('hive').migrationsFolder);
    expect(files.map((f) => f.tag)).toEqual(['0000_agent_memory_query_performance']);
    const pool = createPool({ filename: 'hive.db', root: tempDir(), healthCheckInterval: 0 });
    try {
      const result = await new schema.Migrator(pool, { database: 'hive' }).migrate();
      expect(result.applied).toEqual(['0000_agent_memory_query_performance']);
    } finally {
      await pool.close();
    }
  });
});
