// Contends for one lock: on "go", takes lock 'L' <rounds> times. While holding it, creates the
// marker file with O_EXCL ('wx': fails if another holder is inside), appends "<agent> <token>"
// to the shared log, writes with its fencing token, removes the marker, then releases.
// Prints "done <rounds>" or "violation <message>".
// Usage: node locker.mjs <projectRoot> <agentId> <rounds> <marker> <log> <ttlMs>
import fs from 'node:fs';
import { createInterface } from 'node:readline';
import { SharedMemoryStore } from '@hivedb/store';

const [projectRoot, agent, rounds, marker, log, ttl] = process.argv.slice(2);
const store = await SharedMemoryStore.open({
  projectRoot,
  locks: { retryMinMs: 1, retryMaxMs: 8 },
});
process.stdout.write('ready\n');
const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
await lines.next();
try {
  for (let i = 0; i < Number(rounds); i++) {
    const { token } = await store.acquireLock('L', agent, { ttl: Number(ttl), wait: 30_000 });
    const fd = fs.openSync(marker, 'wx');
    fs.appendFileSync(log, `${agent} ${token}\n`);
    await store.set('L', { agent, i }, { fencingToken: token });
    fs.closeSync(fd);
    fs.unlinkSync(marker);
    if (!(await store.releaseLock('L', agent))) throw new Error(`round ${i}: lost the lock`);
  }
  process.stdout.write(`done ${rounds}\n`);
} catch (err) {
  process.stdout.write(`violation ${err.code ?? ''} ${err.message}\n`);
}
await store.shutdown();
process.exit(0);
