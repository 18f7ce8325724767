// @hivedb/store against bare better-sqlite3 on the store's own memory.db (issue 6's targets), and
// against @keyv/sqlite (keyv 5.6) as the best-known peer. Every twin works on the same file: the
// store on its namespace, the bare connection on another namespace holding the same 10k entries
// (written by the store, so the rows are alike), keyv on its own `keyv` table in memory.db.
import fs from 'node:fs';
import path from 'node:path';
import KeyvSqlite from '@keyv/sqlite';
import { SharedMemoryStore } from '@hivedb/store';
import Keyv from 'keyv';
import { COMPARED_PRAGMAS, makeValues, openBare, prng, readPragmas } from '../data.mjs';
import {
  checkPragmas,
  INCREMENT_SQL,
  READ_SQL,
  storeWriterPragmas,
  UPSERT_QUIET_SQL,
  UPSERT_SQL,
  assertStoreSql,
} from '../store-sql.mjs';

const ENTRIES = 10_000;
const HIVE_NS = 'bench_store';
const BARE_NS = 'bench_bare';
const COUNTERS = 64;

const GETS_PER_ITERATION = 1000;
const WRITES_PER_ITERATION = 100;
const CONCURRENT = 64;
const CONCURRENT_GROUPS_PER_ITERATION = 4;
const BULK = 1000;
const LISTS_PER_ITERATION = 10;
const LIST_LIMIT = 100;
/** keyv answers through sqlite3's thread pool, some 10× slower a call: fewer calls an iteration. */
const KEYV_OPS_PER_ITERATION = 50;

const ORDER_MASK = (1 << 14) - 1;
const VALUE_MASK = 1023;

/** `key:00000` … `key:09999`: the prefix `key:0PP` holds exactly 100 of them. */
const KEYS = Array.from({ length: ENTRIES }, (_, i) => `key:${String(i).padStart(5, '0')}`);
const COUNTER_KEYS = Array.from({ length: COUNTERS }, (_, i) => `counter:${i}`);
const PREFIXES = Array.from({ length: ENTRIES / LIST_LIMIT }, (_, p) =>
  KEYS[p * LIST_LIMIT].slice(0, -2),
);

/** The same random read order for every twin. */
const ORDER = (() => {
  const rnd = prng(7);
  const out = new Int32Array(ORDER_MASK + 1);
  for (let i = 0; i < out.length; i++) out[i] = Math.floor(rnd() * ENTRIES);
  return out;
})();

/** The distinct keys of ORDER (about 8k). */
const WARM_KEYS = [...new Set(ORDER)].map((id) => KEYS[id]);

/** About 150 bytes of JSON: an agent's small record. `id` is the key's index, so reads check it. */
const NOTES = makeValues(VALUE_MASK + 1, 5);
const entryValue = (id, step) => ({
  id,
  agent: `agent-${step % 8}`,
  step,
  note: NOTES[(id + step) & VALUE_MASK].slice(0, 60),
  tags: ['plan', 'code'],
  done: (step & 1) === 1,
});

const LIST_SQL = `SELECT key, value FROM shared_memory WHERE namespace = ? AND key >= ? AND key < ?
  AND (expires_at IS NULL OR expires_at > ?) ORDER BY key LIMIT ${LIST_LIMIT}`;

/** keyv's own connection (node-sqlite3), given the same pragmas as the bare one, then checked. */
async function openKeyv(file, pragmas) {
  const adapter = new KeyvSqlite({
    uri: `sqlite://${file}`,
    busyTimeout: pragmas.busy_timeout,
  });
  const keyv = new Keyv({ store: adapter });
  keyv.on('error', (err) => {
    throw err;
  });
  for (const name of COMPARED_PRAGMAS) {
    if (name === 'journal_mode' || name === 'locking_mode' || name === 'busy_timeout') continue;
    await adapter.query(`PRAGMA ${name} = ${pragmas[name]}`);
  }
  await adapter.query('PRAGMA journal_mode = WAL');
  const seen = {};
  for (const name of COMPARED_PRAGMAS) {
    const rows = await adapter.query(`PRAGMA ${name}`);
    seen[name] = Object.values(rows[0])[0];
  }
  return { keyv, adapter, pragmas: seen };
}

