// Uses the built pool (imported by its package name) with a `query:batch` listener, then does
// nothing: the process must exit by itself (the batch timer is unref()ed, the clock thread too).
// With `close`, it closes the pool first, which must deliver the last batch. Prints one JSON line:
// the statements it made, the statements counted by the batches it received, the batches, those
// received while close() ran, and the ref()ed handles left at the end (stdio aside).
// Usage: node query-batch-lifecycle.mjs <root> <filename> <close|leave-open>
import { createPool } from '@hivedb/pool';

const [root, filename, mode] = process.argv.slice(2);
const pool = createPool({ root, filename });
let counted = 0;
let batches = 0;
let atClose = 0;
let closing = false;
pool.events.on('query:batch', (batch) => {
  batches++;
  if (closing) atClose++;
  for (const s of batch.statements) counted += s.count;
});
let made = 0;
await pool.run('CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, v TEXT)');
made++;
for (let i = 0; i < 50; i++) {
  await pool.run('INSERT INTO t (v) VALUES (?)', [`v${i}`]);
  made++;
}
// The clock thread has started (first statement) and ticks: it is running when the work ends.
await new Promise((r) => setTimeout(r, 100));
for (let i = 0; i < 200; i++) {
  await pool.get('SELECT v FROM t WHERE id = ?', [(i % 50) + 1]);
  made++;
}
if (mode === 'close') {
  closing = true;
  await pool.close();
  closing = false;
}
await new Promise((r) => setImmediate(r));
// The handles that hold the event loop, but for stdio (a pipe or a terminal).
const handles = process.getActiveResourcesInfo().filter((h) => h !== 'PipeWrap' && h !== 'TTYWrap');
process.stdout.write(`${JSON.stringify({ made, counted, batches, atClose, handles })}\n`);
