// Runs a function inside a write transaction, prints `in-transaction`, and waits to be killed.
// Usage: node kill-during.js <dbPath> <function source> <args json> <pool options json>
import { basename, dirname } from 'node:path';
import { createPool, type Transaction } from '@hivedb/pool';

const [dbPath, source, argsJson, optionsJson] = process.argv.slice(2) as [
  string,
  string,
  string,
  string,
];
const fn = new Function(`return (${source});`)() as (tx: Transaction, args: unknown) => unknown;
const pool = createPool({
  healthCheckInterval: 0,
  ...JSON.parse(optionsJson),
  filename: basename(dbPath),
  root: dirname(dbPath),
  transactionTimeout: 0,
});
await pool.transaction(
  async (tx) => {
    await fn(tx, JSON.parse(argsJson));
    process.stdout.write('in-transaction\n');
    await new Promise(() => {
      setInterval(() => {}, 1 << 30);
    });
  },
  { timeoutMs: 0 },
);
