// Runs the built pool, imported by its package name as a consumer would, and writes forever in
// groups of concurrent `pool.run` inserts, printing each id only after its promise resolved.
// Usage: node pool-writer.mjs <root> <filename> <first id>
import { createPool } from '@hivedb/pool';

const [root, filename, first] = process.argv.slice(2);
const pool = createPool({ root, filename });
await pool.run('CREATE TABLE IF NOT EXISTS items (id INTEGER PRIMARY KEY, body TEXT NOT NULL)');
process.stdout.write('ready\n');

let next = Number(first ?? 1);
for (;;) {
  const group = [];
  for (let i = 0; i < 16; i++) {
    const id = next++;
    group.push(
      pool.run('INSERT INTO items (id, body) VALUES (?, ?)', [id, `row ${id}`]).then(() => {
        process.stdout.write(`${id}\n`);
      }),
    );
  }
  await Promise.all(group);
  // Yield to the event loop so that SIGKILL can land between groups and within them.
  await new Promise((resolve) => setImmediate(resolve));
}
