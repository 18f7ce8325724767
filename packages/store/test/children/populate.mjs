// Fills a store with <count> varied entries (namespaces, data types, metadata, TTLs, versions > 1,
// unicode), then shuts down. Usage: node populate.mjs <projectRoot> <count>
import { SharedMemoryStore } from '@hivedb/store';

const [projectRoot, countText] = process.argv.slice(2);
const count = Number(countText);
const store = await SharedMemoryStore.open({ projectRoot, gcInterval: 0 });
const namespaces = ['default', 'task_results', 'agent_state', 'ünïcode ns'];
const types = ['persistent', 'versioned', 'shared', 'cached', 'locked'];
for (let start = 0; start < count; start += 1000) {
  const batch = [];
  for (let i = start; i < Math.min(count, start + 1000); i++) {
    const options = { namespace: namespaces[i % 4], dataType: types[i % 5] };
    if (i % 7 === 0) options.metadata = { tag: `t${i}`, nested: { i } };
    if (i % 11 === 0) options.ttl = 3_600_000;
    const value =
      i % 3 === 0
        ? { i, text: `entry ${i} — “quoted” \u2028 \n\t 🐝`, list: [i, i * 0.5, null, true] }
        : i % 3 === 1
          ? `string ${i}`
          : i * 1.25;
    batch.push({ key: `key-${String(i).padStart(6, '0')}`, value, options });
  }
  await store.setBulk(batch);
}
// Some entries at versions above 1.
for (let i = 0; i < count; i += 997) {
  const key = `key-${String(i).padStart(6, '0')}`;
  const namespace = namespaces[i % 4];
  if (types[i % 5] === 'locked') continue;
  await store.set(key, { rewritten: i }, { namespace, dataType: types[i % 5] });
}
await store.shutdown();
process.stdout.write('done\n');
