import { formatCount, formatMs } from '../format.js';
import type { ReportData } from './data.js';
import { barChart, esc, lineChart } from './svg.js';

const STYLE = `
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px auto;max-width:780px;color:#1d2330;background:#fff}
h1{font-size:22px;margin:0 0 4px}h2{font-size:16px;margin:28px 0 8px;border-bottom:1px solid #dde1e8;padding-bottom:4px}
.meta{color:#5a6275;font-size:12px}.chart{width:100%;height:auto;background:#fafbfd;border:1px solid #e6e9ef;border-radius:4px}
.chart .grid{stroke:#e3e6ec}.chart .tick{font-size:11px;fill:#5a6275}.empty text{fill:#8a91a1}
table{border-collapse:collapse;width:100%;font-size:12px}th,td{text-align:left;padding:3px 8px;border-bottom:1px solid #eceef2}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}.ok{color:#2b7a3d}.bad{color:#b3261e;font-weight:600}
.critical{color:#b3261e}.warning{color:#a15c00}dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 14px;margin:0}dt{color:#5a6275}dd{margin:0}
`;

function demoSection(demo: Record<string, unknown> | null): string {
  if (demo === null) return '';
  const rows: [string, unknown][] = [
    ['agents', demo.agents],
    ['duration', formatMs(Number(demo.durationMs))],
    ['operations', formatCount(Number(demo.operations))],
    ['throughput', `${formatCount(Number(demo.throughput))} ops/s`],
    ['p99', formatMs(Number(demo.p99Ms))],
    ['errors', demo.errors],
    ['lost updates', demo.lostUpdates],
    ['integrity', demo.integrityOk === true ? 'ok' : 'FAILED'],
  ];
  const bad = demo.lostUpdates !== 0 || demo.integrityOk !== true;
  return `<h2>Demo run</h2><dl data-testid="demo-summary" class="${bad ? 'bad' : ''}">${rows
    .map(([k, v]) => `<dt>${esc(k)}</dt><dd data-field="${esc(k)}">${esc(v ?? '-')}</dd>`)
    .join('')}</dl>`;
}

function alertsSection(data: ReportData): string {
  const a = data.alerts;
  const W = 720;
  const from = data.range?.from ?? a[0]?.at ?? 0;
  const to = Math.max(data.range?.to ?? 0, a[a.length - 1]?.at ?? 0, from + 1);
  const x = (t: number) => 20 + ((t - from) / (to - from)) * (W - 40);
  const markers = a
    .map(
      (al) =>
        `<circle data-testid="alerts-chart-marker" cx="${x(al.at).toFixed(1)}" cy="20" r="6" fill="${al.severity === 'critical' ? '#b3261e' : '#e8a33d'}"><title>${esc(`${al.type}: ${al.message}`)}</title></circle>`,
    )
    .join('');
  const svg = `<svg data-testid="alerts-chart" data-markers="${a.length}" viewBox="0 0 ${W} 40" class="chart"><line x1="20" x2="${W - 20}" y1="20" y2="20" class="grid"/>${markers}${a.length === 0 ? `<text x="${W / 2}" y="24" text-anchor="middle" class="tick">no alerts</text>` : ''}</svg>`;
  const list =
    a.length === 0
      ? '<p data-testid="alerts-empty">No alert was raised.</p>'
      : `<table data-testid="alerts-table"><tr><th>time</th><th>type</th><th>severity</th><th>message</th><th>agent</th></tr>${a
          .map(
            (al) =>
              `<tr data-testid="alert-row"><td>${new Date(al.at).toISOString().slice(11, 23)}</td><td>${esc(al.type)}</td><td class="${esc(al.severity)}">${esc(al.severity)}</td><td>${esc(al.message)}</td><td>${esc(al.agentId ?? '-')}</td></tr>`,
          )
          .join('')}</table>`;
  return `<h2>Alerts</h2>${svg}${list}`;
}

/**
 * The performance report as one self-contained HTML page: inline CSS and inline SVG charts, no
 * script, no external resource. Every chart carries a `data-testid`; every data point, bar and
 * marker is an element with its own `data-testid`, so a browser test can count them.
 */
