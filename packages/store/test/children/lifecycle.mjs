// Opens the built store, writes one entry, then shuts down or leaves the store open: either way
// the process must exit on its own (every timer of the store is unref'd), with a subscription
// and a lock held.
// Usage: node lifecycle.mjs <projectRoot> shutdown|leave-open
import { SharedMemoryStore } from '@hivedb/store';

const [projectRoot, mode] = process.argv.slice(2);
const store = await SharedMemoryStore.open({
  projectRoot,
  gcInterval: 10,
  flushInterval: 10,
  changeFeed: { pollIntervalMs: 10, pruneIntervalMs: 10 },
});
// The change feed's poller and pruner, and a held lock, keep no process alive either.
store.subscribe('*', () => {});
await store.acquireLock('written', 'lifecycle');
await store.set('written', { by: process.pid });
await store.get('written');
if (mode === 'shutdown') await store.shutdown();
process.stdout.write('written\n');