async function openStore(dir) {
  const projectRoot = path.join(dir, 'project');
  fs.mkdirSync(projectRoot);
  // The store as it comes (cache on), and a second store on the same files with the cache off.
  const store = await SharedMemoryStore.open({ projectRoot });
  const uncached = await SharedMemoryStore.open({ projectRoot, cache: false });
  await assertStoreSql(store, HIVE_NS);
  const root = path.join(projectRoot, '.hive-mind');
  const file = path.join(root, 'memory.db');
  const writerPragmas = await storeWriterPragmas(root);
  const bare = openBare(file, writerPragmas);
  const k = await openKeyv(file, writerPragmas);
  const { keyv, adapter } = k;
  const pragmas = { store: writerPragmas, bare: readPragmas(bare), keyv: k.pragmas };
  checkPragmas('bare', pragmas.bare, writerPragmas);
  checkPragmas('keyv', pragmas.keyv, writerPragmas);

  // The same 10k entries in both namespaces, and 64 counters at 0 in each, written by the store.
  for (const namespace of [HIVE_NS, BARE_NS]) {
    for (let start = 0; start < ENTRIES; start += BULK) {
      const entries = [];
      for (let i = start; i < start + BULK; i++)
        entries.push({ key: KEYS[i], value: entryValue(i, 0), options: { namespace } });
      const results = await store.setBulk(entries);
      if (!results.every((r) => r.success)) throw new Error(`seeding ${namespace} failed`);
    }
    await store.setBulk(COUNTER_KEYS.map((key) => ({ key, value: 0, options: { namespace } })));
  }
  // keyv's 10k entries, in batches of concurrent sets.
  for (let start = 0; start < ENTRIES; start += 500) {
    const batch = [];
    for (let i = start; i < start + 500; i++) batch.push(keyv.set(KEYS[i], entryValue(i, 0)));
    await Promise.all(batch);
  }
  await store.flush();
  bare.pragma('wal_checkpoint(TRUNCATE)');

  const rowsOf = bare.prepare('SELECT count(*) FROM shared_memory WHERE namespace = ?').pluck();
  for (const ns of [HIVE_NS, BARE_NS]) {
    const n = rowsOf.get(ns);
    if (n !== ENTRIES + COUNTERS) throw new Error(`${ns}: ${n} rows after seeding`);
  }
  const keyvRows = bare.prepare('SELECT count(*) FROM keyv').pluck().get();
  if (keyvRows !== ENTRIES) throw new Error(`keyv: ${keyvRows} rows after seeding`);

  const read = bare.prepare(READ_SQL);
  const upsert = bare.prepare(UPSERT_SQL);
  const upsertQuiet = bare.prepare(UPSERT_QUIET_SQL);
  const incrementStmt = bare.prepare(INCREMENT_SQL);
  const listStmt = bare.prepare(LIST_SQL);
  const checkpoint = bare.prepare('PRAGMA wal_checkpoint(TRUNCATE)');
  const counterSum = bare
    .prepare(
      "SELECT sum(CAST(value AS INTEGER)) FROM shared_memory WHERE namespace = ? AND key LIKE 'counter:%'",
    )
    .pluck();

  // Sanity: every reader returns what a bare read returns.
  for (let i = 0; i < 100; i++) {
    const id = ORDER[i];
    const want = JSON.stringify(JSON.parse(read.get(HIVE_NS, KEYS[id]).value));
    const got = [
      await store.get(KEYS[id], { namespace: HIVE_NS }),
      await uncached.get(KEYS[id], { namespace: HIVE_NS }),
      await keyv.get(KEYS[id]),
    ].map((v) => JSON.stringify(v));
    if (got.some((g) => g !== want)) throw new Error(`store, keyv and bare disagree on ${id}`);
  }

  // Reads: every value read is checked (its `id` is its key's index); a miss throws.
  const checked = { hivedb: 0, bare: 0 };
  const expected = { hivedb: 0, bare: 0 };
  const readCheck = (side, v, id) => {
    if (v.id !== id) throw new Error(`${side}: read id ${v.id} for key ${id}`);
    checked[side]++;
  };
  // Writes: how many each twin was told were written, and the last value each wrote.
  const written = { hivedb: 0, bare: 0 };
  const last = { hivedb: null, bare: null };
  const cursor = { hivedb: 0, bare: 0 };
  const step = { hivedb: 1, bare: 1 };
  const nsOf = { hivedb: HIVE_NS, bare: BARE_NS };
  const checkpointBusy = { hivedb: 0, bare: 0 };

  /** Untimed, before every run: the stores' access buffers written, the WAL emptied. */
  const settleFiles = async (side) => {
    await store.flush();
    await uncached.flush();
    const r = checkpoint.get();
    if (r.busy !== 0) checkpointBusy[side]++;
  };
  const countersOf = (s) => () => ({ ...s.stats(), cache: { ...s.stats().cache } });
  const diagnose = (a, b) => ({
    reads: b.reads - a.reads,
    writes: b.writes - a.writes,
    flushes: b.flushes - a.flushes,
    ...(a.cache.hits === undefined
      ? {}
      : {
          cacheHits: b.cache.hits - a.cache.hits,
          cacheMisses: b.cache.misses - a.cache.misses,
          cacheInvalidations: b.cache.invalidations - a.cache.invalidations,
          cacheHitRate:
            (b.cache.hits - a.cache.hits) /
            Math.max(1, b.cache.hits - a.cache.hits + b.cache.misses - a.cache.misses),
        }),
  });

  const readCommon = (s) => ({
    group: 'store',
    unit: 'gets/s',
    reset: async (side) => {
      await settleFiles(side);
      checked[side] = 0;
      expected[side] = 0;
    },
    verify: (side) => {
      if (checked[side] !== expected[side])
        throw new Error(`${side}: ${checked[side]} reads checked, ${expected[side]} made`);
    },
    counters: countersOf(s),
    diagnose,
  });

  /** A sequence of `n` awaited reads; `get(key)` resolves to the value. */
  const reads = (side, n, code, get) => {
    let j = 0;
    return {
      ops: n,
      code,
      fn: async () => {
        for (let k = 0; k < n; k++) {
          const id = ORDER[j++ & ORDER_MASK];
          readCheck(side, await get(KEYS[id]), id);
        }
        expected[side] += n;
      },
    };
  };
  const bareGet = (n) =>
    reads('bare', n, `JSON.parse((await stmt.get(ns, key)).value) /* ${READ_SQL} */`, (key) =>
      JSON.parse(read.get(BARE_NS, key).value),
    );
  const storeGet = (s, n) =>
    reads('hivedb', n, `await store.get(key, { namespace })`, (key) =>
      s.get(key, { namespace: HIVE_NS }),
    );
  const keyvGet = (n) => reads('bare', n, 'await keyv.get(key)', (key) => keyv.get(key));

  /**
   * Reads, through the cached store, each key the runs read (about 8k of the 10k: fewer than
   * `flushMaxEntries`, so that these reads' access records do not trigger a flush, which is a
   * commit, which would make the whole cache stale again).
   */
  const warmCache = async () => {
    for (let start = 0; start < WARM_KEYS.length; start += BULK)
      await Promise.all(
        WARM_KEYS.slice(start, start + BULK).map((key) => store.get(key, { namespace: HIVE_NS })),
      );
  };

  const writeCommon = {
    group: 'store',
    unit: 'writes/s',
    reset: async (side) => {
      await settleFiles(side);
      written[side] = 0;
      last[side] = null;
    },
    // The last entry each twin wrote holds what it wrote, seen from the bare connection.
    verify: (side) => {
      if (written[side] === 0 || last[side] === null) throw new Error(`${side}: nothing written`);
      const row = read.get(last[side].ns, last[side].key);
      if (row?.value !== last[side].json)
        throw new Error(`${side}: ${last[side].key} holds ${row?.value}, not ${last[side].json}`);
    },
    counters: countersOf(store),
    diagnose,
  };

  /** The next key and value for a twin's write; the values change on every pass over the keys. */
  const nextWrite = (side) => {
    const i = cursor[side];
    cursor[side] = (i + 1) % ENTRIES;
    if (cursor[side] === 0) step[side]++;
    return { i, key: KEYS[i], value: entryValue(i, step[side]) };
  };
  const remember = (side, ns, key, value) => {
    last[side] = { ns, key, json: JSON.stringify(value) };
  };
  const bareUpsert = (key, value) => {
    const json = JSON.stringify(value);
    const now = Date.now();
    return upsert.get(BARE_NS, key, 'persistent', json, null, 1, now, now, null, json.length, 0)
      .version;
  };
  const bareUpsertAsync = async (key, value) => bareUpsert(key, value);

  const storeSets = (s, side, n) => ({
    ops: n,
    code: 'await store.set(key, value, { namespace })',
    fn: async () => {
      let w = null;
      for (let k = 0; k < n; k++) {
        w = nextWrite(side);
        await s.set(w.key, w.value, { namespace: HIVE_NS });
      }
      written[side] += n;
      remember(side, HIVE_NS, w.key, w.value);
    },
  });

  const bulkOf = (side) => {
    const entries = new Array(BULK);
    for (let k = 0; k < BULK; k++) entries[k] = nextWrite(side);
    return entries;
  };
  const bareBulk = bare.transaction((entries) => {
    const now = Date.now();
    for (const e of entries) {
      const json = JSON.stringify(e.value);
      upsertQuiet.run(BARE_NS, e.key, 'persistent', json, null, 1, now, now, null, json.length, 0);
    }
  });

  let counterH = 0;
  let counterB = 0;
  const counts = { hivedb: 0, bare: 0 };
  const countsSeen = { hivedb: 0, bare: 0 };
  let listH = 0;
  let listB = 0;

  const cases = [
    {
      id: 'store.get.nocache',
      name: 'get, sequential awaited, cache off, vs bare prepared SELECT value + JSON.parse',
      target: 0.5,
      hivedb: storeGet(uncached, GETS_PER_ITERATION),
      bare: bareGet(GETS_PER_ITERATION),
      ...readCommon(uncached),
    },
    {
      id: 'store.get.cached',
      name: 'get, sequential awaited, cache on (the default), vs the same bare read',
      target: 3,
      hivedb: storeGet(store, GETS_PER_ITERATION),
      bare: bareGet(GETS_PER_ITERATION),
      ...readCommon(store),
      reset: async (side) => {
        await readCommon(store).reset(side);
        if (side === 'hivedb') await warmCache();
      },
    },
    {
      id: 'store.set',
      name: 'set, sequential awaited (an update of a live entry), vs bare autocommit upsert',
      target: 0.5,
      hivedb: storeSets(store, 'hivedb', WRITES_PER_ITERATION),
      bare: {
        ops: WRITES_PER_ITERATION,
        code: `await upsert.get(…) /* the store's INSERT … ON CONFLICT(namespace, key) DO UPDATE … RETURNING version */`,
        fn: async () => {
          let w = null;
          for (let k = 0; k < WRITES_PER_ITERATION; k++) {
            w = nextWrite('bare');
            await bareUpsert(w.key, w.value);
          }
          written.bare += WRITES_PER_ITERATION;
          remember('bare', BARE_NS, w.key, w.value);
        },
      },
      ...writeCommon,
    },
    {
      id: 'store.set.concurrent64',
      name: '64 concurrent sets of different keys, awaited together, vs 64 bare autocommit upserts',
      target: 3,
      hivedb: {
        ops: CONCURRENT * CONCURRENT_GROUPS_PER_ITERATION,
        code: 'await Promise.all(64 × store.set(key, value, { namespace }))',
        fn: async () => {
          const ps = new Array(CONCURRENT);
          let w = null;
          for (let g = 0; g < CONCURRENT_GROUPS_PER_ITERATION; g++) {
            for (let k = 0; k < CONCURRENT; k++) {
              w = nextWrite('hivedb');
              ps[k] = store.set(w.key, w.value, { namespace: HIVE_NS });
            }
            await Promise.all(ps);
            written.hivedb += CONCURRENT;
          }
          remember('hivedb', HIVE_NS, w.key, w.value);
        },
      },
      bare: {
        ops: CONCURRENT * CONCURRENT_GROUPS_PER_ITERATION,
        code: 'await Promise.all(64 × (async () => upsert.get(…))())',
        fn: async () => {
          const ps = new Array(CONCURRENT);
          let w = null;
          for (let g = 0; g < CONCURRENT_GROUPS_PER_ITERATION; g++) {
            for (let k = 0; k < CONCURRENT; k++) {
              w = nextWrite('bare');
              ps[k] = bareUpsertAsync(w.key, w.value);
            }
            await Promise.all(ps);
            written.bare += CONCURRENT;
          }
          remember('bare', BARE_NS, w.key, w.value);
        },
      },
      ...writeCommon,
    },
    {
      id: 'store.setBulk.1000',
      name: 'setBulk of 1000 entries (rows/s), vs 1000 bare upserts in one db.transaction',
      target: 0.5,
      hivedb: {
        ops: BULK,
        code: 'await store.setBulk(1000 × { key, value, options: { namespace } })',
        fn: async () => {
          const ws = bulkOf('hivedb');
          const results = await store.setBulk(
            ws.map((w) => ({ key: w.key, value: w.value, options: { namespace: HIVE_NS } })),
          );
          for (const r of results) if (!r.success) throw new Error(`setBulk: ${r.key} failed`);
          written.hivedb += BULK;
          const w = ws[BULK - 1];
          remember('hivedb', HIVE_NS, w.key, w.value);
        },
      },
      bare: {
        ops: BULK,
        code: "await db.transaction(() => { 1000 × upsert.run(…) /* the store's upsert, no RETURNING */ })()",
        fn: async () => {
          const ws = bulkOf('bare');
          await bareBulk(ws);
          written.bare += BULK;
          const w = ws[BULK - 1];
          remember('bare', BARE_NS, w.key, w.value);
        },
      },
      ...writeCommon,
      unit: 'rows/s',
    },
    {
      id: 'store.increment',
      name: 'increment, sequential awaited, vs bare UPDATE … SET value = value + 1 … RETURNING value',
      hivedb: {
        ops: WRITES_PER_ITERATION,
        code: 'await store.increment(key, 1, { namespace })',
        fn: async () => {
          let sum = 0;
          for (let k = 0; k < WRITES_PER_ITERATION; k++)
            sum += await store.increment(COUNTER_KEYS[counterH++ % COUNTERS], 1, {
              namespace: HIVE_NS,
            });
          counts.hivedb += WRITES_PER_ITERATION;
          countsSeen.hivedb = sum;
        },
      },
      bare: {
        ops: WRITES_PER_ITERATION,
        code: 'await Number(stmt.get(now, ns, key).value)',
        fn: async () => {
          let sum = 0;
          for (let k = 0; k < WRITES_PER_ITERATION; k++)
            sum += await Number(
              incrementStmt.get(Date.now(), BARE_NS, COUNTER_KEYS[counterB++ % COUNTERS]).value,
            );
          counts.bare += WRITES_PER_ITERATION;
          countsSeen.bare = sum;
        },
      },
      group: 'store',
      unit: 'increments/s',
      reset: settleFiles,
      // The counters of each namespace add up to the increments that twin made.
      verify: (side) => {
        const total = counterSum.get(nsOf[side]);
        if (total !== counts[side])
          throw new Error(`${side}: counters sum to ${total}, ${counts[side]} increments made`);
        if (!(countsSeen[side] > 0)) throw new Error(`${side}: increments returned nothing`);
      },
      counters: countersOf(store),
      diagnose,
    },
    {
      id: 'store.list.100',
      name: 'list 100 entries by prefix (pages/s), vs bare keyset SELECT … LIMIT 100 + JSON.parse',
      hivedb: {
        ops: LISTS_PER_ITERATION,
        code: "await store.list({ namespace, prefix: 'key:0PP', limit: 100 })",
        fn: async () => {
          for (let k = 0; k < LISTS_PER_ITERATION; k++) {
            const p = listH++ % PREFIXES.length;
            const page = await store.list({
              namespace: HIVE_NS,
              prefix: PREFIXES[p],
              limit: LIST_LIMIT,
            });
            const e = page.entries;
            if (e.length !== LIST_LIMIT || e[LIST_LIMIT - 1].value.id !== p * LIST_LIMIT + 99)
              throw new Error(`hivedb: list ${PREFIXES[p]} gave ${e.length} entries`);
            checked.hivedb += LIST_LIMIT;
          }
          expected.hivedb += LISTS_PER_ITERATION * LIST_LIMIT;
        },
      },
      bare: {
        ops: LISTS_PER_ITERATION,
        code: `await stmt.all(ns, prefix, upper, now).map((r) => ({ key: r.key, value: JSON.parse(r.value) })) /* ${LIST_SQL} */`,
        fn: async () => {
          for (let k = 0; k < LISTS_PER_ITERATION; k++) {
            const p = listB++ % PREFIXES.length;
            const prefix = PREFIXES[p];
            const upper =
              prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
            const e = (await listStmt.all(BARE_NS, prefix, upper, Date.now())).map((r) => ({
              key: r.key,
              value: JSON.parse(r.value),
            }));
            if (e.length !== LIST_LIMIT || e[LIST_LIMIT - 1].value.id !== p * LIST_LIMIT + 99)
              throw new Error(`bare: list ${prefix} gave ${e.length} entries`);
            checked.bare += LIST_LIMIT;
          }
          expected.bare += LISTS_PER_ITERATION * LIST_LIMIT;
        },
      },
      ...readCommon(store),
      unit: 'pages/s',
    },
    // The peer: keyv 5.6 with @keyv/sqlite 4.0.8 (node-sqlite3) on the same file and pragmas.
    // Here the second twin is keyv, not bare better-sqlite3: the ratio is store / keyv.
    {
      id: 'store.get.nocache.vs-keyv',
      name: 'get, sequential awaited, cache off, vs keyv.get (@keyv/sqlite) — ratio store/keyv',
      hivedb: storeGet(uncached, KEYV_OPS_PER_ITERATION),
      bare: keyvGet(KEYV_OPS_PER_ITERATION),
      ...readCommon(uncached),
    },
    {
      id: 'store.set.vs-keyv',
      name: 'set, sequential awaited, vs keyv.set (@keyv/sqlite) — ratio store/keyv',
      hivedb: storeSets(store, 'hivedb', KEYV_OPS_PER_ITERATION),
      bare: {
        ops: KEYV_OPS_PER_ITERATION,
        code: 'await keyv.set(key, value)',
        fn: async () => {
          let w = null;
          for (let k = 0; k < KEYV_OPS_PER_ITERATION; k++) {
            w = nextWrite('bare');
            if ((await keyv.set(w.key, w.value)) !== true) throw new Error('keyv.set failed');
          }
          written.bare += KEYV_OPS_PER_ITERATION;
          last.bare = { key: w.key, value: w.value };
        },
      },
      ...writeCommon,
      verify: async (side) => {
        if (side === 'hivedb') return writeCommon.verify(side);
        const got = await keyv.get(last.bare.key);
        if (JSON.stringify(got) !== JSON.stringify(last.bare.value))
          throw new Error(`keyv: ${last.bare.key} holds ${JSON.stringify(got)}`);
      },
    },
  ];

  return {
    pragmas,
    cases,
    extra: () => ({
      checkpointBusy,
      entries: ENTRIES,
      keyv: { table: adapter.opts.table, driver: 'sqlite3 (node-sqlite3)' },
      storeStats: store.stats(),
    }),
    close: async () => {
      await keyv.disconnect();
      bare.close();
      await uncached.shutdown();
      await store.shutdown();
    },
  };
}

/** The store's case group: its cases and the keyv comparison share one memory.db. */
export const storeGroups = [{ name: 'store', open: openStore }];
