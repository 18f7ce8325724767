import type { CircuitState } from '@hivedb/pool';
import type { Alert, SlowQuery } from './events.js';
import type { LatencySummary } from './histogram.js';
import type { PersistenceStats } from './persistence.js';

export type { LatencySummary };

/** A sample handed to `recordQueryPerformance` (the seed's method): the columns of `query_performance`. */
export interface QuerySample {
  /** What ran: an operation (`SELECT`), a statement, or your own label. */
  readonly queryType: string;
  readonly executionTimeMs: number;
  readonly memoryKey?: string;
  readonly agentId?: string;
  readonly rowsAffected?: number;
  readonly cacheHit?: boolean;
  /** It failed (an error code, or `true`). */
  readonly error?: string | boolean;
  /** The source it is reported under. Default `'recorded'`. */
  readonly source?: string;
}

/** Queries of one operation (`SELECT`, `INSERT`, …) over the window. */
export interface OperationReport {
  readonly operation: string;
  readonly count: number;
  readonly ratePerSec: number;
  readonly errors: number;
  /** Failed ÷ all, in %. */
  readonly errorRate: number;
  readonly latency: LatencySummary;
}

/** One normalised statement over the window. */
export interface StatementReport {
  readonly source: string;
  readonly statement: string;
  readonly operation: string;
  readonly count: number;
  readonly ratePerSec: number;
  readonly errors: number;
  readonly rows: number;
  readonly cacheHits: number;
  readonly latency: LatencySummary;
}

/** One attached pool over the window. Figures with no event behind them are absent. */
export interface PoolReport {
  readonly source: string;
  readonly filename: string | undefined;
  /** Latest occupancy, from `utilization` (explicit leases) and `health` events. */
  readonly connections?: {
    readonly total: number;
    readonly leased: number;
    readonly idle: number;
    readonly waiting?: number;
    readonly max?: number;
  };
  /** leased ÷ max in %: now, and the highest a `utilization` event showed in the window. */
  readonly utilization?: { readonly currentPct: number; readonly peakPct?: number };
  readonly acquireWait?: LatencySummary;
  /** Callers that gave up waiting for a connection (`POOL_ACQUIRE_TIMEOUT`) in the window. */
  readonly acquireTimeouts?: number;
  readonly held?: LatencySummary;
  readonly transactions?: {
    readonly committed: number;
    readonly rolledBack: number;
    readonly timedOut: number;
    readonly retries: number;
    readonly latency?: LatencySummary;
  };
  readonly retries: number;
  readonly cache?: {
    readonly hits: number;
    readonly misses: number;
    readonly invalidations: number;
    readonly hitRatio?: number;
  };
  readonly wal?: {
    readonly bytes?: number;
    readonly checkpoints: number;
    readonly checkpointsBusy: number;
  };
  readonly circuit?: CircuitState;
  readonly connectionsOpened: number;
  readonly connectionsClosed: number;
  readonly connectionErrors: number;
  readonly poolErrors: number;
}

/** One attached store over the window. */
export interface StoreReport {
  readonly source: string;
  readonly operations: readonly {
    readonly operation: string;
    readonly count: number;
    readonly ratePerSec: number;
    readonly latency: LatencySummary;
  }[];
  readonly gets?: { readonly found: number; readonly missed: number };
  readonly conflicts: number;
  readonly cache?: {
    readonly hits: number;
    readonly misses: number;
    readonly invalidations: number;
    readonly hitRatio?: number;
  };
  readonly expired: number;
  readonly flushes?: LatencySummary;
  readonly errors: number;
}

/** A change the evidence points to. */
export interface Recommendation {
  readonly type:
    | 'index'
    | 'full-scan'
    | 'sort'
    | 'pool-saturation'
    | 'checkpoint-starvation'
    | 'cache-hit-ratio';
  readonly source: string;
  readonly message: string;
  readonly table?: string;
  readonly columns?: readonly string[];
  /** The normalised statement it is about. */
  readonly statement?: string;
  /** SQL to consider (never run by the monitor), e.g. a `CREATE INDEX`. */
  readonly suggestion?: string;
  readonly evidence: Readonly<Record<string, unknown>>;
}

/** What `getPerformanceReport()` returns. */
export interface PerformanceReport {
  readonly generatedAt: number;
  /** The sliding window the figures cover. */
  readonly window: { readonly from: number; readonly to: number; readonly durationMs: number };
  readonly queries: {
    readonly total: number;
    readonly ratePerSec: number;
    readonly errors: number;
    /** In %; absent with no queries. */
    readonly errorRate?: number;
    readonly cacheHits: number;
    readonly latency?: LatencySummary;
    readonly byOperation: readonly OperationReport[];
    /** The slowest statements by mean time (at most 10). */
    readonly slowest: readonly StatementReport[];
    /** The most frequent statements (at most 10). */
    readonly mostFrequent: readonly StatementReport[];
  };
  readonly slowQueries: {
    readonly thresholdMs: number;
    /** Since the monitor started. */
    readonly total: number;
    /** The most recent, newest last. */
    readonly recent: readonly SlowQuery[];
  };
  readonly pools: readonly PoolReport[];
  readonly stores: readonly StoreReport[];
  readonly alerts: { readonly active: readonly Alert[]; readonly recent: readonly Alert[] };
  readonly recommendations: readonly Recommendation[];
  readonly persistence?: PersistenceStats;
}
