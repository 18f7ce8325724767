import type { Pool } from '@hivedb/pool';

/**
 * Rows the CLI itself writes into `hive.db`'s `query_performance`, told apart by a `query_type`
 * beginning with `hivedb:` (never an operation the monitor records):
 * - `hivedb:pool`: pool utilisation; `execution_time_ms` is the % of connections leased
 *   (time-averaged over the interval), `rows_affected` the callers waiting, `memory_key` the source.
 * - `hivedb:alert`: an alert the monitor raised; `memory_key` is JSON `{ type, severity, message }`,
 *   `execution_time_ms` the alert's value, `agent_id` the agent whose monitor raised it.
 * - `hivedb:demo`: a finished demo run; `memory_key` is its summary as JSON.
 * - `hivedb:wal`: the largest size of a WAL file during one second of a demo, in bytes
 *   (`execution_time_ms`); `memory_key` names the database (`memory.db`, `hive.db`).
 */
export const CLI_ROW_PREFIX = 'hivedb:';

/** One point of the latency chart: the percentiles of the samples in one time bucket. */
export interface LatencyPoint {
  readonly t: number;
  readonly count: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly max: number;
}

/** One bar of the throughput chart: samples of one operation. */
export interface OperationRow {
  readonly operation: string;
  readonly count: number;
  readonly errors: number;
  readonly perSec: number;
  readonly p50: number;
  readonly p99: number;
}

/** One of the slowest samples. */
export interface SlowRow {
  readonly at: number;
  readonly operation: string;
  readonly memoryKey: string | null;
  readonly agentId: string | null;
  readonly ms: number;
}

/** One pool utilisation sample. */
export interface PoolPoint {
  readonly t: number;
  readonly pct: number;
  readonly waiting: number;
  readonly source: string | null;
}

/** The largest size of one database's WAL file during one second. */
export interface WalPoint {
  readonly t: number;
  readonly bytes: number;
  readonly database: string;
}

/** One persisted alert. */
export interface AlertRow {
  readonly at: number;
  readonly type: string;
  readonly severity: string;
  readonly message: string;
  readonly value: number;
  readonly agentId: string | null;
}

/** Everything `report` shows, read from `hive.db`. */
export interface ReportData {
  readonly source: string;
  readonly generatedAt: number;
  /** First and last sample time (ms since the epoch), `null` when there is none. */
  readonly range: { readonly from: number; readonly to: number } | null;
  readonly samples: number;
  readonly bucketMs: number;
  readonly latency: readonly LatencyPoint[];
  readonly operations: readonly OperationRow[];
  readonly slow: readonly SlowRow[];
  readonly pool: readonly PoolPoint[];
  /** WAL sizes sampled by a demo (empty otherwise). */
  readonly wal: readonly WalPoint[];
  readonly alerts: readonly AlertRow[];
  /** The last demo run's summary, when a demo wrote one. */
  readonly demo: Record<string, unknown> | null;
}

/** Options of {@link readReportData}. */
export interface ReportDataOptions {
  /** Only samples at or after this time (ms since the epoch). */
  readonly since?: number;
  /** How many slow samples to list. Default 10. */
  readonly slowLimit?: number;
  /** Most points on the latency chart. Default 60. */
  readonly maxPoints?: number;
}

/** The value at quantile `q` of sorted `xs` (nearest rank). */
export function quantile(xs: readonly number[], q: number): number {
  if (xs.length === 0) return 0;
  const i = Math.min(xs.length - 1, Math.max(0, Math.ceil(q * xs.length) - 1));
  return xs[i] ?? 0;
}

const baseOp = (t: string) => (t.endsWith(':error') ? t.slice(0, -':error'.length) : t);

