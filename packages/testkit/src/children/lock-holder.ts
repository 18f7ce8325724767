// Holds SQLite's write lock on a database: BEGIN IMMEDIATE, prints `ready`, waits, commits.
// Usage: node lock-holder.js <dbPath> <holdMs | forever>
import { basename, dirname } from 'node:path';
import { createPool } from '@hivedb/pool';

const [dbPath, hold] = process.argv.slice(2) as [string, string];
const pool = createPool({
  filename: basename(dbPath),
  root: dirname(dbPath),
  minConnections: 1,
  maxConnections: 2,
  healthCheckInterval: 0,
  transactionTimeout: 0,
});
const tx = await pool.begin();
process.stdout.write('ready\n');
if (hold === 'forever') {
  setInterval(() => {}, 1 << 30);
} else {
  await new Promise((r) => setTimeout(r, Number(hold)));
  await tx.commit();
  process.stdout.write(`committed ${Date.now()}\n`);
  await pool.close();
}
