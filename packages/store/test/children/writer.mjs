// Writes or deletes one entry from another process through the built store, then shuts down.
// Usage: node writer.mjs <projectRoot> set|delete <key> [<json value>] [<namespace>]
import { SharedMemoryStore } from '@hivedb/store';

const [projectRoot, op, key, json, namespace] = process.argv.slice(2);
const store = await SharedMemoryStore.open({ projectRoot });
const opts = namespace ? { namespace } : {};
if (op === 'set') {
  const r = await store.set(key, JSON.parse(json), opts);
  process.stdout.write(`done ${r.version}\n`);
} else {
  const existed = await store.delete(key, opts);
  process.stdout.write(`done ${existed}\n`);
}
await store.shutdown();
