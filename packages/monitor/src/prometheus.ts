import type { PersistenceStats } from './persistence.js';
import type { Source } from './source.js';
import { type ExportHistogram, SECONDS_BOUNDS } from './timing.js';

/** What the exposition is rendered from. */
export interface ExportInput {
  readonly sources: readonly Source[];
  readonly activeAlerts: number;
  readonly persistence: PersistenceStats | undefined;
}

/** One metric family: name, type, help, and its samples (name suffix, labels, value). */
export interface MetricFamily {
  readonly name: string;
  readonly type: 'counter' | 'gauge' | 'histogram';
  readonly help: string;
  readonly samples: readonly MetricSample[];
}

export interface MetricSample {
  /** `''`, `_bucket`, `_sum`, `_count` (or `_total` is part of a counter's name). */
  readonly suffix: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

type Labels = Record<string, string>;

function histogram(h: ExportHistogram, labels: Labels, out: MetricSample[]): void {
  let cumulative = 0;
  for (let i = 0; i < SECONDS_BOUNDS.length; i++) {
    cumulative += h.buckets[i]!;
    out.push({
      suffix: '_bucket',
      labels: { ...labels, le: String(SECONDS_BOUNDS[i]) },
      value: cumulative,
    });
  }
  out.push({ suffix: '_bucket', labels: { ...labels, le: '+Inf' }, value: h.count });
  out.push({ suffix: '_sum', labels, value: h.sumMs / 1000 });
  out.push({ suffix: '_count', labels, value: h.count });
}

/**
 * The metric families of every attached source, with OpenTelemetry's database metric names in
 * Prometheus form (`db.client.operation.duration` → `db_client_operation_duration_seconds`) and
 * hivedb's own under `hivedb_`. Counters and histograms are cumulative since the monitor was
 * created; a figure no event measured has no sample.
 */
export function metricFamilies(input: ExportInput): MetricFamily[] {
  const op: MetricSample[] = [];
  const connCount: MetricSample[] = [];
  const connMax: MetricSample[] = [];
  const pending: MetricSample[] = [];
  const wait: MetricSample[] = [];
  const timeouts: MetricSample[] = [];
  const use: MetricSample[] = [];
  const create: MetricSample[] = [];
  const tx: MetricSample[] = [];
  const retries: MetricSample[] = [];
  const cache: MetricSample[] = [];
  const invalidations: MetricSample[] = [];
  const wal: MetricSample[] = [];
  const checkpoints: MetricSample[] = [];
  const circuit: MetricSample[] = [];
  const connErrors: MetricSample[] = [];
  const slow: MetricSample[] = [];
  const storeOps: MetricSample[] = [];
  const storeConflicts: MetricSample[] = [];
  const storeCache: MetricSample[] = [];
  const storeErrors: MetricSample[] = [];

  for (const s of input.sources) {
    for (const series of s.allSeries()) {
      if (series.duration.count === 0) continue;
      histogram(
        series.duration,
        {
          db_system_name: 'sqlite',
          db_namespace: s.name,
          db_operation_name: series.operation,
          ...(series.errorType === '' ? {} : { error_type: series.errorType }),
        },
        op,
      );
    }
    if (s.slowQueries > 0 || s.isPool)
      slow.push({ suffix: '', labels: { source: s.name }, value: s.slowQueries });
    if (s.isPool) {
      const pool = { db_client_connection_pool_name: s.name };
      const g = s.gauge;
      if (g !== undefined) {
        connCount.push({
          suffix: '',
          labels: { ...pool, db_client_connection_state: 'idle' },
          value: g.total - g.leased,
        });
        connCount.push({
          suffix: '',
          labels: { ...pool, db_client_connection_state: 'used' },
          value: g.leased,
        });
        if (g.max !== undefined) connMax.push({ suffix: '', labels: pool, value: g.max });
        if (g.waiting !== undefined) pending.push({ suffix: '', labels: pool, value: g.waiting });
      }
      histogram(s.acquireWait, pool, wait);
      timeouts.push({ suffix: '', labels: pool, value: s.acquireTimeouts });
      histogram(s.useTime, pool, use);
      histogram(s.createTime, pool, create);
      for (const outcome of ['commit', 'rollback', 'timeout'])
        tx.push({
          suffix: '',
          labels: { ...pool, outcome },
          value: s.transactionsByOutcome.get(outcome) ?? 0,
        });
      retries.push({ suffix: '', labels: pool, value: s.retries });
      if (s.cacheHits + s.cacheMisses + s.cacheInvalidations > 0) {
        cache.push({ suffix: '', labels: { ...pool, result: 'hit' }, value: s.cacheHits });
        cache.push({ suffix: '', labels: { ...pool, result: 'miss' }, value: s.cacheMisses });
        invalidations.push({ suffix: '', labels: pool, value: s.cacheInvalidations });
      }
      if (s.walBytes !== undefined) wal.push({ suffix: '', labels: pool, value: s.walBytes });
      checkpoints.push({ suffix: '', labels: pool, value: s.checkpoints });
      if (s.circuit !== undefined)
        for (const state of ['closed', 'open', 'half-open'])
          circuit.push({
            suffix: '',
            labels: { ...pool, state },
            value: s.circuit === state ? 1 : 0,
          });
      connErrors.push({ suffix: '', labels: pool, value: s.connectionErrors });
    }
    if (s.isStore) {
      for (const [operation, h] of s.storeOps) histogram(h, { store: s.name, operation }, storeOps);
      storeConflicts.push({ suffix: '', labels: { store: s.name }, value: s.storeConflicts });
      if (s.storeCacheHits + s.storeCacheMisses > 0) {
        storeCache.push({
          suffix: '',
          labels: { store: s.name, result: 'hit' },
          value: s.storeCacheHits,
        });
        storeCache.push({
          suffix: '',
          labels: { store: s.name, result: 'miss' },
          value: s.storeCacheMisses,
        });
      }
      storeErrors.push({ suffix: '', labels: { store: s.name }, value: s.storeErrors });
    }
  }

  const samples: Record<string, MetricSample[]> = {
    db_client_operation_duration_seconds: op,
    db_client_connection_count: connCount,
    db_client_connection_max: connMax,
    db_client_connection_pending_requests: pending,
    db_client_connection_wait_time_seconds: wait,
    db_client_connection_timeouts_total: timeouts,
    db_client_connection_use_time_seconds: use,
    db_client_connection_create_time_seconds: create,
    hivedb_transactions_total: tx,
    hivedb_retries_total: retries,
    hivedb_query_cache_requests_total: cache,
    hivedb_query_cache_invalidations_total: invalidations,
    hivedb_wal_bytes: wal,
    hivedb_checkpoints_total: checkpoints,
    hivedb_circuit_state: circuit,
    hivedb_connection_errors_total: connErrors,
    hivedb_slow_queries_total: slow,
    hivedb_store_operation_duration_seconds: storeOps,
    hivedb_store_conflicts_total: storeConflicts,
    hivedb_store_cache_requests_total: storeCache,
    hivedb_store_errors_total: storeErrors,
    hivedb_monitor_active_alerts: [{ suffix: '', labels: {}, value: input.activeAlerts }],
  };
  const p = input.persistence;
  if (p !== undefined) {
    samples.hivedb_monitor_samples_written_total = [{ suffix: '', labels: {}, value: p.written }];
    samples.hivedb_monitor_samples_dropped_total = [{ suffix: '', labels: {}, value: p.dropped }];
    samples.hivedb_monitor_samples_pending = [{ suffix: '', labels: {}, value: p.pending }];
  }
  return METRIC_DEFINITIONS.filter((d) => (samples[d.name]?.length ?? 0) > 0).map((d) => ({
    ...d,
    samples: samples[d.name]!,
  }));
}

/** Every metric family the monitor can export: name, type and help. */
export const METRIC_DEFINITIONS: readonly Omit<MetricFamily, 'samples'>[] = Object.freeze([
  {
    name: 'db_client_operation_duration_seconds',
    type: 'histogram',
    help: 'Duration of database client operations (OpenTelemetry db.client.operation.duration).',
  },
  {
    name: 'db_client_connection_count',
    type: 'gauge',
    help: 'Connections currently in each state (OpenTelemetry db.client.connection.count).',
  },
  {
    name: 'db_client_connection_max',
    type: 'gauge',
    help: 'The maximum number of open connections allowed (OpenTelemetry db.client.connection.max).',
  },
  {
    name: 'db_client_connection_pending_requests',
    type: 'gauge',
    help: 'Callers waiting for a connection (OpenTelemetry db.client.connection.pending_requests).',
  },
  {
    name: 'db_client_connection_wait_time_seconds',
    type: 'histogram',
    help: 'Time it took to obtain a leased connection (OpenTelemetry db.client.connection.wait_time).',
  },
  {
    name: 'db_client_connection_timeouts_total',
    type: 'counter',
    help: 'Callers that gave up waiting for a connection (OpenTelemetry db.client.connection.timeouts).',
  },
  {
    name: 'db_client_connection_use_time_seconds',
    type: 'histogram',
    help: 'Time between borrowing a connection and returning it (OpenTelemetry db.client.connection.use_time).',
  },
  {
    name: 'db_client_connection_create_time_seconds',
    type: 'histogram',
    help: 'Time it took to open a connection (OpenTelemetry db.client.connection.create_time).',
  },
  { name: 'hivedb_transactions_total', type: 'counter', help: 'Transactions ended, by outcome.' },
  {
    name: 'hivedb_retries_total',
    type: 'counter',
    help: 'Units of work retried after SQLITE_BUSY or SQLITE_LOCKED.',
  },
  {
    name: 'hivedb_query_cache_requests_total',
    type: 'counter',
    help: 'Query cache lookups, by result.',
  },
  {
    name: 'hivedb_query_cache_invalidations_total',
    type: 'counter',
    help: 'Query cache invalidations.',
  },
  {
    name: 'hivedb_wal_bytes',
    type: 'gauge',
    help: 'Size of the write-ahead log at the last health check or checkpoint.',
  },
  { name: 'hivedb_checkpoints_total', type: 'counter', help: 'WAL checkpoints run by the pool.' },
  {
    name: 'hivedb_circuit_state',
    type: 'gauge',
    help: 'The circuit breaker state (1 for the current one).',
  },
  {
    name: 'hivedb_connection_errors_total',
    type: 'counter',
    help: 'Connections that could not be opened.',
  },
  {
    name: 'hivedb_slow_queries_total',
    type: 'counter',
    help: 'Operations slower than slowQueryThreshold.',
  },
  {
    name: 'hivedb_store_operation_duration_seconds',
    type: 'histogram',
    help: 'Duration of store operations.',
  },
  {
    name: 'hivedb_store_conflicts_total',
    type: 'counter',
    help: 'Compare-and-set writes that lost.',
  },
  {
    name: 'hivedb_store_cache_requests_total',
    type: 'counter',
    help: 'Store read cache lookups, by result.',
  },
  {
    name: 'hivedb_store_errors_total',
    type: 'counter',
    help: 'Background failures reported by the store.',
  },
  { name: 'hivedb_monitor_active_alerts', type: 'gauge', help: 'Alerts active now.' },
  {
    name: 'hivedb_monitor_samples_written_total',
    type: 'counter',
    help: 'Samples written to query_performance.',
  },
  {
    name: 'hivedb_monitor_samples_dropped_total',
    type: 'counter',
    help: 'Samples dropped because hive.db could not be written in time.',
  },
  { name: 'hivedb_monitor_samples_pending', type: 'gauge', help: 'Samples waiting to be written.' },
] as const);

function escapeLabel(v: string): string {
  return v.replaceAll('\\', '\\\\').replaceAll('\n', '\\n').replaceAll('"', '\\"');
}

function escapeHelp(v: string): string {
  return v.replaceAll('\\', '\\\\').replaceAll('\n', '\\n');
}

function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Number.POSITIVE_INFINITY) return '+Inf';
  if (v === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(v);
}

/** Renders metric families in the Prometheus text exposition format (version 0.0.4). */
export function renderPrometheus(families: readonly MetricFamily[]): string {
  const lines: string[] = [];
  for (const f of families) {
    lines.push(`# HELP ${f.name} ${escapeHelp(f.help)}`);
    lines.push(`# TYPE ${f.name} ${f.type}`);
    for (const s of f.samples) {
      const labels = Object.entries(s.labels);
      const l =
        labels.length === 0
          ? ''
          : `{${labels.map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',')}}`;
      lines.push(`${f.name}${s.suffix}${l} ${formatValue(s.value)}`);
    }
  }
  return `${lines.join('\n')}\n`;
}
