// Uses the built pool's offload workers (imported by its package name), then does nothing: the
// process must exit by itself. With `close`, it closes the pool first; with `leave-open` it does
// not, and must still exit: an idle worker does not hold the process open.
// Usage: node offload-lifecycle.mjs <root> <filename> <close|leave-open>
import { createPool } from '@hivedb/pool';

const [root, filename, mode] = process.argv.slice(2);
const pool = createPool({ root, filename });
await pool.run('CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, v TEXT)');
await pool.run("INSERT INTO t (v) VALUES ('a')");
const rows = await Promise.all(
  [1, 2, 3, 4].map(() => pool.all('SELECT * FROM t', [], { offload: true })),
);
const workers = pool.stats().offload.workers;
if (mode === 'close') await pool.close();
process.stdout.write(
  `${JSON.stringify({ rows: rows.map((r) => r.length), workers, after: pool.stats().offload.workers })}\n`,
);
