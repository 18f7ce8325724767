// The main job (until the `hivedb` CLI exists): a swarm of async agents shares one memory through
// @hivedb/store, which opens memory.db and hive.db under ./.hive-mind through @hivedb/pool and
// brings both to the current schema with @hivedb/schema. Each agent writes its results into its
// own namespace, reads a peer's, bumps a shared counter (increment) and a shared tally
// (compare-and-set through atomic()). At the end the job checks that no update was lost and that
// both files pass integrity_check, and prints what it did.
import path from 'node:path';
import { DatabaseConnectionManager } from '@hivedb/pool';
import { SharedMemoryStore } from '@hivedb/store';

const args = process.argv.slice(2);
const flag = (name, fallback) => {
  const at = args.indexOf(`--${name}`);
  return at >= 0 && args[at + 1] !== undefined ? args[at + 1] : fallback;
};
const projectRoot = path.resolve(flag('project', '.'));
const agents = Number(flag('agents', 32));
const rounds = Number(flag('rounds', 50));
const say = (line) => process.stdout.write(`${line}\n`);

const opened = performance.now();
const store = await SharedMemoryStore.open({ projectRoot, maxConnections: 10, enableWAL: true });
const root = path.join(projectRoot, '.hive-mind');
say(
  `opened the store on ${root} (memory.db, hive.db; migrated) in ${(performance.now() - opened).toFixed(0)} ms`,
);

const runId = `run-${Date.now()}`;
const counterKey = `${runId}:counter`;
const tallyKey = `${runId}:tally`;
await store.set(tallyKey, { rounds: 0, byAgent: {} }, { namespace: 'shared_state' });

let ops = 0;
let conflicts = 0;
const latencies = [];
const timed = async (fn) => {
  const t0 = performance.now();
  const out = await fn();
  latencies.push(performance.now() - t0);
  ops++;
  return out;
};

async function agent(id) {
  const agentId = `agent-${id}`;
  for (let r = 0; r < rounds; r++) {
    const key = `${runId}:result-${r}`;
    await timed(() =>
      store.set(
        key,
        { agent: id, round: r, score: Math.round(Math.random() * 1000) },
        { namespace: agentId, agentId },
      ),
    );
    const peer = `agent-${(id + 1 + r) % agents}`;
    await timed(() => store.get(key, { namespace: peer, agentId }));
    await timed(() => store.increment(counterKey, 1, { namespace: 'shared_state', agentId }));
    if (r % 10 === 0) {
      await timed(() =>
        store.atomic(
          tallyKey,
          (tally, info) => {
            if (info.attempt > 1) conflicts++;
            return {
              rounds: tally.rounds + 1,
              byAgent: { ...tally.byAgent, [agentId]: (tally.byAgent[agentId] ?? 0) + 1 },
            };
          },
          { namespace: 'shared_state', agentId },
        ),
      );
    }
  }
}

const started = performance.now();
await Promise.all(Array.from({ length: agents }, (_, i) => agent(i)));
const elapsed = (performance.now() - started) / 1000;

const counter = await store.get(counterKey, { namespace: 'shared_state' });
const tally = await store.get(tallyKey, { namespace: 'shared_state' });
const expectedCounter = agents * rounds;
const expectedTally = agents * Math.ceil(rounds / 10);
const lost = expectedCounter - counter + (expectedTally - tally.rounds);
const stats = await store.getStats();
latencies.sort((a, b) => a - b);
const p99 = latencies[Math.floor(latencies.length * 0.99)] ?? 0;
await store.shutdown();

// Integrity, read back through a fresh pool on each file, after the store closed.
const manager = new DatabaseConnectionManager({ root });
const integrity = [];
for (const name of ['memory', 'hive']) {
  const pool = manager.createPool(name);
  const rows = await pool.all('PRAGMA integrity_check');
  integrity.push(`${name}.db ${rows.map((r) => r.integrity_check).join(', ')}`);
}
await manager.shutdown();

say(
  `agents: ${agents} async agents x ${rounds} rounds (set own result, get a peer's, increment a shared counter; every 10th round a compare-and-set on a shared tally)`,
);
say(
  `operations: ${ops} in ${elapsed.toFixed(2)} s = ${Math.round(ops / elapsed)} ops/s, p99 ${p99.toFixed(2)} ms, atomic retries after conflicts: ${conflicts}`,
);
say(
  `shared counter: ${counter} of ${expectedCounter}; tally: ${tally.rounds} of ${expectedTally}; lost updates: ${lost}`,
);
say(
  `store: ${stats.totalEntries} entries in ${Object.keys(stats.namespaces).length} namespaces, ${stats.reads} reads, ${stats.writes} writes, cache hit rate ${stats.cacheHitRate}`,
);
say(`integrity_check: ${integrity.join('; ')}`);
say('closed the store; a second run reuses the files and adds to them');
if (lost !== 0 || integrity.some((line) => !line.endsWith(' ok'))) {
  say('FAILED: lost updates or integrity problems');
  process.exit(1);
}
