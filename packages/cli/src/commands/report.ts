import { writeFileSync } from 'node:fs';
import type { CommandContext } from '../context.js';
import { openSoundDatabase } from '../database/inspect.js';
import { formatCount, formatMs, table } from '../format.js';
import { checkOutputPath, type OutputFileOptions, writeOutputFile } from '../io/output-file.js';
import { parseDuration } from '../parse.js';
import type { HiveRoot } from '../root.js';
import { type ReportData, readReportData } from '../report/data.js';
import { renderHtml } from '../report/html.js';
import { safe } from '../terminal-text.js';

/** Options of `report`. */
export interface ReportCommandOptions {
  readonly html?: string;
  /** Only the last part of the data: `5m`, `30s`. */
  readonly last?: string;
  /** Replace an existing `--html` file (never a database or a file of the root). */
  readonly force?: boolean;
}

/** The report as terminal text. */
export function renderText(d: ReportData): string {
  if (d.range === null)
    return (
      safe`no performance samples in ${d.source} yet` +
      ' (run `hivedb demo`, or attach a monitor with persistence)'
    );
  const secs = Math.max(1, (d.range.to - d.range.from) / 1000);
  const out = [
    safe`performance report: ${d.source}`,
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
      safe`  ${new Date(a.at).toISOString().slice(11, 19)} [${a.severity}] ${a.type}: ${a.message}`,
    );
  return out.join('\n');
}

/**
 * Writes the HTML report of `data` to `file` (folders created) by the one rule of output files
 * (`CLI_UNSAFE_OUTPUT`: never over a database or a file of the root; an existing file only with
 * `force`); returns the absolute path.
 */
export async function writeHtmlReport(
  root: HiveRoot,
  data: ReportData,
  file: string,
  options: OutputFileOptions,
): Promise<string> {
  const html = renderHtml(data);
  const { path } = await writeOutputFile(root, file, options, (temp) =>
    writeFileSync(temp, html, { flag: 'wx' }),
  );
  return path;
}

/** `report [--json] [--html FILE [--force]] [--last 5m]`: the performance report from hive.db. Read-only on hive.db. */
export async function reportCommand(
  ctx: CommandContext,
  opts: ReportCommandOptions,
): Promise<void> {
  const lastMs = parseDuration(opts.last, '--last');
  const htmlOptions = { what: 'report --html', force: opts.force === true };
  // The target is checked before hive.db is opened: a refused file costs nothing.
  if (opts.html !== undefined) checkOutputPath(ctx.root, opts.html, htmlOptions);
  const pool = await openSoundDatabase(ctx.root, 'hive');
  let data: ReportData;
  try {
    let since: number | undefined;
    if (lastMs !== undefined) {
      const hi = await pool.get<{ hi: number | null }>(
        'SELECT MAX(timestamp) AS hi FROM query_performance',
      );
      since = (hi?.hi ?? Date.now()) - lastMs;
    }
    data = await readReportData(pool, ctx.root.hivePath, since === undefined ? {} : { since });
  } finally {
    await pool.close();
  }
  const html =
    opts.html === undefined ? null : await writeHtmlReport(ctx.root, data, opts.html, htmlOptions);
  if (ctx.json) ctx.result({ ...data, html }, () => '');
  else {
    ctx.result(data, () => renderText(data));
    if (html !== null) ctx.out.write(safe`HTML report written to ${html}\n`);
  }
}
