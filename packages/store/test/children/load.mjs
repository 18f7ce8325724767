// A steady writer in another process: sets `<prefix>-<n>` = { n, pad } one after another, a
// millisecond apart, and prints "acked <n>" after each set() resolved (i.e. committed). "quit"
// on stdin stops it.
// Usage: node load.mjs <projectRoot> <prefix>
import { SharedMemoryStore } from '@hivedb/store';

const [projectRoot, prefix] = process.argv.slice(2);
const store = await SharedMemoryStore.open({ projectRoot, gcInterval: 0 });
let stop = false;
process.stdin.setEncoding('utf8');
process.stdin.on('data', (d) => {
  if (d.includes('quit')) stop = true;
});
process.stdout.write('ready\n');
const pad = 'x'.repeat(500);
for (let n = 0; !stop; n++) {
  await store.set(`${prefix}-${n}`, { n, pad }, { namespace: 'load' });
  process.stdout.write(`acked ${n}\n`);
  await new Promise((r) => setTimeout(r, 1));
}
await store.shutdown();
process.exit(0);
