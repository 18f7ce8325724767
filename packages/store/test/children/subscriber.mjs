// Subscribes to every change (an async callback) and prints "change <json>" for each; "quit"
// on stdin unsubscribes and shuts down.
// Usage: node subscriber.mjs <projectRoot> <pattern> [<since>]
import { createInterface } from 'node:readline';
import { SharedMemoryStore } from '@hivedb/store';

const [projectRoot, pattern, since] = process.argv.slice(2);
const store = await SharedMemoryStore.open({ projectRoot, changeFeed: { pollIntervalMs: 10 } });
const sub = store.subscribe(
  pattern,
  async (change) => {
    await new Promise((r) => setImmediate(r));
    process.stdout.write(`change ${JSON.stringify(change)}\n`);
  },
  since === undefined ? {} : { since: Number(since) },
);
process.stdout.write('subscribed\n');
for await (const line of createInterface({ input: process.stdin })) if (line === 'quit') break;
sub.unsubscribe();
await store.shutdown();
process.exit(0);
