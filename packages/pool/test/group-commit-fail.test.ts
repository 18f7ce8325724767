import { describe, expect, it } from 'vitest';
import { useSandbox } from './helpers/index.js';

const sb = useSandbox();

describe('group commit: a failing statement whose partial work SQLite keeps', () => {
  it('INSERT OR FAIL that fails on its third row leaves none of its rows, and the others commit', async () => {
    const s = sb();
    const pool = s.pool({ filename: 'fail.db' });
    await pool.run('CREATE TABLE t (id INTEGER PRIMARY KEY)');
    await pool.run('INSERT INTO t VALUES (1)');
    const results = await Promise.allSettled([
      pool.run('INSERT INTO t VALUES (2)'),
      // ON CONFLICT FAIL keeps rows 10 and 11 when row 1 conflicts: only a savepoint undoes them.
      pool.run('INSERT OR FAIL INTO t VALUES (10), (11), (1)'),
      pool.run('INSERT INTO t VALUES (3)'),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(await pool.all('SELECT id FROM t ORDER BY id')).toEqual([
      { id: 1 },
      { id: 2 },
      { id: 3 },
    ]);
    expect(pool.stats().counters.groupCommits).toBeGreaterThanOrEqual(1);
  });
});
