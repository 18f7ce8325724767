// Multi-process writes (issue 10): 1, 2, 4 and 8 child processes write to one memory.db, each
// through `SharedMemoryStore.set` (hivedb) or the store's upsert on bare better-sqlite3 in
// autocommit with the same busy_timeout (bare), for a fixed time. Figures: total writes/s, p99
// latency of one write (every child's histogram merged), and errors (which must be zero).
import fs from 'node:fs';
import path from 'node:path';
import { SharedMemoryStore } from '@hivedb/store';
import { cpuSnapshot, median, otherCores } from '../harness.mjs';
import { openBare } from '../data.mjs';
import { READ_SQL, storeWriterPragmas } from '../store-sql.mjs';
import { runChildren } from './fork.mjs';
import { histogram, merge, percentile } from './latency.mjs';

/** Process counts, seconds of writing per run, and rounds (the twins' order alternates). */
const PLAN = {
  full: { processes: [1, 2, 4, 8, 24], durationMs: 700, rounds: 3 },
  quick: { processes: [1, 2], durationMs: 500, rounds: 1 },
};

/** One run: `n` children of one twin writing together. */
async function runOnce(twin, n, shared, durationMs, read) {
  const configs = Array.from({ length: n }, (_, index) => ({
    ...shared,
    twin,
    index,
    namespace: `mp_${twin}`,
    durationMs,
  }));
  let cpu0 = null;
  let cpu1 = null;
  const results = await runChildren('writer-child.mjs', configs, {
    timeoutMs: durationMs,
    onGo: () => {
      cpu0 = cpuSnapshot();
    },
    onResults: () => {
      cpu1 = cpuSnapshot();
    },
  });
  // Each child's last successful write is in the file, seen from another connection.
  for (const r of results) {
    if (r.last === null) {
      // A bare writer whose every write failed with SQLITE_BUSY was starved: that is the bare
      // twin's measured outcome (its errors are counted). Through the store it would be a bug.
      if (twin === 'bare' && r.failed > 0) continue;
      throw new Error(`${twin}: a writer of ${n} wrote nothing (${r.failed} failed)`);
    }
    const row = read.get(`mp_${twin}`, r.last.key);
    if (row?.value !== r.last.json) throw new Error(`${twin}: ${r.last.key} holds ${row?.value}`);
  }
  const h = histogram();
  for (const r of results) merge(h, r.histogram);
  const elapsedS = Math.max(...results.map((r) => r.elapsedMs)) / 1000;
  const ops = results.reduce((s, r) => s + r.ops, 0);
  const errors = {};
  for (const r of results)
    for (const [code, k] of Object.entries(r.errors)) errors[code] = (errors[code] ?? 0) + k;
  return {
    rate: ops / elapsedS,
    ops,
    failed: results.reduce((s, r) => s + r.failed, 0),
    errors,
    p50Us: percentile(h, 0.5),
    p99Us: percentile(h, 0.99),
    maxUs: percentile(h, 1),
    perChildRates: results.map((r) => r.ops / (r.elapsedMs / 1000)),
    childrenCpuS: results.reduce((s, r) => s + r.cpuUs, 0) / 1e6,
    // Children's CPU is theirs, not others': only the wall time around them is compared.
    otherCores: otherCores(
      cpu0,
      cpu1,
      results.reduce((s, r) => s + r.cpuUs, 0),
    ),
    histogram: h,
  };
}

function summarize(runs) {
  const h = histogram();
  for (const r of runs)
    merge(
      h,
      [...r.histogram.entries()].filter(([, k]) => k > 0),
    );
  const errors = {};
  for (const r of runs)
    for (const [code, k] of Object.entries(r.errors)) errors[code] = (errors[code] ?? 0) + k;
  return {
    median: median(runs.map((r) => r.rate)),
    min: Math.min(...runs.map((r) => r.rate)),
    max: Math.max(...runs.map((r) => r.rate)),
    p50Us: percentile(h, 0.5),
    p99Us: percentile(h, 0.99),
    maxUs: percentile(h, 1),
    ops: runs.reduce((s, r) => s + r.ops, 0),
    failed: runs.reduce((s, r) => s + r.failed, 0),
    errors,
    runs: runs.map(({ histogram: _h, ...r }) => r),
  };
}

/**
 * Runs every process count, both twins per round, and returns the figures for the report.
 * `dir` is an empty folder that holds the project (its memory.db is created by the store).
 */
export async function runMultiProcess({ dir, quick, log }) {
  const plan = { ...PLAN[quick ? 'quick' : 'full'] };
  // HIVEDB_BENCH_PROCESSES=8,24 runs only those counts (a diagnostic; reports are not written).
  if (process.env.HIVEDB_BENCH_PROCESSES)
    plan.processes = process.env.HIVEDB_BENCH_PROCESSES.split(',').map(Number);
  const projectRoot = path.join(dir, 'project');
  fs.mkdirSync(projectRoot);
  const created = await SharedMemoryStore.open({ projectRoot });
  await created.shutdown();
  const root = path.join(projectRoot, '.hive-mind');
  const file = path.join(root, 'memory.db');
  const pragmas = await storeWriterPragmas(root);
  const shared = { projectRoot, file, pragmas };
  const admin = openBare(file, pragmas);
  const read = admin.prepare(READ_SQL);
  const started = performance.now();
  const rows = [];
  try {
    for (const n of plan.processes) {
      const runs = { hivedb: [], bare: [] };
      for (let r = 0; r < plan.rounds; r++) {
        for (const twin of r % 2 === 0 ? ['hivedb', 'bare'] : ['bare', 'hivedb']) {
          admin.pragma('wal_checkpoint(TRUNCATE)');
          const run = await runOnce(twin, n, shared, plan.durationMs, read);
          runs[twin].push(run);
          log(
            `  multiprocess ${n} × ${twin}: ${Math.round(run.rate)} writes/s, p99 ${run.p99Us?.toFixed(0)} µs, ${run.failed} errors`,
          );
        }
      }
      const hivedb = summarize(runs.hivedb);
      const bare = summarize(runs.bare);
      rows.push({ processes: n, hivedb, bare, ratio: hivedb.median / bare.median });
    }
  } finally {
    admin.close();
  }
  return {
    ...plan,
    pragmas,
    hivedbCode: 'await store.set(key, value, { namespace }) in each process, one after another',
    bareCode:
      "upsert.get(…) /* the store's upsert, autocommit, same busy_timeout */ in each process",
    rows,
    storeErrors: rows.reduce((s, r) => s + r.hivedb.failed, 0),
    durationS: (performance.now() - started) / 1000,
  };
}
