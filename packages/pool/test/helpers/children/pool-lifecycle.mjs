// Uses the built pool (imported by its package name) briefly, closes it, and then does nothing:
// the process must exit by itself.
// Usage: node pool-lifecycle.mjs <root> <filename>
import { createPool } from '@hivedb/pool';

const [root, filename] = process.argv.slice(2);
const pool = createPool({ root, filename, queryCache: true });
await pool.run('CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, v TEXT)');
await Promise.all([
  pool.run("INSERT INTO t (v) VALUES ('a')"),
  pool.run("INSERT INTO t (v) VALUES ('b')"),
]);
await pool.transaction((tx) => tx.run("INSERT INTO t (v) VALUES ('c')"));
const row = await pool.get('SELECT count(*) AS n FROM t');
await pool.read((tx) => tx.all('SELECT * FROM t'));
const lease = await pool.acquire();
lease.release();
await pool.checkHealth();
await pool.close();
process.stdout.write(`done ${row.n}\n`);
