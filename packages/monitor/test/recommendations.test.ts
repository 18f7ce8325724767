import { describe, expect, it } from 'vitest';
import { nullParamsFor, PerformanceMonitor, shapeOf } from '../src/index.js';
import { indexColumns, planFinding, statementColumns } from '../src/index-advice.js';
import { openPool, tempDir } from './helpers.js';

async function seed(pool: ReturnType<typeof openPool>) {
  await pool.run(
    'CREATE TABLE items (id INTEGER PRIMARY KEY, owner TEXT NOT NULL, kind TEXT, created INTEGER)',
  );
  await pool.run('CREATE TABLE owners (name TEXT PRIMARY KEY, team TEXT)');
  await pool.transaction((tx) => {
    for (let i = 0; i < 5000; i++)
      tx.run('INSERT INTO items(owner, kind, created) VALUES (?, ?, ?)', [
        `agent-${i % 50}`,
        i % 2 ? 'a' : 'b',
        i,
      ]);
    for (let i = 0; i < 50; i++)
      tx.run('INSERT INTO owners VALUES (?, ?)', [`agent-${i}`, `team-${i % 5}`]);
  });
}

describe('recommendations', () => {
  it('a full-scan query yields an index recommendation naming the table and the column, from EXPLAIN QUERY PLAN on a reader', async () => {
    const pool = openPool(tempDir());
    await seed(pool);
    const monitor = new PerformanceMonitor({ monitoringInterval: 0 });
    const seen: string[] = [];
    pool.events.on('query', (e) => seen.push(e.sql));
    monitor.attachPool(pool);
    for (let i = 0; i < 20; i++) {
      const rows = await pool.all('SELECT id, kind FROM items WHERE owner = ?', [`agent-${i}`]);
      expect(rows).toHaveLength(100);
    }
    for (let i = 1; i <= 200; i++) await pool.get('SELECT owner FROM items WHERE id = ?', [i]);

    const report = await monitor.getPerformanceReport();
    const index = report.recommendations.filter((r) => r.type === 'index');
    expect(index).toHaveLength(1);
    expect(index[0]).toMatchObject({
      source: 'app.db',
      table: 'items',
      columns: ['owner'],
      statement: 'SELECT id, kind FROM items WHERE owner = ?',
      suggestion: 'CREATE INDEX idx_items_owner ON items(owner)',
    });
    expect(index[0]!.evidence).toMatchObject({ count: 20, plan: ['SCAN items'] });
    // The primary-key lookup is a SEARCH: nothing to recommend for it.
    expect(report.recommendations.some((r) => r.statement?.includes('WHERE id'))).toBe(false);
    // The monitor's own EXPLAIN ran through the pool, marked, and was not counted.
    expect(
      seen.some((s) => s.includes('EXPLAIN QUERY PLAN SELECT id, kind FROM items WHERE owner = ?')),
    ).toBe(true);
    expect(report.queries.total).toBe(220);

    // With the index the monitor recommended, the plan is a SEARCH and the advice goes away.
    await pool.run(index[0]!.suggestion!);
    await pool.all('SELECT id, kind FROM items WHERE owner = ?', ['agent-1']);
    const fresh = new PerformanceMonitor({ monitoringInterval: 0 });
    fresh.attachPool(pool);
    await pool.all('SELECT id, kind FROM items WHERE owner = ?', ['agent-1']);
    expect((await fresh.getPerformanceReport()).recommendations).toEqual([]);
    await monitor.stop();
    await fresh.stop();
  });

  it('joins, aliases, ranges and sorts: the columns an index would serve, in index order', async () => {
    const pool = openPool(tempDir());
    await seed(pool);
    const monitor = new PerformanceMonitor({ monitoringInterval: 0 });
    monitor.attachPool(pool);
    await pool.all(
      'SELECT i.id FROM items AS i JOIN owners o ON o.name = i.owner WHERE i.kind = ? AND i.created > ? ORDER BY i.created',
      ['a', 10],
    );
    await pool.all('SELECT * FROM items WHERE owner = ? ORDER BY created DESC LIMIT 5', [
      'agent-3',
    ]);
    await pool.get('SELECT count(*) AS n FROM items');
    const recs = (await monitor.getPerformanceReport()).recommendations;
    const byStatement = (s: string) => recs.filter((r) => r.statement?.startsWith(s));
    expect(byStatement('SELECT i.id').find((r) => r.type === 'index')).toMatchObject({
      table: 'items',
      columns: ['kind', 'created'],
    });
    expect(byStatement('SELECT * FROM items WHERE owner').map((r) => [r.type, r.columns])).toEqual([
      ['index', ['owner', 'created']],
      ['sort', ['created']],
    ]);
    expect(byStatement('SELECT count(*)')).toMatchObject([
      { type: 'full-scan', table: 'items', columns: [] },
    ]);
    await monitor.stop();
  });

  it('normalises statements: literals stripped, IN lists and VALUES rows collapsed, comments dropped', () => {
    expect(
      shapeOf("select * from kv where k in ('a', 'b', 3) and n > 3.5e2 -- note").normalized,
    ).toBe('SELECT * FROM kv WHERE k IN (...) AND n > ?');
    expect(shapeOf('INSERT INTO t(a, b) VALUES (1, ?), (2, ?), (3, ?)').normalized).toBe(
      'INSERT INTO t(a, b) VALUES (?, ?), ...',
    );
    expect(shapeOf("/* x */ UPDATE \"my table\" SET v = 'it''s' WHERE id = :id").normalized).toBe(
      'UPDATE "my table" SET v = ? WHERE id = ?',
    );
    expect(
      shapeOf('WITH x AS (SELECT 1) DELETE FROM t WHERE id IN (SELECT * FROM x)').operation,
    ).toBe('DELETE');
    expect(shapeOf("SELECT X'00ff', -1, 0x1F").normalized).toBe('SELECT ?, - ?, ?');
    expect(shapeOf('VACUUM').operation).toBe('VACUUM');
    expect(shapeOf('frobnicate the thing').operation).toBe('OTHER');
  });

  it('binds NULL for each placeholder when explaining a statement whose parameters are unknown', () => {
    expect(nullParamsFor("SELECT * FROM t WHERE a = ? AND b = ? AND c = '?'")).toEqual([
      null,
      null,
    ]);
    expect(nullParamsFor('SELECT * FROM t WHERE a = ?3')).toEqual([null, null, null]);
    expect(nullParamsFor('SELECT * FROM t WHERE a = @a AND b = :b AND c = $c AND d = @a')).toEqual({
      a: null,
      b: null,
      c: null,
    });
    expect(nullParamsFor('SELECT 1')).toBeUndefined();
    expect(nullParamsFor('SELECT ? , :x')).toBeNull();
  });

  it('reads plan rows and statement columns', () => {
    expect(planFinding('SCAN items')).toEqual({ kind: 'scan', name: 'items' });
    expect(planFinding('SCAN TABLE items AS i')).toEqual({ kind: 'scan', name: 'i' });
    expect(planFinding('SCAN items USING COVERING INDEX idx')).toBeUndefined();
    expect(planFinding('SCAN CONSTANT ROW')).toBeUndefined();
    expect(planFinding('SEARCH items USING INTEGER PRIMARY KEY (rowid=?)')).toBeUndefined();
    expect(planFinding('USE TEMP B-TREE FOR ORDER BY')).toEqual({ kind: 'sort', for: 'ORDER BY' });
    const shape = statementColumns(
      'UPDATE items SET kind = ? WHERE owner = ? AND created BETWEEN ? AND ?',
    );
    expect(indexColumns(shape, 'items', ['id', 'owner', 'kind', 'created'])).toEqual({
      table: 'items',
      columns: ['owner', 'created'],
    });
  });
});
