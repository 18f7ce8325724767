// Closes a pool (the built package, imported by name) while a lease is never released and a
// caller waits for a connection, then prints what happened as one JSON line. Run in a child
// process because a close() that never yields to the event loop would otherwise take the test
// runner down with it.
// Usage: node pool-close-bound.mjs <root> <filename>
import { createPool } from '@hivedb/pool';

const [root, filename] = process.argv.slice(2);
const pool = createPool({ root, filename, maxConnections: 2 });
const lease = await pool.acquire();
const waiter = pool.acquire({ timeoutMs: 10_000 }).then(
  (l) => {
    l.release();
    return 'acquired';
  },
  (err) => err.code,
);
const started = performance.now();
await pool.close({ timeoutMs: 150 });
const ms = Math.round(performance.now() - started);
lease.release();
const stats = pool.stats();
process.stdout.write(
  `${JSON.stringify({ ms, waiter: await waiter, total: stats.total, closed: stats.closed })}\n`,
);
