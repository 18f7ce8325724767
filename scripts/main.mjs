// The main job (until the `hivedb` CLI exists): opens memory.db and hive.db under ./.hive-mind
// through @hivedb/pool, brings both to the current schema with @hivedb/schema, then lets a swarm
// of async agents share memory.db for a moment — each writes its results, reads the others',
// bumps one shared counter in a transaction, and logs its accesses to hive.db — and checks that
// no update was lost and that both files pass integrity_check. It prints what it did.
import path from 'node:path';
import { DatabaseConnectionManager } from '@hivedb/pool';
import { DatabaseSchemaManager } from '@hivedb/schema';

const args = process.argv.slice(2);
const flag = (name, fallback) => {
  const at = args.indexOf(`--${name}`);
  return at >= 0 && args[at + 1] !== undefined ? args[at + 1] : fallback;
};
const root = path.resolve(flag('root', '.hive-mind'));
const agents = Number(flag('agents', 32));
const rounds = Number(flag('rounds', 50));
const say = (line) => process.stdout.write(`${line}\n`);

const manager = new DatabaseConnectionManager({ root, maxConnections: 10, enableWAL: true });
const memory = manager.createPool('memory');
const hive = manager.createPool('hive');
say(
  `opened ${memory.filename} and ${hive.filename} (WAL, ${memory.stats().total} + ${hive.stats().total} connections)`,
);

const schema = new DatabaseSchemaManager(manager, { backup: false });
const init = await schema.initializeSchemas();
for (const [name, r] of Object.entries(init)) {
  const what =
    r.applied.length > 0 ? `applied ${r.applied.join(', ')}` : 'already at the latest migration';
  say(
    `schema of ${name}.db: ${what}${r.adopted ? ' (adopted the original layout)' : ''} in ${r.durationMs.toFixed(1)} ms`,
  );
}

const started = performance.now();
const runId = `run-${Date.now()}`;
const counterKey = `${runId}:counter`;
const now = () => Date.now();
await memory.run(
  `INSERT INTO shared_memory (key, namespace, data_type, value, created_at, updated_at)
   VALUES (?, 'shared_state', 'persistent', '0', ?, ?)`,
  [counterKey, now(), now()],
);

let ops = 0;
const latencies = [];
const timed = async (fn) => {
  const t0 = performance.now();
  const out = await fn();
  latencies.push(performance.now() - t0);
  ops++;
  return out;
};

async function agent(id) {
  const ns = `agent-${id}`;
  const log = [];
  for (let r = 0; r < rounds; r++) {
    const key = `${runId}:result-${r}`;
    const value = JSON.stringify({ agent: id, round: r, score: Math.round(Math.random() * 1000) });
    await timed(() =>
      memory.run(
        `INSERT INTO shared_memory (key, namespace, data_type, value, size_bytes, created_at, updated_at)
         VALUES (?, ?, 'persistent', ?, ?, ?, ?)
         ON CONFLICT (namespace, key) DO UPDATE SET value = excluded.value, version = version + 1, updated_at = excluded.updated_at`,
        [key, ns, value, Buffer.byteLength(value), now(), now()],
      ),
    );
    log.push([id, key, 'write']);
    const peer = `agent-${(id + 1 + r) % agents}`;
    await timed(() =>
      memory.get('SELECT value FROM shared_memory WHERE namespace = ? AND key = ?', [peer, key]),
    );
    log.push([id, key, 'read']);
    await timed(() =>
      memory.transaction((tx) => {
        const { value: v } = tx.get(
          "SELECT value FROM shared_memory WHERE namespace = 'shared_state' AND key = ?",
          [counterKey],
        );
        tx.run(
          "UPDATE shared_memory SET value = ?, version = version + 1, updated_at = ? WHERE namespace = 'shared_state' AND key = ?",
          [String(Number(v) + 1), now(), counterKey],
        );
      }),
    );
  }
  await hive.transaction((tx) => {
    let t = now() * 1000;
    for (const [agentId, key, type] of log) {
      tx.run(
        'INSERT INTO agent_memory (agent_id, memory_key, access_type, timestamp) VALUES (?, ?, ?, ?)',
        [String(agentId), key, type, t++],
      );
    }
  });
}

await Promise.all(Array.from({ length: agents }, (_, i) => agent(i)));
const elapsed = (performance.now() - started) / 1000;

const { value: counter } = await memory.get(
  "SELECT value FROM shared_memory WHERE namespace = 'shared_state' AND key = ?",
  [counterKey],
);
const expected = agents * rounds;
const lost = expected - Number(counter);
const logged = await hive.get('SELECT count(*) AS n FROM agent_memory WHERE memory_key LIKE ?', [
  `${runId}:%`,
]);
const integrity = [];
for (const pool of [memory, hive]) {
  const rows = await pool.all('PRAGMA integrity_check');
  integrity.push(
    `${path.basename(pool.filename)} ${rows.map((r) => r.integrity_check).join(', ')}`,
  );
}
latencies.sort((a, b) => a - b);
const p99 = latencies[Math.floor(latencies.length * 0.99)] ?? 0;
const s = memory.stats().counters;

say(
  `agents: ${agents} async agents x ${rounds} rounds (write own result, read a peer's, increment the shared counter)`,
);
say(
  `operations: ${ops} in ${elapsed.toFixed(2)} s = ${Math.round(ops / elapsed)} ops/s, p99 ${p99.toFixed(2)} ms`,
);
say(
  `group commits: ${s.groupCommits} (${s.groupedWrites} writes), transactions committed: ${s.transactions.committed}, read snapshots: ${s.snapshots}, retries: ${s.retries}`,
);
say(`shared counter: ${counter} of ${expected} expected, lost updates: ${lost}`);
say(`access log rows written to hive.db: ${logged.n}`);
say(`integrity_check: ${integrity.join('; ')}`);
await manager.shutdown();
say('closed both pools');
if (lost !== 0 || integrity.some((line) => !line.endsWith(' ok'))) {
  say('FAILED: lost updates or integrity problems');
  process.exit(1);
}
