// @hivedb/pool's offload lane (issue 4's targets): statements run on worker threads with
// `{ offload: true }`. Two comparisons are not against bare better-sqlite3, and say so:
// `offload.cpu.2v1`'s second twin is the same pool with one worker instead of two.
import path from 'node:path';
import { createPool } from '@hivedb/pool';
import { makeIds, openBare, readPragmas, seedKv, VALUE_BYTES } from '../data.mjs';

const READ_SQL = 'SELECT v FROM kv WHERE id = ?';
/** A full scan of the 100k-row table, comparing every value: CPU-bound, about 10 ms here. */
const HEAVY_SQL = 'SELECT count(*) AS n FROM kv WHERE v LIKE ?';
const HEAVY_PATTERN = '%a_b%';

const HEAVY_IN_FLIGHT = 4;
const CONCURRENT = 64;
const CONCURRENT_GROUPS_PER_ITERATION = 4;
const SEQUENTIAL_READS_PER_ITERATION = 100;

const ID_MASK = (1 << 16) - 1;
const offload = { offload: true };

async function pragmasOf(pool, mode) {
  const lease = await pool.acquire({ mode });
  try {
    return readPragmas(lease.raw);
  } finally {
    lease.release();
  }
}

/** Throws when a pool still holds a connection or an offloaded statement is in flight. */
function assertPoolIdle(pool, label) {
  const s = pool.stats();
  if (s.leased !== 0 || s.writer.busy || s.offload.inFlight !== 0 || s.offload.queued !== 0) {
    throw new Error(
      `${label}: pool not idle before a run (leased ${s.leased}, offload in flight ${s.offload.inFlight}, queued ${s.offload.queued})`,
    );
  }
}

/** The offload lane's counters, for the per-round diagnostics. */
function laneCounters(pool) {
  const s = pool.stats();
  return { requests: s.offload.requests, crashes: s.offload.crashes, workers: s.offload.workers };
}

function diagnose(a, b) {
  return { requests: b.requests - a.requests, crashes: b.crashes - a.crashes, workers: b.workers };
}

