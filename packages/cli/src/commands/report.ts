import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { type CommandContext, withPool } from '../context.js';
import { CliError } from '../errors.js';
import { formatCount, formatMs, table } from '../format.js';
import { parseDuration } from '../parse.js';
import { type ReportData, readReportData } from '../report/data.js';
import { renderHtml } from '../report/html.js';

/** Options of `report`. */
export interface ReportCommandOptions {
  readonly html?: string;
  /** Only the last part of the data: `5m`, `30s`. */
  readonly last?: string;
}

/** The report as terminal text. */
export function renderText(d: ReportData): string {
  if (d.range === null)
    return `no performance samples in ${d.source} yet (run \`hivedb demo\`, or attach a monitor with persistence)`;
  const secs = Math.max(1, (d.range.to - d.range.from) / 1000);
  const out = [
    `performance report: ${d.source}`,
    `${formatCount(d.samples)} samples over ${secs.toFixed(0)} s (${new Date(d.range.from).toISOString()} – ${new Date(d.range.to).toISOString()})`,
  ];
  if (d.demo !== null)
    out.push(
      `last demo: ${d.demo.agents} agents, ${formatCount(Number(d.demo.operations))} ops, ${formatCount(Number(d.demo.throughput))} ops/s, p99 ${formatMs(Number(d.demo.p99Ms))}, lost updates ${d.demo.lostUpdates}, integrity ${d.demo.integrityOk ? 'ok' : 'FAILED'}`,
    );
  out.push(
    '',
    table(
      ['operation', 'samples', 'per s', 'errors', 'p50', 'p99'],
      d.operations.map((o) => [
        o.operation,
        o.count,
        Number(o.perSec.toFixed(1)),
        o.errors,
        formatMs(o.p50),
        formatMs(o.p99),
      ]),
    ),
    '',
    `latency over time (${d.bucketMs / 1000} s buckets of persisted samples: slow ones always, others sampled):`,
    table(
      ['time', 'samples', 'p50', 'p95', 'p99', 'max'],
      d.latency.map((p) => [
        new Date(p.t).toISOString().slice(11, 19),
        p.count,
        formatMs(p.p50),
        formatMs(p.p95),
        formatMs(p.p99),
        formatMs(p.max),
      ]),
    ),
    '',
    'slowest:',
    table(
      ['time', 'operation', 'key', 'agent', 'duration'],
      d.slow.map((s) => [
        new Date(s.at).toISOString().slice(11, 23),
        s.operation,
        s.memoryKey,
        s.agentId,
        formatMs(s.ms),
      ]),
    ),
  );
  if (d.pool.length > 0) {
    const pcts = d.pool.map((p) => p.pct);
    out.push(
      '',
      `pool utilisation: mean ${(pcts.reduce((a, b) => a + b, 0) / pcts.length).toFixed(1)}%, peak ${Math.max(...pcts).toFixed(1)}% (${pcts.length} samples)`,
    );
  }
  out.push('', d.alerts.length === 0 ? 'alerts: none' : `alerts (${d.alerts.length}):`);
  for (const a of d.alerts)
    out.push(
      `  ${new Date(a.at).toISOString().slice(11, 19)} [${a.severity}] ${a.type}: ${a.message}`,
    );
  return out.join('\n');
}

/** Writes the HTML report of `data` to `file` (folders created); returns the absolute path. */
export function writeHtmlReport(data: ReportData, file: string): string {
  const abs = path.resolve(file);
  try {
    mkdirSync(path.dirname(abs), { recursive: true });
    writeFileSync(abs, renderHtml(data));
  } catch (cause) {
    throw new CliError(
      'CLI_IO',
      `could not write the HTML report to ${abs}: ${(cause as Error).message}`,
      { cause },
    );
  }
  return abs;
}

/** `report [--json] [--html FILE] [--last 5m]`: the performance report from hive.db. */
export async function reportCommand(
  ctx: CommandContext,
  opts: ReportCommandOptions,
): Promise<void> {
  const lastMs = parseDuration(opts.last, '--last');
  const data = await withPool(ctx, 'hive', async (pool) => {
    let since: number | undefined;
    if (lastMs !== undefined) {
      const hi = await pool.get<{ hi: number | null }>(
        'SELECT MAX(timestamp) AS hi FROM query_performance',
      );
      since = (hi?.hi ?? Date.now()) - lastMs;
    }
    return readReportData(pool, ctx.root.hivePath, since === undefined ? {} : { since });
  });
  const html = opts.html === undefined ? null : writeHtmlReport(data, opts.html);
  if (ctx.json) ctx.result({ ...data, html }, () => '');
  else {
    ctx.result(data, () => renderText(data));
    if (html !== null) ctx.out.write(`HTML report written to ${html}\n`);
  }
}
