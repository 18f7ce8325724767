import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { PerformanceMonitor } from '@hivedb/monitor';
import { createPool, DEFAULT_POOL_OPTIONS, type Pool } from '@hivedb/pool';
import { validateIntegrity } from '@hivedb/schema';
import { SharedMemoryStore } from '@hivedb/store';
import type { CommandContext } from '../context.js';
import { problemsOf } from '../database/inspect.js';
import { coordinateSwarm } from '../demo/coordinator.js';
import { type AgentConfig, DEMO_NAMESPACES, demoKeys } from '../demo/protocol.js';
import { clearDemoNamespaces, guardDemoRoot } from '../demo/root-guard.js';
import { type DemoSummary, histQuantile, renderSummary, tally } from '../demo/summary.js';
import { CliError } from '../errors.js';
import { checkOutputPath, type OutputFileOptions } from '../io/output-file.js';
import { parseDuration, parseInteger } from '../parse.js';
import { CLI_ROW_PREFIX, type ReportData, readReportData } from '../report/data.js';
import { hasFeature } from '../store-features.js';
import { WalSampler } from '../demo/wal-sampler.js';
import { writeHtmlReport } from './report.js';

/** Options of `demo`. */
export interface DemoCommandOptions {
  readonly agents?: string;
  readonly duration?: string;
  readonly html?: string;
  readonly sampleRate?: string;
  /** Remove what earlier demos left in the demo's own namespaces first. */
  readonly fresh?: boolean;
  /** Replace an existing `--html` file. */
  readonly force?: boolean;
  /** Run on a root holding entries outside `demo:*` (never touched). */
  readonly allowExistingData?: boolean;
}

const COUNTERS = 4;
const GUARDED = 4;

function parseRate(v: string | undefined): number {
  const n = Number(v ?? '0.05');
  if (v !== undefined && (!/^\d*\.?\d+$/.test(v) || !(n > 0) || n > 1))
    throw new CliError(
      'CLI_USAGE',
      `--sample-rate: expected a number in (0, 1] (got ${JSON.stringify(v)})`,
    );
  return n;
}

function insertCliRow(
  hive: Pool,
  type: string,
  value: number,
  key: string | null,
  agent: string | null,
  rows = 0,
): Promise<unknown> {
  return hive.run(
    'INSERT INTO query_performance (query_type, execution_time_ms, memory_key, agent_id, timestamp, rows_affected, cache_hit) VALUES (?, ?, ?, ?, ?, ?, 0)',
    [`${CLI_ROW_PREFIX}${type}`, value, key, agent, Date.now(), rows],
  );
}

/**
 * `demo`: N agent processes share one memory.db for a set time — they write results, read each
 * other's, take locks, increment shared counters and follow the change feed — with a monitor in
 * each persisting to hive.db. Ends with a summary (lost updates checked exactly, integrity
 * checked) and the HTML report. Exit 1 when a check fails or an agent failed; 130 after Ctrl-C
 * (every agent stopped, the partial summary printed).
 *
 * Everything it writes in memory.db is in its own namespaces (`demo:task_results`,
 * `demo:metrics`); it refuses a root holding other entries unless `--allow-existing-data`, and
 * `--fresh` clears only its own namespaces.
 */
