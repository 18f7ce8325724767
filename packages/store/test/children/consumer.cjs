// Requires the built package by its name, as a CommonJS consumer would, and uses it.
// Usage: node consumer.cjs <projectRoot>
const { SharedMemoryStore } = require('@hivedb/store');

const [projectRoot] = process.argv.slice(2);
(async () => {
  const store = new SharedMemoryStore({ projectRoot });
  const before = await store.get('x').catch((e) => e.code);
  await store.init();
  await store.increment('n', 2);
  const n = await store.get('n');
  await store.shutdown();
  process.stdout.write(`${JSON.stringify({ before, n })}\n`);
})();
