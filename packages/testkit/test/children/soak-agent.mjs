// One agent of the swarm soak test (../swarm-soak.test.ts), on the built store as a consumer
// would use it. Until SIGTERM it works flat out:
//   - writes its own slots `w:<agent>:<slot>` = { seq }, seq rising across restarts, and prints
//     `ack <key> <seq>` only after the write resolved;
//   - adds one to a shared counter `c:<k>` and to its own tally `t:<agent>:<k>` in one batch
//     (compare-and-set on both), printing `inc <k>` once it committed; so that whatever a
//     SIGKILL interrupts, every counter equals the sum of the tallies exactly;
//   - reads other agents' slots and lists them.
// It prints its pool's `wal` reports (`wal <checkpointer> <bytes>`) so that the test can find the
// process that checkpoints, and `error <code> <message>` for anything unexpected.
// Usage: node soak-agent.mjs <projectRoot> <agent index> <agents> <counters>
import { SharedMemoryStore } from '@hivedb/store';

const [projectRoot, indexArg, agentsArg, countersArg] = process.argv.slice(2);
const index = Number(indexArg);
const agents = Number(agentsArg);
const counters = Number(countersArg);
const SLOTS = 8;
const ns = 'soak';
const out = (line) => process.stdout.write(`${line}\n`);

let stopping = false;
process.on('SIGTERM', () => {
  stopping = true;
});
// HIVEDB_SOAK_CHECKPOINTER=sqlite runs the agents with SQLite's own autocheckpoint instead of the
// elected checkpointer: the test then fails on the WAL bound (how the test was checked).
const walCheckpointer = process.env.HIVEDB_SOAK_CHECKPOINTER ?? 'coordinated';
const store = await SharedMemoryStore.open({
  projectRoot,
  gcInterval: 0,
  pool: { walCheckpointer },
});
store.pools().memory.events.on('wal', (e) => out(`wal ${e.checkpointer} ${e.walBytes}`));

// Continue every slot's sequence above what an earlier life of this agent left.
const seq = [];
for (let s = 0; s < SLOTS; s++) {
  const v = await store.get(`w:${index}:${s}`, { namespace: ns, bypassCache: true });
  seq.push(typeof v?.seq === 'number' ? v.seq : 0);
}
out('ready');

const EXPECTED = new Set(['STORE_VERSION_CONFLICT']);
let n = 0;
while (!stopping) {
  const r = n++ % 10;
  try {
    if (r < 4) {
      const s = n % SLOTS;
      const next = seq[s] + 1;
      await store.set(`w:${index}:${s}`, { seq: next, by: index }, { namespace: ns });
      seq[s] = next;
      out(`ack w:${index}:${s} ${next}`);
    } else if (r < 6) {
      const k = n % counters;
      const ck = `c:${k}`;
      const tk = `t:${index}:${k}`;
      for (let attempt = 0; ; attempt++) {
        const c = await store.get(ck, { namespace: ns, includeMetadata: true, bypassCache: true });
        const t = await store.get(tk, { namespace: ns, includeMetadata: true, bypassCache: true });
        try {
          await store
            .batch()
            .check({ key: ck, namespace: ns, version: c.found ? c.metadata.version : null })
            .check({ key: tk, namespace: ns, version: t.found ? t.metadata.version : null })
            .set(ck, (c.found ? c.value : 0) + 1, { namespace: ns })
            .set(tk, (t.found ? t.value : 0) + 1, { namespace: ns })
            .commit();
          out(`inc ${k}`);
          break;
        } catch (err) {
          if (err?.code !== 'STORE_VERSION_CONFLICT' || attempt > 200) throw err;
        }
      }
    } else if (r < 9) {
      await store.get(`w:${n % agents}:${n % SLOTS}`, { namespace: ns });
    } else {
      await store.list({ namespace: ns, prefix: `w:${n % agents}:`, limit: SLOTS });
    }
  } catch (err) {
    if (!EXPECTED.has(err?.code))
      out(`error ${err?.code ?? err?.name} ${String(err?.message).split('\n')[0]}`);
  }
  // Let signals and the pool's timers in now and then (operations can all settle in microtasks).
  if (n % 64 === 0) await new Promise((resolve) => setImmediate(resolve));
}
await store.shutdown();
out('done');
