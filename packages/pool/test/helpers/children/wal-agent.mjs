// One process of the WAL tests: opens the built pool, imported by its package name as a consumer
// would, and works until it is killed. It prints one JSON line per `wal` event (which says whether
// this process is the elected checkpointer) and per `checkpoint` event.
// Usage: node wal-agent.mjs <root> <filename> <mode> <options JSON>
//   mode idle:   only listens.
//   mode write:  inserts 2 KiB rows, two at a time with a 1 ms pause between (a few MB/s), forever.
//   mode read:   point reads in a loop; each read snapshot lasts one burst of 20.
//   mode exit:   writes 200 rows and never closes its pool (the process must exit by itself).
import { createPool } from '@hivedb/pool';

const [root, filename, mode, json] = process.argv.slice(2);
const pool = createPool({ root, filename, ...JSON.parse(json ?? '{}') });
pool.events.on('wal', (e) => process.stdout.write(`${JSON.stringify({ ev: 'wal', ...e })}\n`));
pool.events.on('checkpoint', (e) =>
  process.stdout.write(`${JSON.stringify({ ev: 'checkpoint', ...e })}\n`),
);
pool.events.on('error', (e) =>
  process.stdout.write(
    `${JSON.stringify({ ev: 'error', where: e.where, message: String(e.error) })}\n`,
  ),
);
await pool.run('CREATE TABLE IF NOT EXISTS items (id INTEGER PRIMARY KEY, body TEXT NOT NULL)');
process.stdout.write('ready\n');
const body = 'x'.repeat(2048);
if (mode === 'write') {
  for (let i = 0; ; i++) {
    await pool.run('INSERT INTO items (body) VALUES (?)', [body]);
    if (i % 2 === 1) await new Promise((r) => setTimeout(r, 1));
  }
} else if (mode === 'read') {
  for (;;) {
    for (let i = 0; i < 20; i++)
      await pool.get('SELECT count(*) AS n FROM items WHERE id > ?', [i]);
    await new Promise((r) => setImmediate(r));
  }
} else if (mode === 'exit') {
  for (let i = 0; i < 200; i++) await pool.run('INSERT INTO items (body) VALUES (?)', [body]);
  process.stdout.write('wrote\n');
} else {
  setInterval(() => {}, 1 << 30);
}
