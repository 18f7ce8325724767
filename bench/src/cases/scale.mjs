// Scaling (issue 10): store get and set at 10k, 100k and 1M entries, each against its bare
// better-sqlite3 twin on the same memory.db holding the same entries. One file per size: the
// entries are seeded by the bare connection in one transaction with the store's own INSERT, and
// both twins read and update those same entries (so the table stays at N rows) in the same
// random order, spread over all N keys.
import fs from 'node:fs';
import path from 'node:path';
import { SharedMemoryStore } from '@hivedb/store';
import Database from 'better-sqlite3';
import { makeValues, openBare, prng, readPragmas } from '../data.mjs';
import {
  checkPragmas,
  entryValue,
  INSERT_ENTRY,
  READ_SQL,
  storeWriterPragmas,
  UPSERT_SQL,
  upsertParams,
} from '../store-sql.mjs';

const NS = 'bench_scale';
const GETS_PER_ITERATION = 1000;
const SETS_PER_ITERATION = 100;
const ORDER_BITS = 20;
const ORDER_MASK = (1 << ORDER_BITS) - 1;
const NOTES = makeValues(1024, 11);

/** The sizes measured: the full run's, and the quick run's (smaller, to stay short). */
export const SCALE_SIZES = { full: [10_000, 100_000, 1_000_000], quick: [10_000, 50_000] };

/** The full run gives each scaling case 5 rounds of 300 ms: 6 cases in about 30 s. */
const FULL_SETTINGS = { rounds: 5, maxAttempts: 10, timeMs: 300, warmupMs: 80 };

/** `10k`, `100k`, `1M`. */
export const sizeLabel = (n) => (n >= 1e6 ? `${n / 1e6}M` : `${n / 1e3}k`);

/** 2^20 random draws, taken modulo N: every twin and every size reads in the same order. */
const ORDER = (() => {
  const rnd = prng(101);
  const out = new Uint32Array(ORDER_MASK + 1);
  for (let i = 0; i < out.length; i++) out[i] = Math.floor(rnd() * 2 ** 32);
  return out;
})();

const keyOf = (i) => `k:${String(i).padStart(7, '0')}`;

/**
 * Seeds `keys` as entries: one transaction of the store's INSERT on a connection of its own with
 * a page cache large enough for the whole file (1M entries are ~340 MB; with the store's 16 MB
 * cache the transaction spills to the WAL page by page). It is closed afterwards, so that
 * neither twin starts with a warmer cache than the other.
 */
function seed(file, keys) {
  const started = performance.now();
  const db = new Database(file);
  try {
    db.pragma('busy_timeout = 5000');
    db.pragma('cache_size = -1000000');
    const insert = db.prepare(INSERT_ENTRY);
    const now = Date.now();
    db.transaction(() => {
      for (let i = 0; i < keys.length; i++) {
        const json = JSON.stringify(entryValue(i, 0, NOTES));
        insert.run(NS, keys[i], 'persistent', json, null, 1, now, now, null, json.length);
      }
    })();
    const inserted = performance.now();
    db.pragma('wal_checkpoint(TRUNCATE)');
    return {
      insertS: (inserted - started) / 1000,
      checkpointS: (performance.now() - inserted) / 1000,
    };
  } finally {
    db.close();
  }
}

