import type { CircuitState } from '@hivedb/pool';
import { shapeOf } from './statement-text.js';
import { ExportHistogram } from './timing.js';
import type { PoolAgg, StatementAgg, StoreAgg } from './window.js';

/**
 * Runs one read-only statement on a reader of the attached database and returns its rows
 * (the monitor uses it for `EXPLAIN QUERY PLAN` and `pragma_table_info`).
 */
export type Reader = (
  sql: string,
  params?: readonly unknown[] | Readonly<Record<string, unknown>>,
) => Promise<readonly Record<string, unknown>[]> | readonly Record<string, unknown>[];

/** A lifetime series of one operation on one database, for the Prometheus export. */
export class OperationSeries {
  readonly duration = new ExportHistogram();
  constructor(
    readonly operation: string,
    /** The error's SQLite code (or hivedb code) for failed operations; `''` for successes. */
    readonly errorType: string,
  ) {}
}

/** A normalised statement of one attached bus. */
export class Statement {
  epoch = -1;
  agg: StatementAgg | undefined;
  readonly series: OperationSeries;
  constructor(
    readonly source: Source,
    readonly key: string,
    /** The first text seen for it (what `EXPLAIN` runs; literals are kept, parameters are not bound). */
    readonly sql: string,
    readonly operation: string,
  ) {
    this.series = source.series(operation, '');
  }
}

/** Latest pool occupancy, from `utilization` and `health` events. */
export interface PoolGauge {
  total: number;
  leased: number;
  waiting: number | undefined;
  max: number | undefined;
}

/** One attached bus (a pool's or a store's): its statements, gauges and lifetime counters. */
export class Source {
  /** The label it is reported under: the option `name`, else the database file's name. */
  name: string;
  named: boolean;
  poolId: number | undefined;
  filename: string | undefined;
  /** Whether pool events were seen (a store's bus never sends them). */
  isPool = false;
  isStore = false;
  detached = false;
  /** The bus attached (to recognise the persistence pool's own). */
  bus: unknown;
  /** While above 0, statements and transactions are the monitor's own work (its migration at start). */
  suspended = 0;

  readonly #byText = new Map<string, Statement>();
  readonly #byKey = new Map<string, Statement>();
  readonly #series = new Map<string, OperationSeries>();
  readonly #maxStatements: number;

  // Window cursors: the aggregate of the current bucket, valid while `epoch` matches.
  poolEpoch = -1;
  poolAgg: PoolAgg | undefined;
  storeEpoch = -1;
  storeAgg: StoreAgg | undefined;

  // Occupancy, integrated over time for the utilisation of a monitoring cycle.
  gauge: PoolGauge | undefined;
  gaugeAt = 0;
  leasedIntegral = 0;
  integralSince = 0;
  /** Utilisation (0–1) measured over the last monitoring cycle. */
  lastUtilization: number | undefined;
  circuit: CircuitState | undefined;
  walBytes: number | undefined;
  /** The pool's `walLimitBytes`, once a `wal` event told it (coordinated checkpoints only). */
  walLimitBytes: number | undefined;
  /** The largest WAL size `wal` events reported since the last monitoring cycle. */
  walMaxSinceCycle = 0;
  readonly walSamples: { at: number; bytes: number }[] = [];
  /** Transactions whose statements were the monitor's own (their `transaction` events are skipped). */
  readonly ownTransactions = new Set<number>();

  // Since the last monitoring cycle.
  slowSinceCycle = 0;
  connectionErrorsSinceCycle = 0;

  // Lifetime, for the export.
  readonly acquireWait = new ExportHistogram();
  /** Callers that gave up waiting for a connection (`acquire:timeout`). */
  acquireTimeouts = 0;
  readonly useTime = new ExportHistogram();
  readonly createTime = new ExportHistogram();
  readonly transactionsByOutcome = new Map<string, number>();
  retries = 0;
  checkpoints = 0;
  cacheHits = 0;
  cacheMisses = 0;
  cacheInvalidations = 0;
  connectionErrors = 0;
  slowQueries = 0;
  readonly storeOps = new Map<string, ExportHistogram>();
  storeConflicts = 0;
  storeCacheHits = 0;
  storeCacheMisses = 0;
  storeErrors = 0;

  constructor(
    readonly id: number,
    name: string | undefined,
    readonly reader: Reader | undefined,
    maxStatements: number,
  ) {
    this.name = name ?? `source-${id}`;
    this.named = name !== undefined;
    this.#maxStatements = maxStatements;
  }

  /** The statement `sql` counts under (normalised once per distinct text). */
  statement(sql: string, recorded = false): Statement {
    let st = this.#byText.get(sql);
    if (st !== undefined) return st;
    const parsed = shapeOf(sql);
    // A recorded sample's label (`'get'`) is its own operation when it is not SQL.
    const shape =
      recorded && parsed.operation === 'OTHER'
        ? { normalized: parsed.normalized, operation: sql.slice(0, 64) }
        : parsed;
    st = this.#byKey.get(shape.normalized);
    if (st === undefined) {
      if (this.#byKey.size >= this.#maxStatements) {
        // Past the cap, statements are counted under their operation only.
        const key = `(other ${shape.operation})`;
        st = this.#byKey.get(key);
        if (st === undefined) {
          st = new Statement(this, key, '', shape.operation);
          this.#byKey.set(key, st);
        }
      } else {
        st = new Statement(this, shape.normalized, sql, shape.operation);
        this.#byKey.set(shape.normalized, st);
      }
    }
    // Texts with inlined literals would grow this map without end: start it over past a bound.
    if (this.#byText.size >= this.#maxStatements * 20) this.#byText.clear();
    this.#byText.set(sql, st);
    return st;
  }

  statements(): IterableIterator<Statement> {
    return this.#byKey.values();
  }

  series(operation: string, errorType: string): OperationSeries {
    const key = `${operation}\u0000${errorType}`;
    let s = this.#series.get(key);
    if (s === undefined) {
      s = new OperationSeries(operation, errorType);
      this.#series.set(key, s);
    }
    return s;
  }

  allSeries(): IterableIterator<OperationSeries> {
    return this.#series.values();
  }

  storeOp(name: string): ExportHistogram {
    let h = this.storeOps.get(name);
    if (h === undefined) {
      h = new ExportHistogram();
      this.storeOps.set(name, h);
    }
    return h;
  }

  /** Moves the occupancy integral to `now`, then sets the new occupancy. */
  setGauge(now: number, gauge: PoolGauge): void {
    if (this.gauge === undefined) {
      // Utilisation is measured from the first occupancy seen, not from before it.
      this.integralSince = now;
      this.gaugeAt = now;
      this.leasedIntegral = 0;
    }
    this.advanceGauge(now);
    this.gauge = gauge;
  }

  advanceGauge(now: number): void {
    if (this.gauge !== undefined && now > this.gaugeAt) {
      this.leasedIntegral += this.gauge.leased * (now - this.gaugeAt);
    }
    if (now > this.gaugeAt) this.gaugeAt = now;
  }

  /**
   * Mean utilisation (leased ÷ max) since the last call, time-weighted, and starts a new period.
   * `undefined` when the occupancy or the pool's size is unknown.
   */
  takeUtilization(now: number): number | undefined {
    this.advanceGauge(now);
    const elapsed = now - this.integralSince;
    const max = this.gauge?.max;
    let result: number | undefined;
    if (this.gauge !== undefined && max !== undefined && max > 0) {
      result = elapsed > 0 ? this.leasedIntegral / elapsed / max : this.gauge.leased / max;
    }
    this.leasedIntegral = 0;
    this.integralSince = now;
    return result;
  }
}