async function openOffload(dir) {
  const filename = 'offload.db';
  const two = createPool({ filename, root: dir, offloadWorkers: 2 });
  const one = createPool({ filename, root: dir, offloadWorkers: 1 });
  const writerPragmas = await pragmasOf(two, 'write');
  const bare = openBare(path.join(dir, filename), writerPragmas);
  seedKv(bare);
  const pragmas = {
    bare: readPragmas(bare),
    poolWriter: await pragmasOf(two, 'write'),
    poolReader: await pragmasOf(two, 'read'),
  };
  const stmt = bare.prepare(READ_SQL);
  const heavyExpected = bare.prepare(HEAVY_SQL).get(HEAVY_PATTERN).n;
  const ids = makeIds(ID_MASK + 1);

  // Start every worker, and check that offloaded answers are the bare ones.
  await Promise.all([1, 2].map(() => two.get(HEAVY_SQL, [HEAVY_PATTERN], offload)));
  await one.get(HEAVY_SQL, [HEAVY_PATTERN], offload);
  for (let i = 0; i < 100; i++) {
    const a = await two.get(READ_SQL, [ids[i]], offload);
    if (a.v !== stmt.get(ids[i]).v) throw new Error(`offload and bare disagree on id ${ids[i]}`);
  }
  const started = [two, one].map((p) => p.stats().offload.workers);
  if (started[0] !== 2 || started[1] !== 1)
    throw new Error(`offload workers started: ${started.join(', ')} (expected 2, 1)`);

  // Every twin checks every answer it got (a missing row throws on `.v`).
  const checked = { hivedb: 0, bare: 0 };
  const expected = { hivedb: 0, bare: 0 };
  const verify = (side) => {
    if (checked[side] !== expected[side])
      throw new Error(`${side}: checked ${checked[side]}, expected ${expected[side]}`);
  };

  const heavyTwin = (pool, workers, side) => ({
    ops: HEAVY_IN_FLIGHT,
    code: `offloadWorkers: ${workers}; await Promise.all(${HEAVY_IN_FLIGHT} × pool.get('${HEAVY_SQL}', [p], { offload: true }))`,
    fn: async () => {
      const ps = new Array(HEAVY_IN_FLIGHT);
      for (let k = 0; k < HEAVY_IN_FLIGHT; k++)
        ps[k] = pool.get(HEAVY_SQL, [HEAVY_PATTERN], offload);
      for (const row of await Promise.all(ps)) if (row.n === heavyExpected) checked[side]++;
      expected[side] += HEAVY_IN_FLIGHT;
    },
  });

  let j = 0;
  const cases = [
    {
      id: 'offload.cpu.2v1',
      name: `CPU-heavy reads (a 100k-row LIKE scan), ${HEAVY_IN_FLIGHT} in flight: 2 workers vs 1 ("bare" twin: the same pool with offloadWorkers 1)`,
      unit: 'queries/s',
      target: 1.6,
      hivedb: heavyTwin(two, 2, 'hivedb'),
      bare: heavyTwin(one, 1, 'bare'),
      counters: () => laneCounters(two),
    },
    {
      id: 'offload.get.inflight64',
      name: '64 point reads in flight: offloaded (2 workers) vs bare stmt.get',
      unit: 'reads/s',
      target: 0.5,
      hivedb: {
        ops: CONCURRENT * CONCURRENT_GROUPS_PER_ITERATION,
        code: `await Promise.all(64 × pool.get('${READ_SQL}', [id], { offload: true }))`,
        fn: async () => {
          const ps = new Array(CONCURRENT);
          for (let g = 0; g < CONCURRENT_GROUPS_PER_ITERATION; g++) {
            for (let k = 0; k < CONCURRENT; k++)
              ps[k] = two.get(READ_SQL, [ids[j++ & ID_MASK]], offload);
            for (const row of await Promise.all(ps)) checked.hivedb += row.v.length;
            expected.hivedb += CONCURRENT * VALUE_BYTES;
          }
        },
      },
      bare: {
        ops: CONCURRENT * CONCURRENT_GROUPS_PER_ITERATION,
        code: 'await Promise.all(64 × (async () => stmt.get(id))())',
        fn: async () => {
          const ps = new Array(CONCURRENT);
          const read = async (id) => stmt.get(id);
          for (let g = 0; g < CONCURRENT_GROUPS_PER_ITERATION; g++) {
            for (let k = 0; k < CONCURRENT; k++) ps[k] = read(ids[j++ & ID_MASK]);
            for (const row of await Promise.all(ps)) checked.bare += row.v.length;
            expected.bare += CONCURRENT * VALUE_BYTES;
          }
        },
      },
      counters: () => laneCounters(two),
    },
    {
      id: 'offload.get.inflight1',
      name: 'point reads one at a time: offloaded (a full round trip each) vs bare stmt.get',
      unit: 'reads/s',
      hivedb: {
        ops: SEQUENTIAL_READS_PER_ITERATION,
        code: `await pool.get('${READ_SQL}', [id], { offload: true })`,
        fn: async () => {
          for (let k = 0; k < SEQUENTIAL_READS_PER_ITERATION; k++) {
            const row = await two.get(READ_SQL, [ids[j++ & ID_MASK]], offload);
            checked.hivedb += row.v.length;
          }
          expected.hivedb += SEQUENTIAL_READS_PER_ITERATION * VALUE_BYTES;
        },
      },
      bare: {
        ops: SEQUENTIAL_READS_PER_ITERATION,
        code: 'await stmt.get(id)',
        fn: async () => {
          for (let k = 0; k < SEQUENTIAL_READS_PER_ITERATION; k++) {
            const row = await stmt.get(ids[j++ & ID_MASK]);
            checked.bare += row.v.length;
          }
          expected.bare += SEQUENTIAL_READS_PER_ITERATION * VALUE_BYTES;
        },
      },
      counters: () => laneCounters(two),
    },
  ].map((c) => ({
    group: 'offload',
    assertIdle: () => {
      assertPoolIdle(two, c.id);
      assertPoolIdle(one, c.id);
    },
    verify,
    diagnose,
    ...c,
  }));

  return {
    pragmas,
    cases,
    extra: () => ({
      offload: { twoWorkers: two.stats().offload, oneWorker: one.stats().offload },
      heavyMatches: heavyExpected,
    }),
    close: async () => {
      await two.close();
      await one.close();
      bare.close();
    },
  };
}

/** The offload lane's case group, on its own file in `dir`. */
export const offloadGroups = [{ name: 'offload', open: openOffload }];
