import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { MIGRATIONS_TABLE, Migrator, validateIntegrity } from '../src/index.js';
import { openPool, tempDir } from './helpers.js';

/** The seed's SQL for memory.db, verbatim: `key` alone is the primary key. */
const SEED_MEMORY = `
CREATE TABLE shared_memory (
    key TEXT PRIMARY KEY,
    namespace TEXT NOT NULL,
    data_type TEXT NOT NULL,
    value TEXT NOT NULL,
    metadata TEXT,
    version INTEGER DEFAULT 1,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    expires_at INTEGER,
    size_bytes INTEGER DEFAULT 0,
    access_count INTEGER DEFAULT 0,
    last_accessed INTEGER,
    CONSTRAINT chk_version CHECK (version > 0),
    CONSTRAINT chk_timestamps CHECK (updated_at >= created_at)
);
CREATE INDEX idx_namespace_type ON shared_memory(namespace, data_type);
CREATE INDEX idx_expires_at_not_null ON shared_memory(expires_at) WHERE expires_at IS NOT NULL;
CREATE INDEX idx_last_accessed_desc ON shared_memory(last_accessed DESC);
`;

/** The seed's SQL for hive.db, verbatim. */
const SEED_HIVE = `
CREATE TABLE agent_memory (
    agent_id TEXT NOT NULL,
    memory_key TEXT NOT NULL,
    access_type TEXT NOT NULL CHECK (access_type IN ('read', 'write', 'delete')),
    timestamp INTEGER NOT NULL,
    duration_ms INTEGER DEFAULT 0,
    success BOOLEAN DEFAULT 1,
    PRIMARY KEY (agent_id, memory_key, timestamp)
);
CREATE TABLE query_performance (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    query_type TEXT NOT NULL,
    execution_time_ms REAL NOT NULL,
    memory_key TEXT,
    agent_id TEXT,
    timestamp INTEGER NOT NULL,
    rows_affected INTEGER DEFAULT 0,
    cache_hit BOOLEAN DEFAULT 0
);
`;

