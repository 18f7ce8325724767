// Imports the built package by its name, as an ESM consumer would, and uses it end to end.
// Usage: node consumer.mjs <projectRoot>
import * as pkg from '@hivedb/store';

const [projectRoot] = process.argv.slice(2);
const store = await pkg.SharedMemoryStore.open({ projectRoot });
const set = await store.set('greeting', { hello: 'world' }, { namespace: 'agent_context' });
const value = await store.get('greeting', { namespace: 'agent_context' });
await store.shutdown();
const closed = await store.get('greeting').catch((e) => e.code);
process.stdout.write(
  `${JSON.stringify({ exports: Object.keys(pkg).sort(), set, value, closed })}\n`,
);
