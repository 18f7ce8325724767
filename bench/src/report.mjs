// Printing and writing results: a console table, results/<name>.json and results/<name>.md.
import fs from 'node:fs';
import path from 'node:path';
import { fmtOps } from './harness.mjs';
import { markdownProcs } from './report-procs.mjs';

function spread(t) {
  return `${fmtOps(t.min)}–${fmtOps(t.max)}`;
}

/** Two decimals, or three when two would round a ratio across its target (0.798 is not 0.80). */
function fmtRatio(ratio, target) {
  const two = ratio.toFixed(2);
  if (target !== null && Number(two) >= target !== ratio >= target) return ratio.toFixed(3);
  return two;
}

function row(r) {
  return {
    case: r.id,
    what: r.name,
    hivedb: `${fmtOps(r.hivedb.median)} (${spread(r.hivedb)})`,
    bare: `${fmtOps(r.bare.median)} (${spread(r.bare)})`,
    ratio: `${fmtRatio(r.ratio, r.target)}× (${r.ratioRoundMin.toFixed(2)}–${r.ratioRoundMax.toFixed(2)})`,
    target: r.target === null ? '—' : `≥ ${r.target}×`,
    met: r.met === null ? '—' : r.met ? 'yes' : 'NO',
    other:
      (r.otherProcessesCores === null ? '?' : r.otherProcessesCores.toFixed(2)) +
      (r.roundsSetAside > 0 ? ` (${r.roundsSetAside} set aside)` : '') +
      (r.underLoad ? ' UNDER LOAD' : ''),
  };
}

const HEADERS = [
  ['case', 'case'],
  ['hivedb', 'hivedb ops/s median (round min–max)'],
  ['bare', 'bare ops/s median (round min–max)'],
  ['ratio', 'ratio of medians (round min–max)'],
  ['target', 'target'],
  ['met', 'met'],
  ['other', "others' CPU, max cores"],
];

export function printTable(results, write = (s) => process.stdout.write(s)) {
  const rows = results.map(row);
  const widths = HEADERS.map(([k, h]) => Math.max(h.length, ...rows.map((r) => r[k].length)));
  const line = (cells) => `${cells.map((c, i) => c.padEnd(widths[i])).join('  ')}\n`;
  write(line(HEADERS.map(([, h]) => h)));
  write(line(widths.map((w) => '-'.repeat(w))));
  for (const r of rows) write(line(HEADERS.map(([k]) => r[k])));
}

export function markdown(report) {
  const m = report.machine;
  const out = [];
  out.push(`Run: ${report.settings.mode}, ${report.date}`);
  out.push('');
  out.push(
    `Machine: ${m.cpu} × ${m.cores} cores, ${m.totalMemGiB} GiB, ${m.platform}; Node ${m.node}, ` +
      `SQLite ${m.sqlite} (better-sqlite3 ${m.betterSqlite3}), tinybench ${m.tinybench}; ` +
      `database files in ${m.tmpDir} (${m.tmpFs})`,
  );
  out.push('');
  const w = report.measured;
  out.push(
    `Measured: commit ${w.gitHead}` +
      (w.uncommittedUnderPackages.length > 0
        ? ` with ${w.uncommittedUnderPackages.length} uncommitted change(s) under packages/`
        : '') +
      (w.poolDist ? `; @hivedb/pool dist built ${w.poolDist.builtAt} (${w.poolDist.sha256})` : '') +
      (w.storeDist
        ? `; @hivedb/store dist built ${w.storeDist.builtAt} (${w.storeDist.sha256})`
        : '') +
      (w.rebuiltDuringRun ? `; REBUILT DURING THE RUN: ${w.rebuiltDuringRun.join(', ')}` : ''),
  );
  out.push('');
  out.push(
    `Settings: ${report.settings.rounds} rounds × (${report.settings.warmupMs} ms warm-up + ` +
      `${report.settings.timeMs} ms) per twin, twins alternating; total ${report.durationS.toFixed(0)} s.`,
  );
  const own = report.cases.filter((r) => r.settings);
  if (own.length > 0) {
    const o = own[0].settings;
    out.push(
      `(${own.map((r) => `\`${r.id}\``).join(', ')}: ${o.rounds} rounds × (${o.warmupMs} ms warm-up + ${o.timeMs} ms).)`,
    );
  }
  out.push('');
  out.push(`| ${HEADERS.map(([, h]) => h).join(' | ')} |`);
  out.push(`|${HEADERS.map(() => '---').join('|')}|`);
  for (const r of report.cases.map(row)) {
    out.push(`| ${HEADERS.map(([k]) => (k === 'case' ? `\`${r[k]}\`` : r[k])).join(' | ')} |`);
  }
  out.push('');
  for (const r of report.cases) out.push(`- \`${r.id}\`: ${r.name}`);
  out.push('');
  out.push(...markdownProcs(report));
  return out.join('\n');
}

export function writeResults(dir, name, report) {
  fs.mkdirSync(dir, { recursive: true });
  const json = path.join(dir, `${name}.json`);
  const md = path.join(dir, `${name}.md`);
  fs.writeFileSync(`${json}.tmp`, `${JSON.stringify(report, null, 2)}\n`);
  fs.renameSync(`${json}.tmp`, json);
  fs.writeFileSync(md, markdown(report));
  return { json, md };
}
