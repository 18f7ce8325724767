// Uses the built pool (imported by its package name) briefly, then does nothing: the process
// must exit by itself. With `close`, it closes the pool first; with `leave-open` it does not, and
// still must exit, since every timer the pool starts is unref()ed or cleared.
// Usage: node pool-lifecycle.mjs <root> <filename> <close|leave-open>
import { createPool } from '@hivedb/pool';

const [root, filename, mode] = process.argv.slice(2);
const pool = createPool({ root, filename, queryCache: true, healthCheckInterval: 1000 });
await pool.run('CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, v TEXT)');
await Promise.all([
  pool.run("INSERT INTO t (v) VALUES ('a')"),
  pool.run("INSERT INTO t (v) VALUES ('b')"),
]);
await pool.transaction((tx) => tx.run("INSERT INTO t (v) VALUES ('c')"), { timeoutMs: 60_000 });
const handle = await pool.begin({ timeoutMs: 60_000 });
await handle.commit();
const row = await pool.get('SELECT count(*) AS n FROM t');
await pool.read((tx) => tx.all('SELECT * FROM t'));
const lease = await pool.acquire({ timeoutMs: 60_000 });
lease.release();
await pool.checkHealth();
if (mode === 'close') await pool.close();
process.stdout.write(`done ${row.n}\n`);
