import { NOTABLE_MS, type Pool } from '@hivedb/pool';
import { MonitorError } from './errors.js';

/** The seed's alert thresholds. */
export interface AlertThresholds {
  /** Pool utilisation (leased ÷ maxConnections, time-weighted over a monitoring cycle), in %. Default 80. */
  readonly connectionPoolUtilization?: number;
  /** Mean query time over the window, in ms. Default 500. */
  readonly averageQueryTime?: number;
  /** Failed queries ÷ queries over the window, in %. Default 5. */
  readonly errorRate?: number;
}

/** Where and how query samples are written to `hive.db`'s `query_performance`. */
export interface PersistenceOptions {
  /**
   * A pool on `hive.db` to write through. The monitor's statements carry a marker comment and are
   * never counted as application queries, even when you attach this pool's events too.
   * Give this, or `filename`/`root` (the monitor then opens a pool of its own, which it never
   * listens to).
   */
  readonly pool?: Pool;
  /** The database file the monitor opens when no `pool` is given. Default `'hive.db'`. */
  readonly filename?: string;
  /** Folder `filename` is confined to. Default: the current working directory. */
  readonly root?: string;
  /** Create or migrate `hive.db`'s tables (`@hivedb/schema`'s Migrator) at `start()`. Default true. */
  readonly migrate?: boolean;
  /**
   * Fraction of ordinary queries written (0–1), chosen at random. Slow queries, failed queries
   * and `recordQueryPerformance` samples are always written. Default 0.01.
   */
  readonly sampleRate?: number;
  /** Pending samples are written in one transaction this often (ms). Default 5000. */
  readonly flushIntervalMs?: number;
  /** …or as soon as this many are pending. Default 500. */
  readonly batchSize?: number;
  /** Samples kept waiting at most (when `hive.db` cannot be written); older ones are dropped and counted. Default 10000. */
  readonly maxPending?: number;
  /** How often rows older than `metricsRetentionDays` are deleted (ms). Default 3600000. */
  readonly pruneIntervalMs?: number;
}

/** Options of `new PerformanceMonitor(options)`: the seed's names and defaults where it has them. */
export interface MonitorOptions {
  /** A query that takes longer than this (ms) is a slow query. Default 1000. */
  readonly slowQueryThreshold?: number;
  /** How often alerts are evaluated and recommendations refreshed (ms); `0` disables the timer. Default 30000. */
  readonly monitoringInterval?: number;
  /** Persisted samples older than this many days are deleted. Default 7. */
  readonly metricsRetentionDays?: number;
  readonly alertThresholds?: AlertThresholds;
  /** Length of the sliding window that rates, percentiles and error rates are computed over (ms). Default 300000. */
  readonly windowMs?: number;
  /** An alert clears when its value falls below `threshold × (1 − alertHysteresis)`. Default 0.2. */
  readonly alertHysteresis?: number;
  /** After an alert resolves, the same alert is not raised again for this long (ms). Default 300000. */
  readonly alertCooldownMs?: number;
  /** Error-rate and average-time alerts need at least this many queries in the window. Default 20. */
  readonly alertMinQueries?: number;
  /** Slow queries kept in memory (the most recent). Default 100. */
  readonly slowQueryLogSize?: number;
  /** Distinct normalised statements tracked per attached bus; the rest are counted under `(other SELECT)` etc. Default 200. */
  readonly maxStatements?: number;
  /** How many of the slowest statements get an `EXPLAIN QUERY PLAN` per refresh. Default 5. */
  readonly explainTopStatements?: number;
  /**
   * How a pool's statements are timed. `'sampled'` listens to the pool's `query:batch`: every
   * statement counted exactly, every failed one and every one of 100 ms or more reported in full
   * (so no slow query over 100 ms is missed), and one in 64 of the others timed for the latency
   * histograms; it costs a point read a few percent, and figures arrive within a second (reports
   * and exports ask the pools for the latest first). `'exact'` listens to `query`: every statement
   * timed and delivered as it ends, which costs a point read about 20 %. Default: `'sampled'`,
   * or `'exact'` when `slowQueryThreshold` is under 100 ms (the pool's NOTABLE_MS).
   */
  readonly queryTiming?: 'sampled' | 'exact';
  /** Write samples to `hive.db`. Default `false` (metrics stay in memory). */
  readonly persistence?: false | PersistenceOptions;
  /** The clock (ms since the epoch) used for windows, alerts, sample timestamps and retention. Default `Date.now`. */
  readonly clock?: () => number;
}

/** `PersistenceOptions` with defaults applied. */
export interface ResolvedPersistenceOptions {
  readonly pool: Pool | null;
  readonly filename: string;
  readonly root: string | undefined;
  readonly migrate: boolean;
  readonly sampleRate: number;
  readonly flushIntervalMs: number;
  readonly batchSize: number;
  readonly maxPending: number;
  readonly pruneIntervalMs: number;
}

