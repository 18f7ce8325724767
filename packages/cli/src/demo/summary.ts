import { formatBytes, formatCount, formatMs } from '../format.js';
import { printable } from '../terminal-text.js';
import { binUpperMs, HIST_BINS } from './protocol.js';
import type { AgentOutcome } from './swarm.js';

/** The demo's closing figures (also stored in hive.db as the `hivedb:demo` row). */
export interface DemoSummary {
  readonly runId: string;
  readonly agents: number;
  readonly durationMs: number;
  /** Wall time of the whole command, set-up and checks included. */
  readonly wallMs: number;
  readonly operations: number;
  readonly throughput: number;
  readonly byKind: Record<string, number>;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** The slowest operation of any agent (the upper bound of its histogram bin). */
  readonly maxMs: number;
  readonly errors: number;
  readonly errorCodes: Record<string, number>;
  readonly failedAgents: string[];
  readonly increments: { readonly expected: number; readonly actual: number };
  readonly guardedUpdates: {
    readonly expected: number;
    readonly actual: number;
    readonly via: 'locks' | 'atomic';
  };
  /** Updates counted by agents but missing from the shared counters (must be 0). */
  readonly lostUpdates: number;
  /** Updates in the counters that no agent counted (must be 0). */
  readonly phantomUpdates: number;
  /** The largest `memory.db-wal` and `hive.db-wal` seen, sampled every 100 ms, and their bound. */
  readonly wal: {
    readonly memoryMaxBytes: number;
    readonly hiveMaxBytes: number;
    readonly limitBytes: number;
    readonly samples: number;
  };
  readonly lockContention: number;
  readonly staleTokens: number;
  readonly changesSeen: number | null;
  readonly skipped: string[];
  readonly integrityOk: boolean;
  readonly integrityProblems: string[];
  readonly report: string | null;
  /** Stopped early by Ctrl-C (SIGINT): the figures cover the work done until then. */
  readonly interrupted: boolean;
  /** The agents' process ids (all exited by the time the summary is printed). */
  readonly agentPids: readonly number[];
  readonly ok: boolean;
}

/** What the agents' final reports add up to. */
export interface Tally {
  readonly operations: number;
  readonly errors: number;
  readonly lockContention: number;
  readonly staleTokens: number;
  readonly changes: number;
  /** The longest an agent worked (ms). */
  readonly elapsedMs: number;
  readonly hist: number[];
  readonly byKind: Record<string, number>;
  readonly errorCodes: Record<string, number>;
  /** Successful increments per shared counter, and guarded updates per guarded counter. */
  readonly increments: number[];
  readonly guardedUpdates: number[];
  /** `agent-3: why`, for each agent that gave no report. */
  readonly failedAgents: string[];
}

/** Adds up the agents' final reports (`counters` shared, `guarded` lock-guarded counters). */
export function tally(outcomes: readonly AgentOutcome[], counters: number, guarded: number): Tally {
  const t = {
    operations: 0,
    errors: 0,
    lockContention: 0,
    staleTokens: 0,
    changes: 0,
    elapsedMs: 0,
    hist: new Array<number>(HIST_BINS).fill(0),
    byKind: {} as Record<string, number>,
    errorCodes: {} as Record<string, number>,
    increments: new Array<number>(counters).fill(0),
    guardedUpdates: new Array<number>(guarded).fill(0),
    failedAgents: [] as string[],
  };
  for (const o of outcomes) {
    const d = o.done;
    if (d === null) {
      t.failedAgents.push(`agent-${o.index}: ${o.failure ?? 'no report'}`);
      continue;
    }
    t.operations += d.ops;
    t.errors += d.errors;
    t.lockContention += d.lockWaits;
    t.staleTokens += d.staleTokens;
    t.changes += d.changes;
    t.elapsedMs = Math.max(t.elapsedMs, d.elapsedMs);
    mergeHist(t.hist, d.hist);
    for (const [k, n] of Object.entries(d.byKind)) t.byKind[k] = (t.byKind[k] ?? 0) + n;
    for (const [k, n] of Object.entries(d.errorCodes)) t.errorCodes[k] = (t.errorCodes[k] ?? 0) + n;
    d.increments.forEach((n, i) => {
      t.increments[i] = (t.increments[i] ?? 0) + n;
    });
    d.guardedUpdates.forEach((n, i) => {
      t.guardedUpdates[i] = (t.guardedUpdates[i] ?? 0) + n;
    });
  }
  return t;
}

