// A child of the multi-process run: writes through `SharedMemoryStore.set` (twin `hivedb`) or
// through the store's own upsert on a bare better-sqlite3 connection (twin `bare`, autocommit,
// the store writer's pragmas, busy_timeout included) to the shared memory.db, one awaited write
// after another, for `durationMs` from the common start. Reports its writes, errors, latency
// histogram and CPU time.
import { SharedMemoryStore } from '@hivedb/store';
import { makeValues, openBare } from '../data.mjs';
import { entryValue, UPSERT_SQL, upsertParams } from '../store-sql.mjs';
import { awaitGo, childMain, send } from './fork.mjs';
import { histogram, record, sparse } from './latency.mjs';

const KEYS_PER_CHILD = 1000;
const NOTES = makeValues(1024, 13);

async function openWriter(cfg) {
  if (cfg.twin === 'hivedb') {
    const store = await SharedMemoryStore.open({ projectRoot: cfg.projectRoot });
    return {
      write: (key, value) => store.set(key, value, { namespace: cfg.namespace }),
      close: () => store.shutdown(),
    };
  }
  const db = openBare(cfg.file, cfg.pragmas);
  const upsert = db.prepare(UPSERT_SQL);
  return {
    write: async (key, value) => {
      upsert.get(...upsertParams(cfg.namespace, key, JSON.stringify(value), Date.now()));
    },
    close: () => db.close(),
  };
}

await childMain(async (cfg) => {
  const writer = await openWriter(cfg);
  const keys = Array.from({ length: KEYS_PER_CHILD }, (_, i) => `w${cfg.index}:${i}`);
  await send({ type: 'ready' });
  await awaitGo();
  const h = histogram();
  const errors = {};
  let ops = 0;
  let failed = 0;
  const cpu0 = process.cpuUsage();
  const started = performance.now();
  const end = started + cfg.durationMs;
  let now = started;
  let last = null;
  while (now < end) {
    const i = ops + failed;
    try {
      const value = entryValue(i, cfg.index, NOTES);
      await writer.write(keys[i % KEYS_PER_CHILD], value);
      last = { key: keys[i % KEYS_PER_CHILD], json: JSON.stringify(value) };
      ops++;
    } catch (err) {
      failed++;
      const code = err?.code ?? err?.name ?? 'unknown';
      errors[code] = (errors[code] ?? 0) + 1;
    }
    const t = performance.now();
    record(h, (t - now) * 1000);
    now = t;
  }
  const cpu = process.cpuUsage(cpu0);
  await send({
    type: 'result',
    ops,
    failed,
    errors,
    elapsedMs: now - started,
    cpuUs: cpu.user + cpu.system,
    histogram: sparse(h),
    last,
  });
  await writer.close();
});
