// The measuring loop shared by every case group: twins run alternately in rounds, each run a
// tinybench task with its own warm-up, and every figure is a median over rounds.
import fs from 'node:fs';
import { Bench } from 'tinybench';

/** Lets the current macrotask end: the pool closes an open read snapshot at that point. */
export const settle = () => new Promise((resolve) => setImmediate(resolve));

/** Ends open snapshots, collects garbage, and lets the event loop turn once more. */
export async function quiesce() {
  await settle();
  globalThis.gc?.();
  await settle();
}

/** Linear-interpolated quantile of an ascending array. */
export function quantile(sorted, q) {
  if (sorted.length === 0) return Number.NaN;
  const at = (sorted.length - 1) * q;
  const lo = Math.floor(at);
  const hi = Math.ceil(at);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (at - lo);
}

export function median(values) {
  return quantile(
    [...values].sort((a, b) => a - b),
    0.5,
  );
}

/**
 * Run settings: `--quick` is a smoke run (< 1 minute), the default is the full run (< 10 minutes
 * on 2 cores). Busy rounds are rerun, and the machine waited for (`quietWaitMs` in all), only
 * during the first `retryForMs` of the run.
 */
export function settingsFor(quick) {
  return quick
    ? {
        mode: 'quick',
        rounds: 3,
        maxAttempts: 6,
        timeMs: 100,
        warmupMs: 30,
        quietWaitMs: 0,
        retryForMs: 30_000,
      }
    : {
        mode: 'full',
        rounds: 9,
        maxAttempts: 27,
        timeMs: 600,
        warmupMs: 150,
        quietWaitMs: 240_000,
        retryForMs: 420_000,
      };
}

/**
 * CPU used by the whole machine and by this process, so that each case can say how much CPU
 * other processes took while it ran (on a 2-core machine a busy neighbour changes every figure).
 */
export function cpuSnapshot() {
  const wall = performance.now();
  const own = process.cpuUsage();
  let busy = Number.NaN;
  try {
    const line = fs.readFileSync('/proc/stat', 'utf8').split('\n', 1)[0];
    const f = line.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal: busy is everything but idle and iowait.
    busy = f[0] + f[1] + f[2] + f[5] + f[6] + (f[7] ?? 0);
  } catch {
    // Not Linux: only the load average is reported.
  }
  return { wall, ownUs: own.user + own.system, busy };
}

/**
 * CPU taken by other processes between two snapshots, in cores (0 = a quiet machine).
 * `childrenUs`: CPU time of this run's own child processes, not counted as others'.
 */
