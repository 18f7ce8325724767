import type { AlertManager, Condition } from './alerts.js';
import type { ResolvedMonitorOptions } from './options.js';
import type { Source } from './source.js';
import type { WindowView } from './view.js';

/** A source's queries over the window. */
export interface QueryTotals {
  count: number;
  errors: number;
  totalMs: number;
}

const fixed = (n: number, digits = 1) => n.toFixed(digits);

/**
 * The conditions of one source at a monitoring cycle: the seed's alerts (pool utilisation,
 * average query time, error rate, slow queries, connection failures), an open circuit, and a WAL
 * past the pool's bound.
 * `utilization` is the time-weighted mean of the cycle (0–1), when the pool's size is known.
 */
export function conditionsFor(
  source: Source,
  totals: QueryTotals | undefined,
  utilization: number | undefined,
  opts: ResolvedMonitorOptions,
): Condition[] {
  const out: Condition[] = [];
  const h = 1 - opts.alertHysteresis;
  const t = opts.alertThresholds;
  const windowMin = fixed(opts.windowMs / 60_000, opts.windowMs % 60_000 === 0 ? 0 : 1);
  const name = source.name;
  const count = totals?.count ?? 0;
  if (totals !== undefined || source.isPool) {
    const errors = totals?.errors ?? 0;
    const rate = count === 0 ? 0 : (errors / count) * 100;
    out.push({
      type: 'error_rate',
      source: name,
      value: rate,
      threshold: t.errorRate,
      raise: count >= opts.alertMinQueries && rate > t.errorRate,
      clear: rate < t.errorRate * h,
      severity: rate >= 2 * t.errorRate ? 'critical' : 'warning',
      message: `${fixed(rate)}% of queries on ${name} failed over the last ${windowMin} min (${errors} of ${count}); the threshold is ${t.errorRate}%`,
      details: { errors, queries: count, windowMs: opts.windowMs },
    });
    const mean = count === 0 ? 0 : (totals?.totalMs ?? 0) / count;
    out.push({
      type: 'average_query_time',
      source: name,
      value: mean,
      threshold: t.averageQueryTime,
      raise: count >= opts.alertMinQueries && mean > t.averageQueryTime,
      clear: mean < t.averageQueryTime * h,
      severity: mean >= 2 * t.averageQueryTime ? 'critical' : 'warning',
      message: `queries on ${name} took ${fixed(mean, 2)} ms on average over the last ${windowMin} min (${count} queries); the threshold is ${t.averageQueryTime} ms`,
      details: { queries: count, windowMs: opts.windowMs },
    });
  }
  const slow = source.slowSinceCycle;
  out.push({
    type: 'slow_query',
    source: name,
    value: slow,
    threshold: opts.slowQueryThreshold,
    raise: slow > 0,
    clear: slow === 0,
    severity: 'warning',
    message: `${slow} quer${slow === 1 ? 'y' : 'ies'} on ${name} took longer than ${opts.slowQueryThreshold} ms since the last check`,
    details: { slowQueries: slow, thresholdMs: opts.slowQueryThreshold },
  });
  if (!source.isPool) return out;
  if (utilization !== undefined) {
    const pct = utilization * 100;
    out.push({
      type: 'connection_pool_utilization',
      source: name,
      value: pct,
      threshold: t.connectionPoolUtilization,
      raise: pct > t.connectionPoolUtilization,
      clear: pct < t.connectionPoolUtilization * h,
      severity: pct >= 100 ? 'critical' : 'warning',
      message: `pool ${name} was ${fixed(pct)}% utilised since the last check (leased ÷ ${source.gauge?.max ?? '?'} connections); the threshold is ${t.connectionPoolUtilization}%`,
      details: {
        leased: source.gauge?.leased,
        total: source.gauge?.total,
        max: source.gauge?.max,
        waiting: source.gauge?.waiting,
      },
    });
  }
  const failures = source.connectionErrorsSinceCycle;
  out.push({
    type: 'connection_failure',
    source: name,
    value: failures,
    threshold: 0,
    raise: failures > 0,
    clear: failures === 0,
    severity: 'critical',
    message: `${failures} connection(s) to ${name} could not be opened since the last check`,
    details: { failures },
  });
  if (source.walLimitBytes !== undefined) {
    // The pool keeps its WAL under `walLimitBytes` (coordinated checkpoints); passing it means a
    // reader held a snapshot for long, or no process could checkpoint.
    const MiB = 1024 * 1024;
    const limit = source.walLimitBytes;
    const max = source.walMaxSinceCycle;
    out.push({
      type: 'wal_size',
      source: name,
      value: max / MiB,
      threshold: limit / MiB,
      raise: max > limit,
      clear: max < limit * h,
      severity: max >= 2 * limit ? 'critical' : 'warning',
      message: `the WAL of ${name} reached ${fixed(max / MiB)} MiB since the last check, over its bound of ${fixed(limit / MiB)} MiB: a reader held a snapshot open for long, or no process could checkpoint (see @hivedb/pool's README, "Keeping the WAL bounded")`,
      details: { walBytes: source.walBytes, maxWalBytes: max, limitBytes: limit },
    });
  }
  if (source.circuit !== undefined) {
    out.push({
      type: 'circuit_open',
      source: name,
      value: source.circuit === 'closed' ? 0 : 1,
      threshold: 0,
      raise: source.circuit === 'open',
      clear: source.circuit === 'closed',
      severity: 'critical',
      message: `the circuit breaker of ${name} is ${source.circuit}: calls fail fast until the database answers again`,
      details: { circuit: source.circuit },
    });
  }
  return out;
}

/**
 * One monitoring cycle's alert evaluation: each attached source's conditions over the window
 * (rates) and since the last cycle (utilisation, slow queries, connection failures).
 */
export function evaluateAlerts(
  view: WindowView,
  sources: readonly Source[],
  alerts: AlertManager,
  opts: ResolvedMonitorOptions,
  now: number,
): void {
  const totals = new Map<Source, QueryTotals>();
  for (const [st, a] of view.statements) {
    let t = totals.get(st.source);
    if (t === undefined) {
      t = { count: 0, errors: 0, totalMs: 0 };
      totals.set(st.source, t);
    }
    t.count += a.count;
    t.errors += a.errors;
    t.totalMs += a.totalMs;
  }
  for (const source of sources) {
    if (source.detached) continue;
    const utilization = source.isPool ? source.takeUtilization(now) : undefined;
    source.lastUtilization = utilization;
    for (const c of conditionsFor(source, totals.get(source), utilization, opts))
      alerts.observe(now, c);
    source.slowSinceCycle = 0;
    source.connectionErrorsSinceCycle = 0;
    source.walMaxSinceCycle = 0;
  }
}