/** `MonitorOptions` with defaults applied. */
export interface ResolvedMonitorOptions {
  readonly slowQueryThreshold: number;
  readonly monitoringInterval: number;
  readonly metricsRetentionDays: number;
  readonly alertThresholds: Required<AlertThresholds>;
  readonly windowMs: number;
  readonly alertHysteresis: number;
  readonly alertCooldownMs: number;
  readonly alertMinQueries: number;
  readonly slowQueryLogSize: number;
  readonly maxStatements: number;
  readonly explainTopStatements: number;
  readonly queryTiming: 'sampled' | 'exact';
  readonly persistence: ResolvedPersistenceOptions | null;
  readonly clock: () => number;
}

/** The monitor's defaults (the seed's where it names one). */
export const DEFAULT_MONITOR_OPTIONS = Object.freeze({
  slowQueryThreshold: 1000,
  monitoringInterval: 30_000,
  metricsRetentionDays: 7,
  alertThresholds: Object.freeze({
    connectionPoolUtilization: 80,
    averageQueryTime: 500,
    errorRate: 5,
  }),
  windowMs: 300_000,
  alertHysteresis: 0.2,
  alertCooldownMs: 300_000,
  alertMinQueries: 20,
  slowQueryLogSize: 100,
  maxStatements: 200,
  explainTopStatements: 5,
  queryTiming: 'sampled' as 'sampled' | 'exact',
  persistence: Object.freeze({
    filename: 'hive.db',
    migrate: true,
    sampleRate: 0.01,
    flushIntervalMs: 5000,
    batchSize: 500,
    maxPending: 10_000,
    pruneIntervalMs: 3_600_000,
  }),
});

function describe(value: unknown): string {
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'string') return JSON.stringify(value);
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return typeof value;
  }
}

/** A `MONITOR_INVALID_OPTION` error naming the option and the value. */
export function invalidOption(option: string, value: unknown, expected: string): MonitorError {
  return new MonitorError(
    'MONITOR_INVALID_OPTION',
    `invalid monitor option ${option}: ${describe(value)} (expected ${expected})`,
    { details: { option, value } },
  );
}

function objectOf(
  name: string,
  input: unknown,
  allowed: readonly string[],
): Record<string, unknown> {
  if (input === undefined) return {};
  if (input === null || typeof input !== 'object' || Array.isArray(input))
    throw invalidOption(name, input, 'an object');
  for (const key of Object.keys(input)) {
    if (!allowed.includes(key))
      throw invalidOption(
        name === '' ? key : `${name}.${key}`,
        (input as Record<string, unknown>)[key],
        `a known option (${allowed.join(', ')})`,
      );
  }
  return input as Record<string, unknown>;
}

function num(
  name: string,
  value: unknown,
  fallback: number,
  check: (n: number) => boolean,
  expected: string,
): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || Number.isNaN(value) || !check(value))
    throw invalidOption(name, value, expected);
  return value;
}

const positive = (n: number) => Number.isFinite(n) && n > 0;
const nonNegative = (n: number) => Number.isFinite(n) && n >= 0;
const positiveInt = (n: number) => Number.isInteger(n) && n > 0;
const percent = (n: number) => Number.isFinite(n) && n > 0 && n <= 100;

function resolvePersistence(input: unknown): ResolvedPersistenceOptions | null {
  if (input === undefined || input === false) return null;
  const raw = objectOf('persistence', input, [
    'pool',
    'filename',
    'root',
    'migrate',
    'sampleRate',
    'flushIntervalMs',
    'batchSize',
    'maxPending',
    'pruneIntervalMs',
  ]);
  const d = DEFAULT_MONITOR_OPTIONS.persistence;
  const pool = raw.pool;
  if (pool !== undefined) {
    const p = pool as Partial<Pool> | null;
    if (
      p === null ||
      typeof p !== 'object' ||
      typeof p.transaction !== 'function' ||
      typeof p.run !== 'function'
    )
      throw invalidOption('persistence.pool', pool, 'a pool from @hivedb/pool');
    if (raw.filename !== undefined || raw.root !== undefined)
      throw invalidOption(
        'persistence.filename',
        raw.filename ?? raw.root,
        'no filename or root when a pool is given',
      );
  }
  const filename = raw.filename ?? d.filename;
  if (typeof filename !== 'string' || filename.length === 0)
    throw invalidOption('persistence.filename', filename, 'a file name');
  const root = raw.root;
  if (root !== undefined && (typeof root !== 'string' || root.length === 0))
    throw invalidOption('persistence.root', root, 'a folder path');
  const migrate = raw.migrate ?? d.migrate;
  if (typeof migrate !== 'boolean')
    throw invalidOption('persistence.migrate', migrate, 'true or false');
  return {
    pool: (pool as Pool | undefined) ?? null,
    filename,
    root: root as string | undefined,
    migrate,
    sampleRate: num(
      'persistence.sampleRate',
      raw.sampleRate,
      d.sampleRate,
      (n) => n >= 0 && n <= 1,
      'a fraction from 0 to 1',
    ),
    flushIntervalMs: num(
      'persistence.flushIntervalMs',
      raw.flushIntervalMs,
      d.flushIntervalMs,
      positive,
      'a number of ms above 0',
    ),
    batchSize: num(
      'persistence.batchSize',
      raw.batchSize,
      d.batchSize,
      positiveInt,
      'an integer above 0',
    ),
    maxPending: num(
      'persistence.maxPending',
      raw.maxPending,
      d.maxPending,
      positiveInt,
      'an integer above 0',
    ),
    pruneIntervalMs: num(
      'persistence.pruneIntervalMs',
      raw.pruneIntervalMs,
      d.pruneIntervalMs,
      positive,
      'a number of ms above 0',
    ),
  };
}

