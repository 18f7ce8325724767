// A child of the memory run (started with --expose-gc): one process doing a mixed workload —
// get, set, delete, increment, list — through the store (twin `hivedb`) or through the store's
// statements on bare better-sqlite3 (twin `bare`), and reporting its RSS and heap after a full
// garbage collection at each checkpoint (e.g. after 100k and after 1M operations).
import { SharedMemoryStore } from '@hivedb/store';
import { makeValues, openBare, prng } from '../data.mjs';
import {
  COUNTER_SQL,
  DELETE_SQL,
  entryValue,
  listSql,
  READ_SQL,
  UPSERT_SQL,
  upperOf,
  upsertParams,
} from '../store-sql.mjs';
import { awaitGo, childMain, send } from './fork.mjs';

/** 10,000 keys `m:00000` … (100 prefixes `m:0PP` of 100 keys each) and 100 counters. */
const KEYS = Array.from({ length: 10_000 }, (_, i) => `m:${String(i).padStart(5, '0')}`);
const COUNTERS = Array.from({ length: 100 }, (_, i) => `c:${i}`);
const PREFIXES = Array.from({ length: 100 }, (_, p) => KEYS[p * 100].slice(0, -2));
const LIST_LIMIT = 20;
const NOTES = makeValues(1024, 17);

async function openTwin(cfg) {
  const namespace = cfg.namespace;
  if (cfg.twin === 'hivedb') {
    const store = await SharedMemoryStore.open({ projectRoot: cfg.projectRoot });
    return {
      get: (key) => store.get(key, { namespace }),
      set: (key, value) => store.set(key, value, { namespace }),
      delete: (key) => store.delete(key, { namespace }),
      increment: (key) => store.increment(key, 1, { namespace }),
      list: async (prefix) =>
        (await store.list({ namespace, prefix, limit: LIST_LIMIT })).entries.length,
      settle: () => store.flush(),
      close: () => store.shutdown(),
    };
  }
  const db = openBare(cfg.file, cfg.pragmas);
  const read = db.prepare(READ_SQL);
  const upsert = db.prepare(UPSERT_SQL);
  const del = db.prepare(DELETE_SQL);
  const counter = db.prepare(COUNTER_SQL);
  const list = db.prepare(listSql(LIST_LIMIT));
  return {
    get: async (key) => {
      const row = read.get(namespace, key);
      return row === undefined ? null : JSON.parse(row.value);
    },
    set: async (key, value) =>
      upsert.get(...upsertParams(namespace, key, JSON.stringify(value), Date.now())),
    delete: async (key) => del.get(namespace, key) !== undefined,
    increment: async (key) => {
      const now = Date.now();
      return Number(counter.get(namespace, key, 1, now, now).value);
    },
    list: async (prefix) =>
      list
        .all(namespace, prefix, upperOf(prefix), Date.now())
        .map((r) => ({ key: r.key, value: JSON.parse(r.value) })).length,
    settle: async () => {},
    close: () => db.close(),
  };
}

/** RSS and heap after two full collections (the second catches what the first freed). */
function memory() {
  globalThis.gc();
  globalThis.gc();
  const m = process.memoryUsage();
  return { rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external };
}

await childMain(async (cfg) => {
  if (typeof globalThis.gc !== 'function') throw new Error('run the memory child with --expose-gc');
  const twin = await openTwin(cfg);
  await send({ type: 'ready' });
  await awaitGo();
  const rnd = prng(23);
  // Cumulative shares of the mix (cfg.mix: { get, set, delete, increment, list }).
  const m = cfg.mix;
  const upTo = [m.get, m.get + m.set, m.get + m.set + m.delete, 1 - m.list];
  const points = [{ ops: 0, elapsedMs: 0, ...memory() }];
  const counts = { get: 0, set: 0, delete: 0, increment: 0, list: 0 };
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  let measuredMs = 0;
  let done = 0;
  for (const target of cfg.checkpoints) {
    const started = performance.now();
    for (; done < target; done++) {
      const r = rnd();
      const k = Math.floor(rnd() * KEYS.length);
      if (r < upTo[0]) {
        const v = await twin.get(KEYS[k]);
        if (v !== null && v.id !== k) throw new Error(`${cfg.twin}: read ${v.id} for ${k}`);
        counts.get++;
      } else if (r < upTo[1]) {
        await twin.set(KEYS[k], entryValue(k, done, NOTES));
        counts.set++;
      } else if (r < upTo[2]) {
        await twin.delete(KEYS[k]);
        counts.delete++;
      } else if (r < upTo[3]) {
        await twin.increment(COUNTERS[k % COUNTERS.length]);
        counts.increment++;
      } else {
        await twin.list(PREFIXES[k % PREFIXES.length]);
        counts.list++;
      }
    }
    measuredMs += performance.now() - started;
    await twin.settle();
    points.push({ ops: done, elapsedMs: measuredMs, ...memory() });
  }
  const cpu = process.cpuUsage(cpu0);
  await send({
    type: 'result',
    points,
    counts,
    wallMs: performance.now() - t0,
    cpuUs: cpu.user + cpu.system,
  });
  await twin.close();
});