/** Adds `src` into `dst` bin by bin. */
export function mergeHist(dst: number[], src: readonly number[]): void {
  for (let i = 0; i < HIST_BINS; i++) dst[i] = (dst[i] ?? 0) + (src[i] ?? 0);
}

/** The quantile of a merged histogram, as the upper bound of its bin (within ~9%). */
export function histQuantile(hist: readonly number[], q: number): number {
  const total = hist.reduce((a, b) => a + b, 0);
  if (total === 0) return 0;
  const rank = Math.ceil(q * total);
  let seen = 0;
  for (let i = 0; i < hist.length; i++) {
    seen += hist[i] ?? 0;
    if (seen >= rank) return binUpperMs(i);
  }
  return binUpperMs(hist.length - 1);
}

/** The summary as terminal lines. */
export function renderSummary(s: DemoSummary): string {
  const kinds = Object.entries(s.byKind)
    .sort((a, b) => b[1] - a[1])
    .map(([k, n]) => `${k} ${formatCount(n)}`)
    .join(', ');
  return [
    '',
    `demo ${s.interrupted ? 'INTERRUPTED (partial figures)' : s.ok ? 'finished' : 'FAILED'}: ${s.agents} agent processes for ${(s.durationMs / 1000).toFixed(1)} s (${(s.wallMs / 1000).toFixed(1)} s in all)`,
    `  operations     ${formatCount(s.operations)} (${kinds})`,
    `  throughput     ${formatCount(s.throughput)} ops/s`,
    `  latency        p50 ${formatMs(s.p50Ms)}, p99 ${formatMs(s.p99Ms)}, slowest ${formatMs(s.maxMs)}`,
    `  errors         ${s.errors}${
      s.errors > 0
        ? ` (${Object.entries(s.errorCodes)
            .map(([c, n]) => `${printable(c)} ${n}`)
            .join(', ')})`
        : ''
    }`,
    `  lost updates   ${s.lostUpdates} (checked: ${formatCount(s.increments.expected)} counted increments, counters hold ${formatCount(s.increments.actual)}; ${formatCount(s.guardedUpdates.expected)} ${s.guardedUpdates.via === 'locks' ? 'lock-guarded' : 'atomic'} updates, counters hold ${formatCount(s.guardedUpdates.actual)})${s.phantomUpdates > 0 ? `; ${s.phantomUpdates} updates no agent counted` : ''}`,
    `  wal            largest memory.db-wal ${formatBytes(s.wal.memoryMaxBytes)}, hive.db-wal ${formatBytes(s.wal.hiveMaxBytes)} (bound ${formatBytes(s.wal.limitBytes)}${Math.max(s.wal.memoryMaxBytes, s.wal.hiveMaxBytes) > s.wal.limitBytes ? ', EXCEEDED' : ''}; ${formatCount(s.wal.samples)} samples, one per 100 ms)`,
    `  locks          ${s.guardedUpdates.via === 'locks' ? `${formatCount(s.lockContention)} waits gave up, ${s.staleTokens} stale fencing tokens refused` : 'skipped'}`,
    `  change feed    ${s.changesSeen === null ? 'skipped' : `${formatCount(s.changesSeen)} changes delivered to subscribers`}`,
    `  integrity      ${s.integrityOk ? 'ok' : `FAILED: ${printable(s.integrityProblems.join('; '))}`}`,
    ...(s.failedAgents.length > 0
      ? [`  failed agents  ${printable(s.failedAgents.join('; '))}`]
      : []),
    ...(s.skipped.length > 0 ? [`  skipped        ${s.skipped.join('; ')}`] : []),
    ...(s.report !== null ? [`  report         ${printable(s.report)}`] : []),
  ].join('\n');
}