function openScale(n, quick) {
  const label = sizeLabel(n);
  return async (dir) => {
    const projectRoot = path.join(dir, 'project');
    fs.mkdirSync(projectRoot);
    // The store as it comes (cache on) for sets; cache off for gets, so that each get reads
    // the file (a cached get would measure the cache, not the N entries).
    const store = await SharedMemoryStore.open({ projectRoot });
    const uncached = await SharedMemoryStore.open({ projectRoot, cache: false });
    const root = path.join(projectRoot, '.hive-mind');
    const writerPragmas = await storeWriterPragmas(root);
    const bare = openBare(path.join(root, 'memory.db'), writerPragmas);
    const pragmas = { store: writerPragmas, bare: readPragmas(bare) };
    checkPragmas('bare', pragmas.bare, writerPragmas);
    const keys = new Array(n);
    for (let i = 0; i < n; i++) keys[i] = keyOf(i);
    const seeded = seed(path.join(root, 'memory.db'), keys);
    const rows = bare.prepare('SELECT count(*) FROM shared_memory WHERE namespace = ?').pluck();
    if (rows.get(NS) !== n) throw new Error(`scale ${label}: ${rows.get(NS)} rows after seeding`);
    const fileMiB = fs.statSync(path.join(root, 'memory.db')).size / 2 ** 20;

    const read = bare.prepare(READ_SQL);
    const upsert = bare.prepare(UPSERT_SQL);
    const checkpoint = bare.prepare('PRAGMA wal_checkpoint(TRUNCATE)');

    const cursor = { hivedb: 0, bare: 0 };
    const checked = { hivedb: 0, bare: 0 };
    const expected = { hivedb: 0, bare: 0 };
    const last = { hivedb: null, bare: null };
    let step = 1;
    const nextId = (side) => ORDER[cursor[side]++ & ORDER_MASK] % n;

    const reset = async (side) => {
      await store.flush();
      await uncached.flush();
      checkpoint.get();
      checked[side] = 0;
      expected[side] = 0;
      last[side] = null;
    };
    const readVerify = (side) => {
      if (checked[side] !== expected[side] || expected[side] === 0)
        throw new Error(`${side}: ${checked[side]} reads checked, ${expected[side]} made`);
    };
    const writeVerify = (side) => {
      const w = last[side];
      if (w === null) throw new Error(`${side}: nothing written`);
      const row = read.get(NS, w.key);
      if (row?.value !== w.json) throw new Error(`${side}: ${w.key} holds ${row?.value}`);
    };
    const check = (side, v, id) => {
      if (v?.id !== id) throw new Error(`${side}: read ${JSON.stringify(v)} for entry ${id}`);
      checked[side]++;
    };

    const common = { group: 'scale', reset, settings: quick ? undefined : FULL_SETTINGS };
    const cases = [
      {
        id: `scale.get.${label}`,
        name: `get at ${label} entries, random keys, cache off, vs bare SELECT value + JSON.parse`,
        unit: 'gets/s',
        meta: { op: 'get', entries: n },
        hivedb: {
          ops: GETS_PER_ITERATION,
          code: 'await store.get(key, { namespace })',
          fn: async () => {
            for (let k = 0; k < GETS_PER_ITERATION; k++) {
              const id = nextId('hivedb');
              check('hivedb', await uncached.get(keys[id], { namespace: NS }), id);
            }
            expected.hivedb += GETS_PER_ITERATION;
          },
        },
        bare: {
          ops: GETS_PER_ITERATION,
          code: `JSON.parse((await stmt.get(ns, key)).value) /* ${READ_SQL} */`,
          fn: async () => {
            for (let k = 0; k < GETS_PER_ITERATION; k++) {
              const id = nextId('bare');
              check('bare', JSON.parse((await read.get(NS, keys[id])).value), id);
            }
            expected.bare += GETS_PER_ITERATION;
          },
        },
        verify: readVerify,
        ...common,
      },
      {
        id: `scale.set.${label}`,
        name: `set at ${label} entries (an update of a random live entry), vs bare autocommit upsert`,
        unit: 'sets/s',
        meta: { op: 'set', entries: n },
        hivedb: {
          ops: SETS_PER_ITERATION,
          code: 'await store.set(key, value, { namespace })',
          fn: async () => {
            let id = 0;
            let value = null;
            for (let k = 0; k < SETS_PER_ITERATION; k++) {
              id = nextId('hivedb');
              value = entryValue(id, step++, NOTES);
              await store.set(keys[id], value, { namespace: NS });
            }
            last.hivedb = { key: keys[id], json: JSON.stringify(value) };
          },
        },
        bare: {
          ops: SETS_PER_ITERATION,
          code: `await upsert.get(…) /* the store's upsert … RETURNING version */`,
          fn: async () => {
            let id = 0;
            let json = null;
            for (let k = 0; k < SETS_PER_ITERATION; k++) {
              id = nextId('bare');
              json = JSON.stringify(entryValue(id, step++, NOTES));
              await upsert.get(...upsertParams(NS, keys[id], json, Date.now()));
            }
            last.bare = { key: keys[id], json };
          },
        },
        verify: writeVerify,
        ...common,
      },
    ];
    return {
      pragmas,
      cases,
      extra: () => ({ entries: n, seed: seeded, fileMiB }),
      close: async () => {
        bare.close();
        await uncached.shutdown();
        await store.shutdown();
      },
    };
  };
}

/** One group per size, each on its own memory.db; `ids` lets a filtered run skip the seeding. */
export function scaleGroups(quick) {
  return SCALE_SIZES[quick ? 'quick' : 'full'].map((n) => ({
    name: `scale-${sizeLabel(n)}`,
    ids: ['get', 'set'].map((op) => `scale.${op}.${sizeLabel(n)}`),
    open: openScale(n, quick),
  }));
}
