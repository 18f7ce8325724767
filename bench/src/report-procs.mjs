// The report's sections beyond the twin table: how the scaling cases' cost grows with the
// number of entries, the multi-process writers, and the memory of one process over a long run.
import { fmtOps } from './harness.mjs';
import { sizeLabel } from './cases/scale.mjs';

const mib = (bytes) => `${(bytes / 2 ** 20).toFixed(1)}`;
const signedMib = (bytes) => `${bytes >= 0 ? '+' : '−'}${mib(Math.abs(bytes))}`;
const us = (x) => (x === null || x === undefined ? '—' : x < 10 ? x.toFixed(2) : x.toFixed(0));

/**
 * The scaling cases by operation: µs per operation at each size for both twins, the cost at the
 * largest size over the smallest, and whether it grows no worse than logarithmically. The rule:
 * the cost added per tenfold step of entries must not grow from one step to the next, beyond 10 %
 * of the cost at the larger size (the rounds' noise); it needs at least three sizes.
 */
export function scaling(cases) {
  const byOp = new Map();
  for (const c of cases) {
    if (c.meta?.op === undefined || c.meta.entries === undefined) continue;
    if (!byOp.has(c.meta.op)) byOp.set(c.meta.op, []);
    byOp.get(c.meta.op).push(c);
  }
  const out = [];
  for (const [op, list] of byOp) {
    list.sort((a, b) => a.meta.entries - b.meta.entries);
    const sizes = list.map((c) => c.meta.entries);
    const cost = (side) => list.map((c) => 1e6 / c[side].median);
    const hivedb = cost('hivedb');
    const bare = cost('bare');
    const verdict = (costs) => {
      if (sizes.length < 3) return null;
      const perDecade = [];
      for (let i = 1; i < sizes.length; i++)
        perDecade.push((costs[i] - costs[i - 1]) / Math.log10(sizes[i] / sizes[i - 1]));
      let ok = true;
      for (let i = 1; i < perDecade.length; i++)
        if (perDecade[i] > Math.max(perDecade[i - 1], 0) + 0.1 * costs[i + 1]) ok = false;
      return { perDecadeUs: perDecade, logarithmic: ok };
    };
    out.push({
      op,
      sizes,
      hivedbUs: hivedb,
      bareUs: bare,
      ratios: list.map((c) => c.ratio),
      hivedbGrowth: hivedb.at(-1) / hivedb[0],
      bareGrowth: bare.at(-1) / bare[0],
      hivedbVerdict: verdict(hivedb),
      bareVerdict: verdict(bare),
    });
  }
  return out;
}

function scalingLines(rows) {
  if (rows.length === 0) return [];
  const sizes = rows[0].sizes.map(sizeLabel);
  const lines = [
    `| op | ${sizes.map((s) => `µs/op at ${s}: store / bare (ratio)`).join(' | ')} | cost ${sizes.at(-1)} ÷ ${sizes[0]}: store / bare | added per ×10 (µs): store / bare | no worse than log |`,
    `|---|${sizes.map(() => '---').join('|')}|---|---|---|`,
  ];
  for (const r of rows) {
    const cells = r.sizes.map(
      (_, i) => `${us(r.hivedbUs[i])} / ${us(r.bareUs[i])} (${r.ratios[i].toFixed(2)}×)`,
    );
    const steps = (v) => (v ? v.perDecadeUs.map((d) => d.toFixed(2)).join(', ') : '—');
    const met = r.hivedbVerdict === null ? '—' : r.hivedbVerdict.logarithmic ? 'yes' : 'NO';
    lines.push(
      `| \`${r.op}\` | ${cells.join(' | ')} | ${r.hivedbGrowth.toFixed(2)}× / ${r.bareGrowth.toFixed(2)}× | ${steps(r.hivedbVerdict)} / ${steps(r.bareVerdict)} | ${met} |`,
    );
  }
  return lines;
}

function multiProcessLines(mp) {
  if (!mp) return [];
  const lines = [
    `Multi-process: each process writes for ${mp.durationMs} ms, ${mp.rounds} round(s), twins alternating; p99 of every write of every round.`,
    '',
    "| processes | store writes/s median (min–max) | bare writes/s median (min–max) | ratio | p99 µs: store / bare | errors: store / bare | others' CPU, max cores |",
    '|---|---|---|---|---|---|---|',
  ];
  for (const r of mp.rows) {
    const others = [...r.hivedb.runs, ...r.bare.runs]
      .map((x) => x.otherCores)
      .filter((x) => x !== null);
    const errs = (t) =>
      t.failed === 0
        ? '0'
        : `${t.failed} (${Object.entries(t.errors)
            .map(([c, n]) => `${c} ${n}`)
            .join(', ')})`;
    lines.push(
      `| ${r.processes} | ${fmtOps(r.hivedb.median)} (${fmtOps(r.hivedb.min)}–${fmtOps(r.hivedb.max)}) | ${fmtOps(r.bare.median)} (${fmtOps(r.bare.min)}–${fmtOps(r.bare.max)}) | ${r.ratio.toFixed(2)}× | ${us(r.hivedb.p99Us)} / ${us(r.bare.p99Us)} | ${errs(r.hivedb)} / ${errs(r.bare)} | ${others.length ? Math.max(...others).toFixed(2) : '?'} |`,
    );
  }
  return lines;
}

function memoryLines(m) {
  if (!m) return [];
  const a = m.checkpoints[0];
  const b = m.checkpoints.at(-1);
  const k = (n) => (n >= 1e6 ? `${n / 1e6}M` : `${n / 1e3}k`);
  const at = ['start', ...m.checkpoints.map(k)].join(' / ');
  const lines = [
    `Memory: one fresh process per twin${m.sideBySide ? ', the two run side by side, each on its own memory.db' : ''}: ${Object.entries(
      m.mix,
    )
      .map(([op, share]) => `${Math.round(share * 100)} % ${op}`)
      .join(', ')} over ${m.keys} keys; readings after two full GCs (--expose-gc).`,
    '',
    `| twin | RSS MiB at ${at} | heapUsed MiB at ${at} | growth ${k(a)}→${k(b)}: RSS / heap MiB | ops/s | wall / CPU s | others' CPU, cores |`,
    '|---|---|---|---|---|---|---|',
  ];
  for (const twin of ['hivedb', 'bare']) {
    const t = m[twin];
    const p = t.points;
    lines.push(
      `| ${twin === 'hivedb' ? 'store' : 'bare'} | ${p.map((x) => mib(x.rss)).join(' / ')} | ${p.map((x) => mib(x.heapUsed)).join(' / ')} | ${signedMib(t.rssGrowth)} / ${signedMib(t.heapGrowth)} | ${fmtOps(t.rate)} | ${t.wallS.toFixed(1)} / ${t.cpuS.toFixed(1)} | ${t.otherCores === null ? '?' : t.otherCores.toFixed(2)} |`,
    );
  }
  return lines;
}

/** The Markdown of the three sections (empty when none of them ran). */
export function markdownProcs(report) {
  const parts = [
    scalingLines(scaling(report.cases)),
    multiProcessLines(report.multiProcess),
    memoryLines(report.memory),
  ];
  return parts.filter((p) => p.length > 0).flatMap((p) => [...p, '']);
}

/** Prints the three sections to stdout (the Markdown tables as they are). */
export function printProcs(report, write = (s) => process.stdout.write(s)) {
  const lines = markdownProcs(report);
  if (lines.length > 0) write(`\n${lines.join('\n')}\n`);
}
