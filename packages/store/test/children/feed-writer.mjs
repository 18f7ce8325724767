// Commits a mix of changes on "go": sets (some with a 1 ms TTL), increments, deletes, a batch,
// then sweeps what expired. Prints "done <ops>".
// Usage: node feed-writer.mjs <projectRoot> <agentId> <rounds>
import { createInterface } from 'node:readline';
import { SharedMemoryStore } from '@hivedb/store';

const [projectRoot, agent, rounds] = process.argv.slice(2);
const store = await SharedMemoryStore.open({ projectRoot, gcInterval: 0 });
process.stdout.write('ready\n');
const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
await lines.next();
let ops = 0;
for (let i = 0; i < Number(rounds); i++) {
  const key = `${agent}:${i % 7}`;
  await store.set(
    key,
    { agent, i },
    i % 5 === 4 ? { ttl: 1 } : { namespace: i % 2 ? 'odd' : 'even' },
  );
  await store.increment(`${agent}:count`);
  if (i % 3 === 0) await store.delete(key, { namespace: i % 2 ? 'odd' : 'even' });
  if (i % 10 === 0) await store.batch().set(`${agent}:b`, i).delete(`${agent}:b2`).commit();
  ops++;
}
await new Promise((r) => setTimeout(r, 5));
await store.sweepExpired();
process.stdout.write(`done ${ops}\n`);
await store.shutdown();
process.exit(0);