export async function demoCommand(ctx: CommandContext, opts: DemoCommandOptions): Promise<void> {
  const agents = parseInteger(opts.agents ?? '24', '--agents', 1) ?? 24;
  if (agents > 256) throw new CliError('CLI_USAGE', `--agents: at most 256 (got ${agents})`);
  const durationMs = parseDuration(opts.duration ?? '20s', '--duration') ?? 20_000;
  if (durationMs < 500)
    throw new CliError('CLI_USAGE', `--duration: at least 500ms (got ${opts.duration})`);
  const sampleRate = parseRate(opts.sampleRate);
  const { root } = ctx;
  // The default report is the demo's own file in the root: it replaces it run after run.
  const ownReport = path.join(root.dir, 'report.html');
  const htmlPath = opts.html ?? ownReport;
  const htmlOptions: OutputFileOptions = {
    what: 'demo --html',
    force: opts.force === true,
    ...(opts.html === undefined ? { ownedPath: ownReport } : {}),
  };
  checkOutputPath(root, htmlPath, htmlOptions);
  const wall0 = performance.now();
  await guardDemoRoot(ctx, opts.allowExistingData === true);

  const store = await SharedMemoryStore.open({ projectRoot: root.projectRoot, gcInterval: 0 });
  const hive = createPool({
    filename: 'hive.db',
    root: root.dir,
    minConnections: 1,
    maxConnections: 2,
    healthCheckInterval: 0,
  });
  const monitor = new PerformanceMonitor({
    slowQueryThreshold: 100,
    monitoringInterval: 1000,
    persistence: { pool: hive, sampleRate, flushIntervalMs: 1000, migrate: false },
  });
  monitor.attach(store.events, { name: 'demo:store' });
  monitor.events.on('error', () => undefined);
  const traceDir = process.env.HIVEDB_DEMO_TRACE;
  if (traceDir !== undefined) {
    // Diagnostics (see agent.ts): this process's checkpoints and WAL reports, one JSON line each.
    const { appendFileSync } = await import('node:fs');
    for (const [name, pool] of Object.entries(store.pools())) {
      if (pool === null) continue;
      for (const ev of ['checkpoint', 'wal', 'error'] as const) {
        pool.events.on(ev, (e: object) =>
          appendFileSync(
            `${traceDir}/parent-${name}.jsonl`,
            `${JSON.stringify({ ev, at: Date.now(), ...e, error: (e as { error?: unknown }).error === undefined ? undefined : String((e as { error?: unknown }).error) })}\n`,
          ),
        );
      }
    }
  }
  const locks = hasFeature(store, 'acquireLock') && hasFeature(store, 'releaseLock');
  const feed = hasFeature(store, 'subscribe');
  const skipped: string[] = [];
  if (!locks)
    skipped.push(
      'locks (not available in this @hivedb/store version; guarded counters use atomic() instead)',
    );
  if (!feed) skipped.push('change feed (not available in this @hivedb/store version)');
  for (const s of skipped) ctx.note(`[demo] skipping ${s}`);

  const runId = `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
  const runStart = Date.now();
  let summary: DemoSummary | undefined;
  let reportData: ReportData | undefined;
  try {
    if (opts.fresh === true)
      ctx.note(
        `[demo] --fresh: removed ${await clearDemoNamespaces(store)} entries of earlier demos`,
      );
    await monitor.start();
    let parentChanges = 0;
    const sub = feed
      ? (
          store as unknown as {
            subscribe(p: string, cb: () => void, o: object): { unsubscribe(): void };
          }
        ).subscribe(
          `result:${runId}:*`,
          () => {
            parentChanges++;
          },
          { namespace: DEMO_NAMESPACES.results },
        )
      : null;

    const configs: AgentConfig[] = Array.from({ length: agents }, (_, index) => ({
      index,
      agents,
      runId,
      dir: root.dir,
      projectRoot: root.projectRoot,
      sampleRate,
      counters: COUNTERS,
      guarded: GUARDED,
      seed: (runStart + index * 7919) >>> 0,
    }));
    ctx.note(`[demo] starting ${agents} agent processes on ${root.memoryPath} (run ${runId})`);
    const pending: Promise<unknown>[] = [];
    const record = (type: string, value: number, key: string | null, agent: string | null, n = 0) =>
      pending.push(insertCliRow(hive, type, value, key, agent, n).catch(() => undefined));
    const wal = new WalSampler({ memory: root.memoryPath, hive: root.hivePath }, (_at, m, h) => {
      record('wal', m, 'memory.db', null);
      record('wal', h, 'hive.db', null);
    });
    const run = await coordinateSwarm(ctx, configs, durationMs, wall0, {
      onPoolSample: (pct, waiting) => record('pool', pct, 'agents:memory.db', null, waiting),
      onAlert: (m) =>
        record(
          'alert',
          m.value,
          JSON.stringify({ type: m.alertType, severity: m.severity, message: m.message }),
          `agent-${m.index}`,
        ),
      parentChanges: () => (feed ? parentChanges : null),
    });
    const walPeaks = wal.stop();
    await Promise.all(pending);
    sub?.unsubscribe();
    ctx.note('[demo] agents done; checking counters and integrity');

    const t = tally(run.outcomes, COUNTERS, GUARDED);
    let lost = 0;
    let phantom = 0;
    const compare = async (key: string, expected: number) => {
      const v = await store.get(key, { namespace: DEMO_NAMESPACES.counters, bypassCache: true });
      const actual = typeof v === 'number' ? v : 0;
      if (actual < expected) lost += expected - actual;
      else phantom += actual - expected;
      return actual;
    };
    let incActual = 0;
    let guardedActual = 0;
    for (let i = 0; i < COUNTERS; i++)
      incActual += await compare(demoKeys.counter(runId, i), t.increments[i] ?? 0);
    for (let i = 0; i < GUARDED; i++)
      guardedActual += await compare(demoKeys.guarded(runId, i), t.guardedUpdates[i] ?? 0);

    const memPool = createPool({
      filename: 'memory.db',
      root: root.dir,
      minConnections: 1,
      maxConnections: 1,
      healthCheckInterval: 0,
    });
    const integrity = await validateIntegrity(memPool, { definitions: 'memory' }).finally(() =>
      memPool.close(),
    );
    const duration = t.elapsedMs || durationMs;
    const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);
    summary = {
      runId,
      agents,
      durationMs: duration,
      wallMs: 0,
      operations: t.operations,
      throughput: t.operations / Math.max(0.001, duration / 1000),
      byKind: t.byKind,
      p50Ms: histQuantile(t.hist, 0.5),
      p99Ms: histQuantile(t.hist, 0.99),
      maxMs: histQuantile(t.hist, 1),
      errors: t.errors,
      errorCodes: t.errorCodes,
      failedAgents: t.failedAgents,
      increments: { expected: sum(t.increments), actual: incActual },
      guardedUpdates: {
        expected: sum(t.guardedUpdates),
        actual: guardedActual,
        via: locks ? 'locks' : 'atomic',
      },
      lostUpdates: lost,
      phantomUpdates: phantom,
      wal: { ...walPeaks, limitBytes: DEFAULT_POOL_OPTIONS.walLimitBytes },
      lockContention: t.lockContention,
      staleTokens: t.staleTokens,
      changesSeen: feed ? t.changes + parentChanges : null,
      skipped,
      integrityOk: integrity.ok,
      integrityProblems: problemsOf(integrity),
      // Ctrl-C means "stop now": the summary is printed, the report is not written.
      report: run.interrupted ? null : htmlPath,
      interrupted: run.interrupted,
      agentPids: run.pids,
      ok: lost === 0 && phantom === 0 && integrity.ok && t.failedAgents.length === 0,
    };
    await monitor.stop();
    await insertCliRow(hive, 'demo', 0, JSON.stringify(summary), null);
    if (!run.interrupted)
      reportData = await readReportData(hive, root.hivePath, { since: runStart });
  } finally {
    await monitor.stop().catch(() => undefined);
    await hive.close().catch(() => undefined);
    await store.shutdown().catch(() => undefined);
  }
  // Written once this process's pools are closed: checking the target reads file headers, and
  // a descriptor opened and closed on a database in use would drop its pools' locks.
  if (reportData !== undefined)
    summary = {
      ...summary,
      report: await writeHtmlReport(root, reportData, htmlPath, htmlOptions),
    };
  const s = { ...summary, wallMs: performance.now() - wall0 };
  ctx.result(s, () => renderSummary(s));
  if (s.interrupted)
    throw new CliError(
      'CLI_INTERRUPTED',
      `demo: interrupted by Ctrl-C after ${(s.durationMs / 1000).toFixed(1)} s; all ${s.agents} agents stopped (the figures above cover the work done until then)`,
    );
  if (!s.ok)
    throw new CliError(
      'CLI_CHECK_FAILED',
      `demo: ${[
        s.lostUpdates > 0 ? `${s.lostUpdates} lost updates` : '',
        s.phantomUpdates > 0 ? `${s.phantomUpdates} updates no agent counted` : '',
        s.integrityOk ? '' : 'integrity check failed',
        s.failedAgents.length > 0 ? `${s.failedAgents.length} agents failed` : '',
      ]
        .filter(Boolean)
        .join(', ')}`,
    );
}
