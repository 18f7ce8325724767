// Takes the lock of 'fenced' with a short lease, writes with its token, prints "holding <token> <expiresAt>"
// and then waits forever (the test kills it with SIGKILL).
// Usage: node holder.mjs <projectRoot> <agentId> <ttlMs>
import { SharedMemoryStore } from '@hivedb/store';

const [projectRoot, agent, ttl] = process.argv.slice(2);
const store = await SharedMemoryStore.open({ projectRoot });
const { token, expiresAt } = await store.acquireLock('fenced', agent, { ttl: Number(ttl) });
await store.set('fenced', `written by ${agent}`, { fencingToken: token });
process.stdout.write(`holding ${token} ${expiresAt}\n`);
setInterval(() => {}, 1000);
