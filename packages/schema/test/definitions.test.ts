import { describe, expect, it } from 'vitest';
import { expectedSchema } from '../src/expected-schema.js';
import { Migrator, schemaFor, validateIntegrity } from '../src/index.js';
import { readLiveSchema } from '../src/live-schema.js';
import { openPool, tempDir } from './helpers.js';

describe('a fresh database migrated to head', () => {
  for (const database of ['memory', 'hive'] as const) {
    it(`${database}.db matches the Drizzle definitions exactly`, async () => {
      const pool = openPool(tempDir(), `${database}.db`);
      const result = await new Migrator(pool, { database }).migrate();
      expect(result.applied.length).toBeGreaterThan(0);
      expect(result.autoVacuumEnabled).toBe(true);

      const live = await pool.read((db) => readLiveSchema(db));
      const expected = expectedSchema(Object.values(schemaFor(database).tables));
      const byName = (a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name);
      expect(live.sort(byName)).toEqual(expected.sort(byName));

      const report = await validateIntegrity(pool, { definitions: database });
      expect(report).toMatchObject({
        ok: true,
        integrity: [],
        foreignKeys: [],
        schema: [],
        errors: [],
      });
      expect(await pool.get('PRAGMA auto_vacuum')).toEqual({ auto_vacuum: 2 });
    });
  }

  it("memory.db carries the seed's columns, checks and indexes, keyed by (namespace, key)", async () => {
    const pool = openPool(tempDir(), 'memory.db');
    await new Migrator(pool, { database: 'memory' }).migrate();
    const columns = await pool.all<{
      name: string;
      pk: number;
      notnull: number;
      dflt_value: string | null;
    }>('PRAGMA table_info(shared_memory)');
    expect(columns.map((c) => c.name)).toEqual([
      'key',
      'namespace',
      'data_type',
      'value',
      'metadata',
      'version',
      'created_at',
      'updated_at',
      'expires_at',
      'size_bytes',
      'access_count',
      'last_accessed',
    ]);
    expect(
      columns
        .filter((c) => c.pk > 0)
        .sort((a, b) => a.pk - b.pk)
        .map((c) => c.name),
    ).toEqual(['namespace', 'key']);
    const defaults = Object.fromEntries(columns.map((c) => [c.name, c.dflt_value]));
    expect(defaults).toMatchObject({ version: '1', size_bytes: '0', access_count: '0' });

    const insert =
      'INSERT INTO shared_memory (key, namespace, data_type, value, version, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)';
    await pool.run(insert, ['k', 'agents', 'json', '1', 1, 10, 10]);
    // The same key in another namespace is another entry (it overwrote in the seed's layout).
    await pool.run(insert, ['k', 'tasks', 'json', '2', 1, 10, 10]);
    expect(await pool.get('SELECT count(*) AS n FROM shared_memory WHERE key = ?', ['k'])).toEqual({
      n: 2,
    });
    await expect(pool.run(insert, ['k', 'agents', 'json', '3', 1, 10, 10])).rejects.toMatchObject({
      sqliteCode: 'SQLITE_CONSTRAINT_PRIMARYKEY',
    });
    await expect(pool.run(insert, ['v0', 'agents', 'json', '3', 0, 10, 10])).rejects.toThrow(
      /chk_version/,
    );
    await expect(pool.run(insert, ['t', 'agents', 'json', '3', 1, 10, 9])).rejects.toThrow(
      /chk_timestamps/,
    );

    const indexes = await pool.all<{ name: string; sql: string }>(
      "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'shared_memory' AND sql IS NOT NULL ORDER BY name",
    );
    expect(indexes.map((i) => i.name)).toEqual([
      'idx_expires_at_not_null',
      'idx_last_accessed_desc',
      'idx_namespace_type',
    ]);
    expect(indexes[0]!.sql).toMatch(/WHERE .*expires_at.* IS NOT NULL/);
    expect(await pool.all('PRAGMA index_xinfo(idx_last_accessed_desc)')).toContainEqual(
      expect.objectContaining({ name: 'last_accessed', desc: 1, key: 1 }),
    );
    const plan = await pool.all<{ detail: string }>(
      'EXPLAIN QUERY PLAN SELECT key FROM shared_memory WHERE expires_at IS NOT NULL AND expires_at < ?',
      [5],
    );
    expect(plan.map((p) => p.detail).join()).toContain('idx_expires_at_not_null');
  });

  it("hive.db carries the seed's agent_memory and query_performance", async () => {
    const pool = openPool(tempDir(), 'hive.db');
    await new Migrator(pool, { database: 'hive' }).migrate();
    const insert =
      'INSERT INTO agent_memory (agent_id, memory_key, access_type, timestamp) VALUES (?, ?, ?, ?)';
    await pool.run(insert, ['a1', 'k', 'read', 1]);
    await expect(pool.run(insert, ['a1', 'k', 'steal', 2])).rejects.toThrow(/CHECK constraint/);
    expect(await pool.get('SELECT duration_ms, success FROM agent_memory')).toEqual({
      duration_ms: 0,
      success: 1,
    });
    const qp =
      'INSERT INTO query_performance (query_type, execution_time_ms, timestamp) VALUES (?, ?, ?)';
    await pool.run(qp, ['get', 0.25, 1]);
    await pool.run(qp, ['set', 1.5, 2]);
    expect(
      await pool.all(
        'SELECT id, execution_time_ms, rows_affected, cache_hit FROM query_performance ORDER BY id',
      ),
    ).toEqual([
      { id: 1, execution_time_ms: 0.25, rows_affected: 0, cache_hit: 0 },
      { id: 2, execution_time_ms: 1.5, rows_affected: 0, cache_hit: 0 },
    ]);
    expect(
      (await pool.get<{ sql: string }>(
        "SELECT sql FROM sqlite_master WHERE name = 'query_performance'",
      ))!.sql,
    ).toMatch(/AUTOINCREMENT/);
  });
});