function seedMemoryDb(file: string, rows: number): void {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.exec(SEED_MEMORY);
  const insert = db.prepare(
    `INSERT INTO shared_memory (key, namespace, data_type, value, metadata, version, created_at, updated_at, expires_at, size_bytes, access_count, last_accessed)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  db.transaction(() => {
    for (let i = 0; i < rows; i++) {
      insert.run(
        `key-${i}`,
        `ns-${i % 7}`,
        i % 2 ? 'json' : 'string',
        JSON.stringify({ i, pad: 'x'.repeat(i % 50) }),
        i % 3 ? null : '{"tag":"t"}',
        1 + (i % 4),
        1000 + i,
        2000 + i,
        i % 5 ? null : 9000 + i,
        i * 3,
        i % 11,
        i % 13 ? 5000 + i : null,
      );
    }
  })();
  db.close();
}

const all = (file: string, sql: string) => {
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare(sql).all();
  } finally {
    db.close();
  }
};

describe("adopting a database in the seed's original layout", () => {
  it('memory.db: detected, rebuilt with (namespace, key) as primary key, every row kept', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'memory.db');
    seedMemoryDb(file, 2500);
    const before = all(file, 'SELECT * FROM shared_memory ORDER BY key');

    const pool = openPool(dir, 'memory.db');
    const migrator = new Migrator(pool, { database: 'memory' });
    expect(await migrator.status()).toMatchObject({
      seedLayout: true,
      applied: [],
      upToDate: false,
    });
    const result = await migrator.migrate();
    expect(result).toMatchObject({ adopted: true, adoptedRows: { shared_memory: 2500 } });

    expect(await pool.all('SELECT * FROM shared_memory ORDER BY key')).toEqual(before);
    expect(
      (await pool.all<{ name: string; pk: number }>('PRAGMA table_info(shared_memory)'))
        .filter((c) => c.pk > 0)
        .sort((a, b) => a.pk - b.pk)
        .map((c) => c.name),
    ).toEqual(['namespace', 'key']);
    expect(await migrator.status()).toMatchObject({ seedLayout: false, upToDate: true });
    expect(await validateIntegrity(pool, { definitions: 'memory' })).toMatchObject({
      ok: true,
      schema: [],
    });
    // The same key in two namespaces: two entries now.
    await pool.run(
      "INSERT INTO shared_memory (key, namespace, data_type, value, created_at, updated_at) VALUES ('key-1', 'other', 'string', 'v', 1, 1)",
    );
    expect(await pool.get("SELECT count(*) AS n FROM shared_memory WHERE key = 'key-1'")).toEqual({
      n: 2,
    });

    // The backup taken first is the seed's database as it was.
    expect(result.backup).not.toBeNull();
    expect(all(result.backup!, 'SELECT * FROM shared_memory ORDER BY key')).toEqual(before);
    expect(
      all(result.backup!, "SELECT name FROM sqlite_master WHERE name = '__drizzle_migrations'"),
    ).toEqual([]);
  });

  it('hive.db: agent_memory and query_performance adopted with their rows and AUTOINCREMENT ids', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'hive.db');
    const db = new Database(file);
    db.exec(SEED_HIVE);
    db.transaction(() => {
      for (let i = 0; i < 50; i++) {
        db.prepare('INSERT INTO agent_memory VALUES (?, ?, ?, ?, ?, ?)').run(
          `a${i % 3}`,
          `k${i}`,
          ['read', 'write', 'delete'][i % 3],
          i,
          i,
          i % 2,
        );
        db.prepare(
          'INSERT INTO query_performance (query_type, execution_time_ms, timestamp, cache_hit) VALUES (?, ?, ?, ?)',
        ).run('get', i / 10, i, i % 2);
      }
    })();
    db.prepare('DELETE FROM query_performance WHERE id > 45').run(); // the sequence stays at 50
    db.close();
    const agents = all(file, 'SELECT * FROM agent_memory ORDER BY agent_id, memory_key, timestamp');
    const samples = all(file, 'SELECT * FROM query_performance ORDER BY id');

    const pool = openPool(dir, 'hive.db');
    const result = await new Migrator(pool, { database: 'hive' }).migrate();
    expect(result).toMatchObject({
      adopted: true,
      adoptedRows: { agent_memory: 50, query_performance: 45 },
    });
    expect(
      await pool.all('SELECT * FROM agent_memory ORDER BY agent_id, memory_key, timestamp'),
    ).toEqual(agents);
    expect(await pool.all('SELECT * FROM query_performance ORDER BY id')).toEqual(samples);
    const { lastInsertRowid } = await pool.run(
      "INSERT INTO query_performance (query_type, execution_time_ms, timestamp) VALUES ('set', 1, 1)",
    );
    expect(Number(lastInsertRowid)).toBe(46);
    expect(await validateIntegrity(pool, { definitions: 'hive' })).toMatchObject({
      ok: true,
      schema: [],
    });
  });

  it('refuses, changing nothing, when adoption would drop a column the seed table has', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'memory.db');
    seedMemoryDb(file, 10);
    const db = new Database(file);
    db.exec('ALTER TABLE shared_memory ADD COLUMN owner TEXT');
    db.close();
    const pool = openPool(dir, 'memory.db');
    const migrator = new Migrator(pool, { database: 'memory', backup: false });
    await expect(migrator.migrate()).rejects.toMatchObject({
      code: 'SCHEMA_ADOPTION_FAILED',
      details: { table: 'shared_memory', columns: ['owner'] },
    });
    expect(await pool.get('SELECT count(*) AS n FROM shared_memory')).toEqual({ n: 10 });
    expect(
      await pool.get(`SELECT name FROM sqlite_master WHERE name = '${MIGRATIONS_TABLE}'`),
    ).toBeUndefined();
    expect((await migrator.status()).seedLayout).toBe(true);
    expect(
      await pool.get(
        "SELECT count(*) AS n FROM sqlite_master WHERE type = 'index' AND name LIKE 'idx_%'",
      ),
    ).toEqual({ n: 3 });
  });
});
