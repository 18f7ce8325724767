/** Escapes text for HTML and SVG content and attribute values. */
export function esc(value: unknown): string {
  return String(value)
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

const W = 720;
const H = 260;
const PAD = { left: 60, right: 16, top: 16, bottom: 36 };

/** One series of a line chart. */
export interface Series {
  readonly name: string;
  readonly color: string;
  readonly points: readonly { readonly x: number; readonly y: number; readonly label: string }[];
}

function niceMax(v: number): number {
  if (!(v > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (v <= m * p) return m * p;
  return 10 * p;
}

function fmtTick(v: number): string {
  if (v === 0) return '0';
  if (Math.abs(v) >= 100) return v.toFixed(0);
  if (Math.abs(v) >= 1) return v.toFixed(1).replace(/\.0$/, '');
  return v.toPrecision(2);
}

function clock(t: number): string {
  return new Date(t).toISOString().slice(11, 19);
}

/**
 * A line chart as an `<svg data-testid="…">`: one `<polyline>` per series and one
 * `<circle data-testid="{testid}-point" data-series="name">` per data point, time on x.
 */
export function lineChart(
  testid: string,
  series: readonly Series[],
  opts: { yLabel: string; yMax?: number },
): string {
  const all = series.flatMap((s) => s.points);
  if (all.length === 0)
    return `<svg data-testid="${esc(testid)}" data-points="0" viewBox="0 0 ${W} 60" class="chart empty"><text x="${W / 2}" y="34" text-anchor="middle">no data</text></svg>`;
  const x0 = Math.min(...all.map((p) => p.x));
  const x1 = Math.max(...all.map((p) => p.x));
  const yMax = opts.yMax ?? niceMax(Math.max(...all.map((p) => p.y)));
  const sx = (x: number) =>
    PAD.left +
    (x1 === x0
      ? (W - PAD.left - PAD.right) / 2
      : ((x - x0) / (x1 - x0)) * (W - PAD.left - PAD.right));
  const sy = (y: number) =>
    H - PAD.bottom - (Math.min(y, yMax) / yMax) * (H - PAD.top - PAD.bottom);
  const grid = [0, 0.25, 0.5, 0.75, 1]
    .map((f) => {
      const y = sy(f * yMax);
      return `<line x1="${PAD.left}" x2="${W - PAD.right}" y1="${y.toFixed(1)}" y2="${y.toFixed(1)}" class="grid"/><text x="${PAD.left - 6}" y="${(y + 4).toFixed(1)}" text-anchor="end" class="tick">${fmtTick(f * yMax)}</text>`;
    })
    .join('');
  const xticks = `<text x="${PAD.left}" y="${H - 12}" class="tick">${clock(x0)}</text><text x="${W - PAD.right}" y="${H - 12}" text-anchor="end" class="tick">${clock(x1)}</text>`;
  const body = series
    .map((s) => {
      const pts = s.points.map((p) => `${sx(p.x).toFixed(1)},${sy(p.y).toFixed(1)}`).join(' ');
      const dots = s.points
        .map(
          (p) =>
            `<circle data-testid="${esc(testid)}-point" data-series="${esc(s.name)}" data-value="${p.y}" cx="${sx(p.x).toFixed(1)}" cy="${sy(p.y).toFixed(1)}" r="2.5" fill="${s.color}"><title>${esc(p.label)}</title></circle>`,
        )
        .join('');
      return `<g data-series="${esc(s.name)}"><polyline points="${pts}" fill="none" stroke="${s.color}" stroke-width="1.5"/>${dots}</g>`;
    })
    .join('');
  const legend = series
    .map(
      (s, i) =>
        `<rect x="${PAD.left + 10 + i * 90}" y="${PAD.top}" width="10" height="10" fill="${s.color}"/><text x="${PAD.left + 24 + i * 90}" y="${PAD.top + 9}" class="tick">${esc(s.name)}</text>`,
    )
    .join('');
  return `<svg data-testid="${esc(testid)}" data-points="${all.length}" viewBox="0 0 ${W} ${H}" class="chart" role="img"><text x="14" y="${H / 2}" transform="rotate(-90 14 ${H / 2})" text-anchor="middle" class="tick">${esc(opts.yLabel)}</text>${grid}${xticks}${body}${legend}</svg>`;
}

/** One bar of a bar chart. */
export interface Bar {
  readonly key: string;
  readonly value: number;
  readonly label: string;
  readonly color?: string;
}

/** A horizontal bar chart: one `<rect data-testid="{testid}-bar" data-key="…">` per bar. */
export function barChart(testid: string, bars: readonly Bar[], opts: { unit: string }): string {
  if (bars.length === 0)
    return `<svg data-testid="${esc(testid)}" data-bars="0" viewBox="0 0 ${W} 60" class="chart empty"><text x="${W / 2}" y="34" text-anchor="middle">no data</text></svg>`;
  const rowH = 24;
  const left = 200;
  const h = bars.length * rowH + 12;
  const max = niceMax(Math.max(...bars.map((b) => b.value)));
  const width = W - left - 120;
  const rows = bars
    .map((b, i) => {
      const y = 6 + i * rowH;
      const w = Math.max(1, (b.value / max) * width);
      return `<text x="${left - 8}" y="${y + 15}" text-anchor="end" class="tick">${esc(b.key.length > 30 ? `${b.key.slice(0, 29)}…` : b.key)}</text><rect data-testid="${esc(testid)}-bar" data-key="${esc(b.key)}" data-value="${b.value}" x="${left}" y="${y + 2}" width="${w.toFixed(1)}" height="${rowH - 6}" fill="${b.color ?? '#4e79a7'}"><title>${esc(b.label)}</title></rect><text x="${(left + w + 6).toFixed(1)}" y="${y + 15}" class="tick">${esc(b.label)}</text>`;
    })
    .join('');
  return `<svg data-testid="${esc(testid)}" data-bars="${bars.length}" viewBox="0 0 ${W} ${h}" class="chart" role="img"><desc>${esc(opts.unit)}</desc>${rows}</svg>`;
}
