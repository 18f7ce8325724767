import { formatCount, formatMs } from '../format.js';
import { binUpperMs, HIST_BINS } from './protocol.js';

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
  readonly lockContention: number;
  readonly staleTokens: number;
  readonly changesSeen: number | null;
  readonly skipped: string[];
  readonly integrityOk: boolean;
  readonly integrityProblems: string[];
  readonly report: string | null;
  readonly ok: boolean;
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
    `demo ${s.ok ? 'finished' : 'FAILED'}: ${s.agents} agent processes for ${(s.durationMs / 1000).toFixed(1)} s (${(s.wallMs / 1000).toFixed(1)} s in all)`,
    `  operations     ${formatCount(s.operations)} (${kinds})`,
    `  throughput     ${formatCount(s.throughput)} ops/s`,
    `  latency        p50 ${formatMs(s.p50Ms)}, p99 ${formatMs(s.p99Ms)}`,
    `  errors         ${s.errors}${
      s.errors > 0
        ? ` (${Object.entries(s.errorCodes)
            .map(([c, n]) => `${c} ${n}`)
            .join(', ')})`
        : ''
    }`,
    `  lost updates   ${s.lostUpdates} (checked: ${formatCount(s.increments.expected)} counted increments, counters hold ${formatCount(s.increments.actual)}; ${formatCount(s.guardedUpdates.expected)} ${s.guardedUpdates.via === 'locks' ? 'lock-guarded' : 'atomic'} updates, counters hold ${formatCount(s.guardedUpdates.actual)})${s.phantomUpdates > 0 ? `; ${s.phantomUpdates} updates no agent counted` : ''}`,
    `  locks          ${s.guardedUpdates.via === 'locks' ? `${formatCount(s.lockContention)} waits gave up, ${s.staleTokens} stale fencing tokens refused` : 'skipped'}`,
    `  change feed    ${s.changesSeen === null ? 'skipped' : `${formatCount(s.changesSeen)} changes delivered to subscribers`}`,
    `  integrity      ${s.integrityOk ? 'ok' : `FAILED: ${s.integrityProblems.join('; ')}`}`,
    ...(s.failedAgents.length > 0 ? [`  failed agents  ${s.failedAgents.join('; ')}`] : []),
    ...(s.skipped.length > 0 ? [`  skipped        ${s.skipped.join('; ')}`] : []),
    ...(s.report !== null ? [`  report         ${s.report}`] : []),
  ].join('\n');
}
