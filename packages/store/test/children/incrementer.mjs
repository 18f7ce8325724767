// Increments counters c0..c<counters-1> round-robin, <n> times in all, <inFlight> calls at a time,
// once the parent says "go" (so that every process contends at once).
// Usage: node incrementer.mjs <projectRoot> <counters> <n> <inFlight>
import { createInterface } from 'node:readline';
import { SharedMemoryStore } from '@hivedb/store';

const [projectRoot, counters, n, inFlight] = process.argv
  .slice(2)
  .map((v, i) => (i === 0 ? v : Number(v)));
const store = await SharedMemoryStore.open({ projectRoot });
process.stdout.write('ready\n');
await new Promise((resolve) => createInterface({ input: process.stdin }).once('line', resolve));
let next = 0;
const worker = async () => {
  while (next < n) {
    const i = next++;
    await store.increment(`c${i % counters}`, 1, { namespace: 'counters' });
  }
};
await Promise.all(Array.from({ length: inFlight }, worker));
await store.shutdown();
process.stdout.write('done\n');
process.exit(0);