export function renderHtml(data: ReportData): string {
  const latency = lineChart(
    'latency-chart',
    (
      [
        ['p50', '#4e79a7'],
        ['p95', '#f28e2b'],
        ['p99', '#e15759'],
      ] as const
    ).map(([name, color]) => ({
      name,
      color,
      points: data.latency.map((p) => ({
        x: p.t,
        y: p[name],
        label: `${new Date(p.t).toISOString().slice(11, 19)} ${name} ${formatMs(p[name])} (${p.count} samples)`,
      })),
    })),
    { yLabel: 'ms' },
  );
  const throughput = barChart(
    'throughput-chart',
    data.operations.map((o) => ({
      key: o.operation,
      value: o.perSec,
      label: `${o.perSec.toFixed(1)}/s (${formatCount(o.count)} samples${o.errors ? `, ${o.errors} errors` : ''})`,
    })),
    { unit: 'samples per second' },
  );
  const slow = barChart(
    'slow-chart',
    data.slow.map((s, i) => ({
      key: `${i + 1}. ${s.operation}${s.memoryKey ? ` ${s.memoryKey}` : ''}`,
      value: s.ms,
      label: formatMs(s.ms),
      color: '#e15759',
    })),
    { unit: 'ms' },
  );
  const slowTable = `<table data-testid="slow-table"><tr><th>time</th><th>operation</th><th>key</th><th>agent</th><th class="n">duration</th></tr>${data.slow
    .map(
      (s) =>
        `<tr data-testid="slow-row"><td>${new Date(s.at).toISOString().slice(11, 23)}</td><td>${esc(s.operation)}</td><td>${esc(s.memoryKey ?? '-')}</td><td>${esc(s.agentId ?? '-')}</td><td class="n">${esc(formatMs(s.ms))}</td></tr>`,
    )
    .join('')}</table>`;
  const pool = lineChart(
    'pool-chart',
    [
      {
        name: 'leased %',
        color: '#59a14f',
        points: data.pool.map((p) => ({
          x: p.t,
          y: p.pct,
          label: `${new Date(p.t).toISOString().slice(11, 19)} ${p.pct.toFixed(1)}% leased, ${p.waiting} waiting`,
        })),
      },
    ],
    { yLabel: '% leased', yMax: 100 },
  );
  const MiB = 1024 * 1024;
  const limit = Number((data.demo?.wal as { limitBytes?: unknown } | undefined)?.limitBytes ?? 0);
  const walSeries = ['memory.db', 'hive.db'].map((database, i) => ({
    name: `${database}-wal`,
    color: i === 0 ? '#4e79a7' : '#f28e2b',
    points: data.wal
      .filter((p) => p.database === database)
      .map((p) => ({
        x: p.t,
        y: p.bytes / MiB,
        label: `${new Date(p.t).toISOString().slice(11, 19)} ${database}-wal ${(p.bytes / MiB).toFixed(1)} MiB`,
      })),
  }));
  const walBound =
    limit > 0 && data.wal.length > 0
      ? [
          {
            name: 'bound',
            color: '#b3261e',
            points: [data.wal[0]!.t, data.wal[data.wal.length - 1]!.t].map((x) => ({
              x,
              y: limit / MiB,
              label: `the bound, ${(limit / MiB).toFixed(0)} MiB`,
            })),
          },
        ]
      : [];
  const walChart = lineChart('wal-chart', [...walSeries, ...walBound], { yLabel: 'MiB' });
  const range =
    data.range === null
      ? 'no samples'
      : `${new Date(data.range.from).toISOString()} – ${new Date(data.range.to).toISOString()}`;
  const opsTable = `<table data-testid="operations-table"><tr><th>operation</th><th class="n">samples</th><th class="n">per s</th><th class="n">errors</th><th class="n">p50</th><th class="n">p99</th></tr>${data.operations
    .map(
      (o) =>
        `<tr><td>${esc(o.operation)}</td><td class="n">${formatCount(o.count)}</td><td class="n">${o.perSec.toFixed(1)}</td><td class="n">${o.errors}</td><td class="n">${esc(formatMs(o.p50))}</td><td class="n">${esc(formatMs(o.p99))}</td></tr>`,
    )
    .join('')}</table>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>hivedb performance report</title><style>${STYLE}</style></head>
<body data-samples="${data.samples}" data-bucket-ms="${data.bucketMs}" data-since="${data.range?.from ?? ''}">
<h1>hivedb performance report</h1>
<p class="meta">${esc(data.source)} · ${esc(range)} · ${formatCount(data.samples)} persisted samples · generated ${esc(new Date(data.generatedAt).toISOString())}</p>
${demoSection(data.demo)}
<h2>Latency percentiles over time</h2>
<p class="meta">Persisted samples in ${data.bucketMs / 1000} s buckets. A monitor persists every slow or failed sample and only a share (its sample rate) of the others, so these percentiles lean slow; the demo's own p99 above counts every operation.</p>
${latency}
<h2>Throughput by operation</h2>
${throughput}
${opsTable}
<h2>Slowest statements</h2>
${slow}
${slowTable}
<h2>Pool utilisation</h2>
${pool}
<h2>WAL size</h2>
<p class="meta">The largest size of each database's WAL file in each second of the run (sampled every 100 ms), and the bound it is kept under.</p>
${walChart}
${alertsSection(data)}
</body></html>
`;
}
