// Takes part in compare-and-set races: for each "try <version> <tag>" line on stdin, tries
// set('race', tag, { version }) and prints "won <tag>" or "lost <code>". "quit" shuts down.
// Usage: node racer.mjs <projectRoot>
import { createInterface } from 'node:readline';
import { SharedMemoryStore } from '@hivedb/store';

const [projectRoot] = process.argv.slice(2);
const store = await SharedMemoryStore.open({ projectRoot });
process.stdout.write('ready\n');
for await (const line of createInterface({ input: process.stdin })) {
  const [cmd, version, tag] = line.split(' ');
  if (cmd === 'quit') break;
  try {
    await store.set('race', tag, { version: Number(version), namespace: 'races' });
    process.stdout.write(`won ${tag}\n`);
  } catch (err) {
    process.stdout.write(`lost ${err.code}\n`);
  }
}
await store.shutdown();
process.exit(0);
