// Memory (issue 10): RSS and heap of one fresh process after 100k and after 1M mixed operations
// through the store, and the growth between them; the same for a process doing the same
// operations with the store's statements on bare better-sqlite3.
import fs from 'node:fs';
import path from 'node:path';
import { SharedMemoryStore } from '@hivedb/store';
import { cpuSnapshot, otherCores } from '../harness.mjs';
import { storeWriterPragmas } from '../store-sql.mjs';
import { runChildren } from './fork.mjs';

/** The mix, read-heavy as agents' memory is: 60 % get, 20 % set, 5 % delete, 10 % increment, 5 % list of 20. */
const MIX = { get: 0.6, set: 0.2, delete: 0.05, increment: 0.1, list: 0.05 };
/**
 * Readings after this many operations; the growth is between the first and the last (500k in
 * between shows whether RSS is still climbing or has levelled off).
 */
const CHECKPOINTS = { full: [100_000, 500_000, 1_000_000], quick: [10_000, 20_000] };

/** The figures of one twin: memory at each checkpoint, growth from the first to the last, ops/s. */
function summarize(result) {
  const { points } = result;
  const a = points[1];
  const b = points.at(-1);
  return {
    points,
    counts: result.counts,
    rate: (b.ops / b.elapsedMs) * 1000,
    rssGrowth: b.rss - a.rss,
    heapGrowth: b.heapUsed - a.heapUsed,
    heapGrowthPerKOps: ((b.heapUsed - a.heapUsed) / (b.ops - a.ops)) * 1000,
  };
}

/**
 * Runs the store child and the bare child side by side (one core each on a 2-core machine, so
 * the memory run costs the time of the slower one), each fresh, each on its own memory.db.
 * Their ops/s are therefore taken side by side; their memory is each one's own.
 */
export async function runMemory({ dir, quick, log }) {
  const checkpoints = CHECKPOINTS[quick ? 'quick' : 'full'];
  const configs = [];
  for (const twin of ['hivedb', 'bare']) {
    // Each twin on a memory.db of its own (made by the store: same schema, same pragmas), so
    // that the two processes, run side by side, never wait for each other's write lock.
    const projectRoot = path.join(dir, twin);
    fs.mkdirSync(projectRoot);
    const created = await SharedMemoryStore.open({ projectRoot });
    await created.shutdown();
    const root = path.join(projectRoot, '.hive-mind');
    configs.push({
      twin,
      projectRoot,
      file: path.join(root, 'memory.db'),
      pragmas: await storeWriterPragmas(root),
      namespace: `mem_${twin}`,
      checkpoints,
      mix: MIX,
    });
  }
  const started = performance.now();
  let cpu0 = null;
  let cpu1 = null;
  const results = await runChildren('memory-child.mjs', configs, {
    execArgv: ['--expose-gc'],
    timeoutMs: 600_000,
    onGo: () => {
      cpu0 = cpuSnapshot();
    },
    onResults: () => {
      cpu1 = cpuSnapshot();
    },
  });
  const others = otherCores(
    cpu0,
    cpu1,
    results.reduce((s, r) => s + r.cpuUs, 0),
  );
  const out = {};
  for (const [i, twin] of ['hivedb', 'bare'].entries()) {
    const result = results[i];
    out[twin] = {
      ...summarize(result),
      wallS: result.wallMs / 1000,
      cpuS: result.cpuUs / 1e6,
      otherCores: others,
    };
    const last = result.points.at(-1);
    log(
      `  memory ${twin}: ${last.ops} ops, rss ${(last.rss / 2 ** 20).toFixed(1)} MiB, heap ${(last.heapUsed / 2 ** 20).toFixed(1)} MiB, ${Math.round(out[twin].rate)} ops/s`,
    );
  }
  return {
    checkpoints,
    mix: MIX,
    keys: 10_000,
    sideBySide: true,
    hivedbCode: 'store.get/set/delete/increment/list (cache on, the defaults)',
    bareCode: "the store's statements on one better-sqlite3 connection, autocommit",
    ...out,
    durationS: (performance.now() - started) / 1000,
  };
}
