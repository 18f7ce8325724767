import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { PerformanceMonitor } from '@hivedb/monitor';
import { createPool, type Pool } from '@hivedb/pool';
import { validateIntegrity } from '@hivedb/schema';
import { SharedMemoryStore } from '@hivedb/store';
import type { CommandContext } from '../context.js';
import { problemsOf } from '../database/inspect.js';
import { CliError } from '../errors.js';
import { formatCount } from '../format.js';
import { ensureDir } from '../io/ensure-dir.js';
import { checkOutputPath, type OutputFileOptions } from '../io/output-file.js';
import { parseDuration, parseInteger } from '../parse.js';
import { CLI_ROW_PREFIX, readReportData } from '../report/data.js';
import { hasFeature } from '../store-features.js';
import { writeHtmlReport } from './report.js';
import { type AgentConfig, type AgentMessage, demoKeys, HIST_BINS } from '../demo/protocol.js';
import { type DemoSummary, histQuantile, mergeHist, renderSummary } from '../demo/summary.js';
import { runSwarm } from '../demo/swarm.js';

/** Options of `demo`. */
export interface DemoCommandOptions {
  readonly agents?: string;
  readonly duration?: string;
  readonly html?: string;
  readonly sampleRate?: string;
  readonly fresh?: boolean;
  /** Replace an existing `--html` file. */
  readonly force?: boolean;
}