/**
 * Applies the defaults to `MonitorOptions` (with `??`: 0 and false are values), and rejects
 * unknown keys and bad values with `MONITOR_INVALID_OPTION` naming the option and the value.
 */
export function resolveMonitorOptions(input: MonitorOptions = {}): ResolvedMonitorOptions {
  const raw = objectOf('', input, [
    'slowQueryThreshold',
    'monitoringInterval',
    'metricsRetentionDays',
    'alertThresholds',
    'windowMs',
    'alertHysteresis',
    'alertCooldownMs',
    'alertMinQueries',
    'slowQueryLogSize',
    'maxStatements',
    'explainTopStatements',
    'queryTiming',
    'persistence',
    'clock',
  ]);
  const d = DEFAULT_MONITOR_OPTIONS;
  const t = objectOf('alertThresholds', raw.alertThresholds, [
    'connectionPoolUtilization',
    'averageQueryTime',
    'errorRate',
  ]);
  const slowQueryThreshold = num(
    'slowQueryThreshold',
    raw.slowQueryThreshold,
    d.slowQueryThreshold,
    nonNegative,
    'a number of ms, 0 or more',
  );
  // Sampled timing reports in full only the statements of NOTABLE_MS or more: a lower threshold
  // needs every statement timed to miss no slow query.
  const queryTiming =
    raw.queryTiming ?? (slowQueryThreshold < NOTABLE_MS ? 'exact' : d.queryTiming);
  if (queryTiming !== 'sampled' && queryTiming !== 'exact')
    throw invalidOption('queryTiming', queryTiming, "'sampled' or 'exact'");
  const clock = raw.clock ?? Date.now;
  if (typeof clock !== 'function')
    throw invalidOption('clock', clock, 'a function returning ms since the epoch');
  return {
    slowQueryThreshold,
    monitoringInterval: num(
      'monitoringInterval',
      raw.monitoringInterval,
      d.monitoringInterval,
      nonNegative,
      'a number of ms, 0 or more (0: no timer)',
    ),
    metricsRetentionDays: num(
      'metricsRetentionDays',
      raw.metricsRetentionDays,
      d.metricsRetentionDays,
      positive,
      'a number of days above 0',
    ),
    alertThresholds: {
      connectionPoolUtilization: num(
        'alertThresholds.connectionPoolUtilization',
        t.connectionPoolUtilization,
        d.alertThresholds.connectionPoolUtilization,
        percent,
        'a percentage above 0, at most 100',
      ),
      averageQueryTime: num(
        'alertThresholds.averageQueryTime',
        t.averageQueryTime,
        d.alertThresholds.averageQueryTime,
        positive,
        'a number of ms above 0',
      ),
      errorRate: num(
        'alertThresholds.errorRate',
        t.errorRate,
        d.alertThresholds.errorRate,
        percent,
        'a percentage above 0, at most 100',
      ),
    },
    windowMs: num(
      'windowMs',
      raw.windowMs,
      d.windowMs,
      (n) => Number.isFinite(n) && n >= 1000,
      'a number of ms, 1000 or more',
    ),
    alertHysteresis: num(
      'alertHysteresis',
      raw.alertHysteresis,
      d.alertHysteresis,
      (n) => n >= 0 && n < 1,
      'a fraction from 0 up to (not including) 1',
    ),
    alertCooldownMs: num(
      'alertCooldownMs',
      raw.alertCooldownMs,
      d.alertCooldownMs,
      nonNegative,
      'a number of ms, 0 or more',
    ),
    alertMinQueries: num(
      'alertMinQueries',
      raw.alertMinQueries,
      d.alertMinQueries,
      (n) => Number.isInteger(n) && n >= 1,
      'an integer, 1 or more',
    ),
    slowQueryLogSize: num(
      'slowQueryLogSize',
      raw.slowQueryLogSize,
      d.slowQueryLogSize,
      (n) => Number.isInteger(n) && n >= 0,
      'an integer, 0 or more',
    ),
    maxStatements: num(
      'maxStatements',
      raw.maxStatements,
      d.maxStatements,
      positiveInt,
      'an integer above 0',
    ),
    explainTopStatements: num(
      'explainTopStatements',
      raw.explainTopStatements,
      d.explainTopStatements,
      (n) => Number.isInteger(n) && n >= 0,
      'an integer, 0 or more',
    ),
    queryTiming,
    persistence: resolvePersistence(raw.persistence),
    clock: clock as () => number,
  };
}