function parseObject(text: string | null): Record<string, unknown> | null {
  if (text === null) return null;
  try {
    const v = JSON.parse(text) as unknown;
    return v !== null && typeof v === 'object' && !Array.isArray(v)
      ? (v as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}

/** Reads the report's data from `hive.db` (its pool), in a few aggregate reads. */
export async function readReportData(
  pool: Pool,
  source: string,
  options: ReportDataOptions = {},
): Promise<ReportData> {
  const since = options.since ?? 0;
  const maxPoints = options.maxPoints ?? 60;
  const notCli = `query_type NOT LIKE '${CLI_ROW_PREFIX}%' AND timestamp >= ?`;
  const span = await pool.get<{ n: number; lo: number | null; hi: number | null }>(
    `SELECT COUNT(*) AS n, MIN(timestamp) AS lo, MAX(timestamp) AS hi FROM query_performance WHERE ${notCli}`,
    [since],
  );
  const n = span?.n ?? 0;
  const range =
    n > 0 && span?.lo != null && span.hi != null ? { from: span.lo, to: span.hi } : null;
  const spanMs = range === null ? 0 : range.to - range.from;
  const bucketMs = Math.max(1000, Math.ceil(spanMs / maxPoints / 1000) * 1000);
  const seconds = Math.max(1, spanMs / 1000);

  const latency: LatencyPoint[] = [];
  const byOp = new Map<string, { count: number; errors: number; ms: number[] }>();
  if (range !== null) {
    const rows = await pool.all<{ t: number; ms: number; op: string }>(
      `SELECT timestamp AS t, execution_time_ms AS ms, query_type AS op FROM query_performance WHERE ${notCli} ORDER BY timestamp`,
      [since],
    );
    let bucket = -1;
    let xs: number[] = [];
    const close = () => {
      if (xs.length === 0) return;
      xs.sort((a, b) => a - b);
      latency.push({
        t: range.from + bucket * bucketMs,
        count: xs.length,
        p50: quantile(xs, 0.5),
        p95: quantile(xs, 0.95),
        p99: quantile(xs, 0.99),
        max: xs[xs.length - 1] ?? 0,
      });
    };
    for (const r of rows) {
      const b = Math.floor((r.t - range.from) / bucketMs);
      if (b !== bucket) {
        close();
        bucket = b;
        xs = [];
      }
      xs.push(r.ms);
      const op = baseOp(r.op);
      let agg = byOp.get(op);
      if (agg === undefined) {
        agg = { count: 0, errors: 0, ms: [] };
        byOp.set(op, agg);
      }
      agg.count++;
      if (op !== r.op) agg.errors++;
      agg.ms.push(r.ms);
    }
    close();
  }
  const operations = [...byOp.entries()]
    .map(([operation, a]) => {
      a.ms.sort((x, y) => x - y);
      return {
        operation,
        count: a.count,
        errors: a.errors,
        perSec: a.count / seconds,
        p50: quantile(a.ms, 0.5),
        p99: quantile(a.ms, 0.99),
      };
    })
    .sort((a, b) => b.count - a.count || a.operation.localeCompare(b.operation));

  const slow = (
    await pool.all<{ at: number; op: string; k: string | null; a: string | null; ms: number }>(
      `SELECT timestamp AS at, query_type AS op, memory_key AS k, agent_id AS a, execution_time_ms AS ms FROM query_performance WHERE ${notCli} ORDER BY execution_time_ms DESC, id LIMIT ?`,
      [since, options.slowLimit ?? 10],
    )
  ).map((r) => ({ at: r.at, operation: r.op, memoryKey: r.k, agentId: r.a, ms: r.ms }));

  const cliRows = (type: string) =>
    pool.all<{ t: number; v: number; k: string | null; a: string | null; n: number | null }>(
      'SELECT timestamp AS t, execution_time_ms AS v, memory_key AS k, agent_id AS a, rows_affected AS n FROM query_performance WHERE query_type = ? AND timestamp >= ? ORDER BY timestamp, id',
      [`${CLI_ROW_PREFIX}${type}`, since],
    );
  const poolPoints = (await cliRows('pool')).map((r) => ({
    t: r.t,
    pct: r.v,
    waiting: r.n ?? 0,
    source: r.k,
  }));
  const wal = (await cliRows('wal')).map((r) => ({
    t: r.t,
    bytes: r.v,
    database: r.k ?? 'memory.db',
  }));
  const alerts = (await cliRows('alert')).map((r) => {
    const o = parseObject(r.k) ?? {};
    return {
      at: r.t,
      type: String(o.type ?? 'alert'),
      severity: String(o.severity ?? 'warning'),
      message: String(o.message ?? r.k ?? ''),
      value: r.v,
      agentId: r.a,
    };
  });
  const demoRows = await cliRows('demo');
  const lastDemo = demoRows[demoRows.length - 1];
  return {
    source,
    generatedAt: Date.now(),
    range,
    samples: n,
    bucketMs,
    latency,
    operations,
    slow,
    pool: poolPoints,
    wal,
    alerts,
    demo: lastDemo === undefined ? null : parseObject(lastDemo.k),
  };
}