export function otherCores(a, b, childrenUs = 0) {
  const seconds = (b.wall - a.wall) / 1000;
  if (!Number.isFinite(a.busy) || seconds <= 0) return null;
  const hz = 100; // USER_HZ: /proc/stat counts in 1/100 s on Linux
  const machine = (b.busy - a.busy) / hz;
  const own = (b.ownUs - a.ownUs + childrenUs) / 1e6;
  return Math.max(0, (machine - own) / seconds);
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * After a busy round: waits until other processes have used less than BUSY_CORES for one second,
 * or until the run's waiting budget (`budget.quietWaitMs`, shared by every case) is spent.
 * Returns the milliseconds waited.
 */
async function waitForQuiet(budget) {
  const started = performance.now();
  let quiet = 0;
  while (budget.quietWaitMs > 0 && performance.now() < budget.retryUntil && quiet < 2) {
    const a = cpuSnapshot();
    await sleep(500);
    const other = otherCores(a, cpuSnapshot());
    if (other === null) return 0;
    quiet = other < BUSY_CORES ? quiet + 1 : 0;
    budget.quietWaitMs -= 500;
  }
  return performance.now() - started;
}

/**
 * Runs one twin once: a fresh tinybench Bench with one task, its own warm-up, samples kept.
 * Each iteration does `ops` operations. The run's figure is its sustained rate: operations
 * divided by the time measured (`ops / mean iteration time`), so that a cost that comes in lumps
 * (a WAL checkpoint every few hundred commits, a GC pause) is counted at its true weight; the
 * median of per-iteration rates would hide it whenever fewer than half the iterations pay it.
 * The per-iteration rates' median and quartiles are kept beside it.
 */
async function runOnce(label, twin, settings) {
  const bench = new Bench({
    time: settings.timeMs,
    warmupTime: settings.warmupMs,
    iterations: 16,
    warmupIterations: 4,
    retainSamples: true,
    throws: true,
  });
  bench.add(label, twin.fn, { async: true });
  await bench.run();
  const task = bench.getTask(label);
  const result = task.result;
  if (result.state !== 'completed') {
    throw result.error ?? new Error(`${label}: tinybench ended in state ${result.state}`);
  }
  const latency = result.latency; // milliseconds per iteration, samples sorted ascending
  const sorted = latency.samples;
  const opsAt = (ms) => (twin.ops * 1000) / ms;
  return {
    rate: opsAt(latency.mean),
    iterations: sorted.length,
    // A longer iteration is a lower rate: the rates' p25 is the latency's p75.
    iterationRateMedian: opsAt(quantile(sorted, 0.5)),
    iterationRateP25: opsAt(quantile(sorted, 0.75)),
    iterationRateP75: opsAt(quantile(sorted, 0.25)),
    // tinybench's relative margin of error of the mean iteration time (95 %), within this run.
    rmePct: latency.rme,
  };
}

/** A twin over the kept rounds: the median of the runs' rates, and their min and max. */
function summarizeTwin(runs) {
  const rates = runs.map((r) => r.rate);
  return {
    median: median(rates),
    min: Math.min(...rates),
    max: Math.max(...rates),
    roundRates: rates,
    runs,
  };
}

/** Above this many cores of CPU taken by other processes during a round, the round is retried. */
export const BUSY_CORES = 0.25;

/** Runs both twins once, in `order`, each after reset, quiesce and the idle check. */
async function runRound(c, settings, order) {
  const cpu0 = cpuSnapshot();
  const round = { order: order.join(',') };
  for (const side of order) {
    await c.reset?.(side);
    await quiesce();
    c.assertIdle?.(side);
    // The pool's own counters (snapshots, group commits) around the hivedb twin's run.
    const before = side === 'hivedb' ? c.counters?.() : undefined;
    round[side] = await runOnce(`${c.id} ${side}`, c[side], settings);
    await quiesce();
    await c.verify?.(side);
    if (before !== undefined) round.diagnostics = c.diagnose(before, c.counters());
  }
  round.otherCores = otherCores(cpu0, cpuSnapshot());
  round.ratio = round.hivedb.rate / round.bare.rate;
  return round;
}

/**
 * Measures one case: a discarded priming round, then `settings.rounds` rounds, each running both twins, the order alternating
 * between rounds (hivedb then bare, bare then hivedb, …) so that neither twin always runs first.
 * Before every run: the case's `reset()` (not timed), then `quiesce()` (the pool's read snapshot
 * ends, garbage is collected), then the case's `assertIdle()`; after it, `verify(twin)`.
 * A round during which other processes took more than BUSY_CORES of CPU is set aside and run
 * again, after waiting for a quiet machine (within the run's waiting budget), up to
 * `settings.maxAttempts` rounds in all; if too few quiet rounds remain, the least
 * disturbed of those set aside fill the gap and the case is marked `underLoad`. A case's own
 * `settings` ({ rounds, timeMs, warmupMs, maxAttempts }) override the run's; its `meta` is copied
 * into the result.
 */
export async function measureCase(c, budget, log = () => {}) {
  // A case may run fewer or shorter rounds (`c.settings`); the waiting budget stays shared.
  const settings = c.settings ? { ...budget, ...c.settings } : budget;
  const kept = [];
  const setAside = [];
  let attempts = 0;
  let waitedMs = 0;
  // A first round, discarded: the JIT, each connection's page cache and the files settle before
  // anything counts (the pool's reader starts cold; the bare connection wrote the rows itself).
  await runRound(c, settings, ['hivedb', 'bare']);
  // Past the run's retry deadline, rounds are taken as they come (the whole run must stay short).
  const mayRetry = () => attempts < settings.maxAttempts && performance.now() < settings.retryUntil;
  while (kept.length < settings.rounds && (attempts < settings.rounds || mayRetry())) {
    attempts++;
    const order = kept.length % 2 === 0 ? ['hivedb', 'bare'] : ['bare', 'hivedb'];
    const round = await runRound(c, settings, order);
    const busy = round.otherCores !== null && round.otherCores > BUSY_CORES;
    (busy ? setAside : kept).push(round);
    if (busy) waitedMs += await waitForQuiet(budget);
    log(
      `  ${c.id} round ${attempts}: hivedb ${fmtOps(round.hivedb.rate)} bare ` +
        `${fmtOps(round.bare.rate)} ratio ${round.ratio.toFixed(2)}` +
        (round.otherCores === null
          ? ''
          : `, other processes ${round.otherCores.toFixed(2)} cores`) +
        (busy ? ' (busy: set aside)' : ''),
    );
  }
  const underLoad = kept.length < settings.rounds;
  if (underLoad) {
    setAside.sort((a, b) => a.otherCores - b.otherCores);
    kept.push(...setAside.splice(0, settings.rounds - kept.length));
  }
  const hivedb = summarizeTwin(kept.map((r) => r.hivedb));
  const bare = summarizeTwin(kept.map((r) => r.bare));
  const roundRatios = kept.map((r) => r.ratio);
  const ratio = hivedb.median / bare.median;
  const others = kept.map((r) => r.otherCores).filter((x) => x !== null);
  return {
    id: c.id,
    group: c.group,
    name: c.name,
    unit: c.unit,
    hivedbCode: c.hivedb.code,
    bareCode: c.bare.code,
    hivedb,
    bare,
    ratio,
    ratioRoundMin: Math.min(...roundRatios),
    ratioRoundMax: Math.max(...roundRatios),
    roundRatios,
    target: c.target ?? null,
    meta: c.meta ?? null,
    settings: c.settings ?? null,
    met: c.target === undefined ? null : ratio >= c.target,
    rounds: kept.length,
    roundsSetAside: attempts - kept.length,
    waitedForQuietS: Math.round(waitedMs / 1000),
    underLoad,
    otherProcessesCores: others.length > 0 ? Math.max(...others) : null,
    roundOrder: kept.map((r) => r.order),
    roundOtherCores: kept.map((r) => r.otherCores),
    hivedbDiagnostics: kept.map((r) => r.diagnostics ?? null),
  };
}

export function fmtOps(n) {
  if (!Number.isFinite(n)) return String(n);
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)}k`;
  return n.toFixed(0);
}
