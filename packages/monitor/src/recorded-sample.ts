import type { CollectorHost } from './collector.js';
import { MonitorError } from './errors.js';
import { binOf } from './histogram.js';
import type { PersistedSample } from './persistence.js';
import type { Source } from './source.js';
import type { QuerySample } from './types.js';

/** Throws `MONITOR_INVALID_ARGUMENT` unless `sample` has a label and a duration. */
export function assertSample(sample: QuerySample): void {
  if (sample === null || typeof sample !== 'object')
    throw new MonitorError(
      'MONITOR_INVALID_ARGUMENT',
      'recordQueryPerformance(sample): sample must be an object',
    );
  const { queryType, executionTimeMs: d } = sample;
  if (typeof queryType !== 'string' || queryType.length === 0)
    throw new MonitorError(
      'MONITOR_INVALID_ARGUMENT',
      'recordQueryPerformance: queryType must be a non-empty string',
    );
  if (typeof d !== 'number' || !Number.isFinite(d) || d < 0)
    throw new MonitorError(
      'MONITOR_INVALID_ARGUMENT',
      `recordQueryPerformance: executionTimeMs must be a number of ms, 0 or more (got ${String(d)})`,
    );
}

/**
 * Counts a sample given to `recordQueryPerformance` like a statement of `source` (its label is
 * the statement, and its operation when it is not SQL), and persists it when `persist` is given.
 */
export function recordSample(
  host: CollectorHost,
  source: Source,
  sample: QuerySample,
  persist: ((s: PersistedSample) => void) | null,
): void {
  const now = host.clock();
  const w = host.window;
  w.rotate(now);
  const d = sample.executionTimeMs;
  const st = source.statement(sample.queryType, true);
  if (st.epoch !== w.epoch) {
    st.agg = w.statementAgg(st);
    st.epoch = w.epoch;
  }
  const agg = st.agg!;
  const rows = sample.rowsAffected ?? 0;
  const failed = sample.error !== undefined && sample.error !== false;
  agg.count++;
  agg.totalMs += d;
  if (d > agg.maxMs) agg.maxMs = d;
  agg.rows += rows;
  agg.hist[binOf(d)]!++;
  if (sample.cacheHit === true) agg.cacheHits++;
  if (failed) {
    agg.errors++;
    source
      .series(st.operation, typeof sample.error === 'string' ? sample.error : 'error')
      .duration.add(d);
  } else st.series.duration.add(d);
  if (d > host.slowQueryThreshold) {
    source.slowQueries++;
    source.slowSinceCycle++;
    host.slowQuery({
      at: now,
      source: source.name,
      sql: sample.queryType,
      normalized: st.key,
      operation: st.operation,
      paramCount: 0,
      durationMs: d,
      rows,
      connectionId: undefined,
      transactionId: undefined,
      error: failed ? String(sample.error) : undefined,
    });
  }
  persist?.({
    queryType: failed ? `${sample.queryType}:error` : sample.queryType,
    executionTimeMs: d,
    memoryKey: sample.memoryKey ?? null,
    agentId: sample.agentId ?? null,
    timestamp: now,
    rowsAffected: rows,
    cacheHit: sample.cacheHit === true,
  });
}