const COUNTERS = 4;
/** Agents not open after this long are left behind: the others start (the late ones start too, late). */
const OPEN_TIMEOUT_MS = 60_000;
/** After the deadline, agents still running this long are killed and reported as failed. */
const FINISH_GRACE_MS = 60_000;
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
 * checked) and the HTML report. Exit 1 when a check fails or an agent failed.
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
  ensureDir(root.dir);
  if (opts.fresh === true)
    for (const f of [root.memoryPath, root.hivePath])
      for (const suffix of ['', '-wal', '-shm']) rmSync(`${f}${suffix}`, { force: true });

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
  let timer: NodeJS.Timeout | undefined;
  try {
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
          { namespace: 'task_results' },
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
    const latest = new Map<number, Extract<AgentMessage, { type: 'tick' }>>();
    const pending: Promise<unknown>[] = [];
    const readySeen = new Set<number>();
    let deadline: number | undefined;
    let startAll: () => void = () => undefined;
    const allReady = new Promise<void>((r) => {
      startAll = r;
    });
    // Every agent waits for the start signal: one that dies while opening (or never gets ready)
    // must not leave the others waiting, so an exit counts towards "all settled" too.
    let settled = 0;
    const settle = () => {
      if (++settled === agents) startAll();
    };
    const swarm = runSwarm(
      configs,
      (m) => {
        if (m.type === 'ready') {
          readySeen.add(m.index);
          settle();
          // a late agent (opened after the others started) starts at once, with the same deadline
          if (deadline !== undefined) swarm.children[m.index]?.send({ type: 'start', deadline });
        } else if (m.type === 'tick') latest.set(m.index, m);
        else if (m.type === 'alert')
          pending.push(
            insertCliRow(
              hive,
              'alert',
              m.value,
              JSON.stringify({ type: m.alertType, severity: m.severity, message: m.message }),
              `agent-${m.index}`,
            ).catch(() => undefined),
          );
      },
      (index) => {
        if (!readySeen.has(index)) settle();
      },
    );
    const openTimeout = setTimeout(startAll, OPEN_TIMEOUT_MS);
    openTimeout.unref();
    await allReady;
    clearTimeout(openTimeout);
    const t0 = Date.now();
    deadline = t0 + durationMs;
    for (const c of swarm.children) if (c.connected) c.send({ type: 'start', deadline });
    const killer = setTimeout(() => {
      for (const c of swarm.children)
        if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    }, durationMs + FINISH_GRACE_MS);
    killer.unref();
    ctx.note(
      `[demo] all agents open after ${((performance.now() - wall0) / 1000).toFixed(1)} s; running for ${(durationMs / 1000).toFixed(1)} s`,
    );

    const live = ctx.out.isTTY;
    let lastLine = 0;
    timer = setInterval(() => {
      let ops = 0;
      let errors = 0;
      let pct = 0;
      let waiting = 0;
      let changes = 0;
      for (const t of latest.values()) {
        ops += t.ops;
        errors += t.errors;
        pct += t.poolPct;
        waiting += t.waiting;
        changes += t.changes;
      }
      if (latest.size > 0)
        pending.push(
          insertCliRow(hive, 'pool', pct / latest.size, 'agents:memory.db', null, waiting).catch(
            () => undefined,
          ),
        );
      const el = Math.min(durationMs, Date.now() - t0) / 1000;
      const line = `[demo] ${el.toFixed(0)}/${(durationMs / 1000).toFixed(0)} s  ${agents} agents  ${formatCount(ops)} ops  ${formatCount(ops / Math.max(el, 0.001))} ops/s  errors ${errors}${feed ? `  feed ${formatCount(changes + parentChanges)}` : ''}  pool ${(pct / Math.max(1, latest.size)).toFixed(0)}%`;
      if (live) ctx.out.error(`\r${line}\u001b[K`);
      else if (Date.now() - lastLine >= 5000) {
        lastLine = Date.now();
        ctx.out.error(`${line}\n`);
      }
    }, 1000);
    timer.unref();

    const outcomes = await swarm.finished;
    clearTimeout(killer);
    clearInterval(timer);
    if (live) ctx.out.error('\n');
    await Promise.all(pending);
    sub?.unsubscribe();
    ctx.note('[demo] agents done; checking counters and integrity');

    const hist = new Array<number>(HIST_BINS).fill(0);
    const byKind: Record<string, number> = {};
    const errorCodes: Record<string, number> = {};
    const inc = new Array<number>(COUNTERS).fill(0);
    const guarded = new Array<number>(GUARDED).fill(0);
    let operations = 0;
    let errors = 0;
    let lockContention = 0;
    let staleTokens = 0;
    let changes = parentChanges;
    let elapsed = 0;
    const failedAgents: string[] = [];
    for (const o of outcomes) {
      if (o.done === null) {
        failedAgents.push(`agent-${o.index}: ${o.failure ?? 'no report'}`);
        continue;
      }
      const d = o.done;
      operations += d.ops;
      errors += d.errors;
      lockContention += d.lockWaits;
      staleTokens += d.staleTokens;
      changes += d.changes;
      elapsed = Math.max(elapsed, d.elapsedMs);
      mergeHist(hist, d.hist);
      for (const [k, n] of Object.entries(d.byKind)) byKind[k] = (byKind[k] ?? 0) + n;
      for (const [k, n] of Object.entries(d.errorCodes)) errorCodes[k] = (errorCodes[k] ?? 0) + n;
      d.increments.forEach((n, i) => {
        inc[i] = (inc[i] ?? 0) + n;
      });
      d.guardedUpdates.forEach((n, i) => {
        guarded[i] = (guarded[i] ?? 0) + n;
      });
    }
    let lost = 0;
    let phantom = 0;
    let incActual = 0;
    let guardedActual = 0;
    const compare = async (key: string, expected: number) => {
      const v = await store.get(key, { namespace: 'metrics', bypassCache: true });
      const actual = typeof v === 'number' ? v : 0;
      if (actual < expected) lost += expected - actual;
      else phantom += actual - expected;
      return actual;
    };
    for (let i = 0; i < COUNTERS; i++)
      incActual += await compare(demoKeys.counter(runId, i), inc[i] ?? 0);
    for (let i = 0; i < GUARDED; i++)
      guardedActual += await compare(demoKeys.guarded(runId, i), guarded[i] ?? 0);

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
    const secs = Math.max(0.001, (elapsed || durationMs) / 1000);
    summary = {
      runId,
      agents,
      durationMs: elapsed || durationMs,
      wallMs: 0,
      operations,
      throughput: operations / secs,
      byKind,
      p50Ms: histQuantile(hist, 0.5),
      p99Ms: histQuantile(hist, 0.99),
      errors,
      errorCodes,
      failedAgents,
      increments: { expected: inc.reduce((a, b) => a + b, 0), actual: incActual },
      guardedUpdates: {
        expected: guarded.reduce((a, b) => a + b, 0),
        actual: guardedActual,
        via: locks ? 'locks' : 'atomic',
      },
      lostUpdates: lost,
      phantomUpdates: phantom,
      lockContention,
      staleTokens,
      changesSeen: feed ? changes : null,
      skipped,
      integrityOk: integrity.ok,
      integrityProblems: problemsOf(integrity),
      report: htmlPath,
      ok: lost === 0 && phantom === 0 && integrity.ok && failedAgents.length === 0,
    };
    await monitor.stop();
    await insertCliRow(hive, 'demo', 0, JSON.stringify(summary), null);
    const data = await readReportData(hive, root.hivePath, { since: runStart });
    summary = {
      ...summary,
      report: await writeHtmlReport(root, data, htmlPath, htmlOptions),
      wallMs: performance.now() - wall0,
    };
  } finally {
    if (timer !== undefined) clearInterval(timer);
    await monitor.stop().catch(() => undefined);
    await hive.close().catch(() => undefined);
    await store.shutdown().catch(() => undefined);
  }
  const s = summary;
  ctx.result(s, () => renderSummary(s));
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
