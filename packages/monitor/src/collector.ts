import type {
  AcquireEvent,
  AcquireTimeoutEvent,
  CacheEvent,
  CheckpointEvent,
  CircuitEvent,
  ConnectionErrorEvent,
  ConnectionOpenEvent,
  HealthEvent,
  QueryBatchEvent,
  QueryBatchStatement,
  QueryEvent,
  ReleaseEvent,
  TransactionEvent,
  UtilizationEvent,
  WalEvent,
} from '@hivedb/pool';
import type { SlowQuery } from './events.js';
import { binOf } from './histogram.js';
import type { PersistedSample } from './persistence.js';
import type { Source, Statement } from './source.js';
import type { MonitoredStoreEvents } from './store-events.js';
import type { PoolAgg, SlidingWindow, StatementAgg, StoreAgg } from './window.js';

/**
 * Every statement the monitor runs itself starts with this comment, so that its own writes and
 * plans are never counted as application queries, even on a pool it is attached to.
 */
export const OWN_SQL_MARK = '/* hivedb:monitor */ ';

/** Whether `sql` is one of the monitor's own statements. */
function isOwn(sql: string): boolean {
  return sql.charCodeAt(0) === 47 && sql.startsWith(OWN_SQL_MARK);
}

/** What the collector needs from the monitor that owns it. */
export interface CollectorHost {
  readonly window: SlidingWindow;
  readonly clock: () => number;
  readonly slowQueryThreshold: number;
  /** Which pool event statements are counted from: `query:batch` ('sampled') or `query` ('exact'). */
  readonly queryTiming: 'sampled' | 'exact';
  /** Called every 1024 events: the window checks the clock. */
  tick(): void;
  slowQuery(q: SlowQuery): void;
  /** Where persisted samples go; `null` while nothing is persisted. */
  sampler(): Sampler | null;
  /** A pool's first `query` event (the only one that carries the file): its database file, to name the source after. */
  learnPool(source: Source, poolId: number, filename: string): void;
  /** A store's first event. */
  learnStore(source: Source): void;
  internalError(where: string, error: unknown): void;
}

/** Chooses which ordinary samples are persisted: a random subset with the configured rate. */
export class Sampler {
  #countdown: number;
  constructor(
    readonly rate: number,
    readonly push: (s: PersistedSample) => void,
  ) {
    this.#countdown = this.#next();
  }

  // A geometric gap between samples: each query is chosen with probability `rate`, independently
  // of any period in the workload, and `Math.random` runs once per chosen sample.
  #next(): number {
    if (this.rate >= 1) return 1;
    if (this.rate <= 0) return Number.POSITIVE_INFINITY;
    return 1 + Math.floor(Math.log(1 - Math.random()) / Math.log(1 - this.rate));
  }

  /** Whether the next ordinary sample is chosen. */
  take(): boolean {
    if (--this.#countdown > 0) return false;
    this.#countdown = this.#next();
    return true;
  }

  /** How many of the next `n` ordinary samples are chosen (as `take()` n times would). */
  takeOf(n: number): number {
    this.#countdown -= n;
    let k = 0;
    while (this.#countdown <= 0) {
      k++;
      this.#countdown += this.#next();
    }
    return Math.min(k, n);
  }
}

type Listener = (payload: never) => void;

/** The listeners one attached bus gets: pool events and store events alike (a bus sends only its own). */
export function listenersFor(host: CollectorHost, source: Source): Array<[string, Listener]> {
  const w = host.window;
  let events = 0;

  const poolAgg = (): PoolAgg => {
    if (source.poolEpoch !== w.epoch) {
      source.poolAgg = w.poolAgg(source);
      source.poolEpoch = w.epoch;
    }
    return source.poolAgg!;
  };
  const storeAgg = (): StoreAgg => {
    if (source.storeEpoch !== w.epoch) {
      source.storeAgg = w.storeAgg(source);
      source.storeEpoch = w.epoch;
    }
    return source.storeAgg!;
  };
  const guard =
    <P>(where: string, fn: (p: P) => void) =>
    (p: P) => {
      try {
        fn(p);
      } catch (error) {
        host.internalError(where, error);
      }
    };

  /** Counts a slow query for this source and hands it to the monitor's log. */
  const slowQuery = (q: SlowQuery) => {
    source.slowQueries++;
    source.slowSinceCycle++;
    host.slowQuery(q);
  };

  const statementAgg = (st: Statement): StatementAgg => {
    if (st.epoch !== w.epoch) {
      st.agg = w.statementAgg(st);
      st.epoch = w.epoch;
    }
    return st.agg!;
  };

  /**
   * One statement in full: a `query` event, or a `query:batch`'s notable one (`counted`: the
   * batch's figures already hold its count, error and rows; its duration is added here).
   */
  const one = (e: QueryEvent, counted: boolean) => {
    const sql = e.sql;
    if (isOwn(sql)) {
      if (e.transactionId !== undefined) source.ownTransactions.add(e.transactionId);
      return;
    }
    if (source.suspended > 0) return;
    if (source.filename === undefined) host.learnPool(source, e.poolId, e.filename);
    const st = source.statement(sql);
    const agg = statementAgg(st);
    const d = e.durationMs;
    const error = e.error;
    if (!counted) {
      agg.count++;
      agg.rows += e.rows;
      if (e.cacheHit) agg.cacheHits++;
      if (error !== undefined) agg.errors++;
    }
    agg.totalMs += d;
    if (d > agg.maxMs) agg.maxMs = d;
    agg.hist[binOf(d)]!++;
    if (error === undefined) st.series.duration.add(d);
    else source.series(st.operation, error.sqliteCode ?? error.code).duration.add(d);
    const slow = d > host.slowQueryThreshold;
    if (slow) {
      slowQuery({
        at: host.clock(),
        source: source.name,
        sql: sql.length > 2000 ? `${sql.slice(0, 2000)}…` : sql,
        normalized: st.key,
        operation: st.operation,
        paramCount: e.paramCount,
        durationMs: d,
        rows: e.rows,
        connectionId: e.connectionId,
        transactionId: e.transactionId,
        error: error === undefined ? undefined : (error.sqliteCode ?? error.code),
      });
    }
    const sampler = host.sampler();
    if (sampler !== null && (sampler.take() || slow || error !== undefined)) {
      sampler.push({
        queryType: error === undefined ? st.operation : `${st.operation}:error`,
        executionTimeMs: d,
        memoryKey: null,
        agentId: null,
        timestamp: host.clock(),
        rowsAffected: e.rows,
        cacheHit: e.cacheHit,
      });
    }
  };

  // queryTiming 'exact': one call per statement.
  const onQuery = (e: QueryEvent) => {
    try {
      one(e, false);
      if ((++events & 1023) === 0) host.tick();
    } catch (error) {
      host.internalError('query listener', error);
    }
  };

  // queryTiming 'sampled' (the default): about one call a second per pool.
  const onBatch = (e: QueryBatchEvent) => {
    try {
      if (source.suspended === 0) {
        if (source.filename === undefined) host.learnPool(source, e.poolId, e.filename);
        for (const b of e.statements) batchStatement(b);
      }
      for (const q of e.notable) one(q, true);
      host.tick();
    } catch (error) {
      host.internalError('query:batch listener', error);
    }
  };

  const batchStatement = (b: QueryBatchStatement) => {
    if (isOwn(b.sql)) return;
    const st = source.statement(b.sql);
    const agg = statementAgg(st);
    agg.count += b.count;
    agg.errors += b.errors;
    agg.rows += b.rows;
    agg.cacheHits += b.cacheHits;
    const sampler = host.sampler();
    const ds = b.durationsMs;
    const ws = b.weights;
    for (let i = 0; i < ds.length; i++) {
      // Each timing stands for `n` statements of this text (itself and untimed ones).
      const d = ds[i]!;
      const n = ws[i]!;
      agg.totalMs += d * n;
      if (d > agg.maxMs) agg.maxMs = d;
      agg.hist[binOf(d)]! += n;
      st.series.duration.add(d, n);
      if (sampler === null) continue;
      for (let k = sampler.takeOf(n); k > 0; k--) {
        sampler.push({
          queryType: st.operation,
          executionTimeMs: d,
          memoryKey: null,
          agentId: null,
          timestamp: host.clock(),
          rowsAffected: b.count > 0 ? Math.round(b.rows / b.count) : 0,
          cacheHit: b.cacheHits === b.count,
        });
      }
    }
  };

  const learnById = (poolId: number) => {
    if (!source.isPool) {
      source.isPool = true;
      source.poolId = poolId;
    }
  };

  const onUtilization = guard('utilization listener', (e: UtilizationEvent) => {
    learnById(e.poolId);
    source.setGauge(host.clock(), {
      total: e.total,
      leased: e.leased,
      waiting: e.waiting,
      max: e.max,
    });
    const agg = poolAgg();
    if (e.max > 0 && e.leased / e.max > agg.peakUtilization) agg.peakUtilization = e.leased / e.max;
    if (e.waiting > agg.peakWaiting) agg.peakWaiting = e.waiting;
  });

  const onHealth = guard('health listener', (e: HealthEvent) => {
    learnById(e.poolId);
    const now = host.clock();
    const prev = source.gauge;
    source.setGauge(now, {
      total: e.total,
      leased: e.leased,
      waiting: prev?.waiting,
      max: prev?.max,
    });
    source.walBytes = e.walBytes;
    pushWal(now, e.walBytes);
  });
  const pushWal = (at: number, bytes: number) => {
    source.walSamples.push({ at, bytes });
    if (source.walSamples.length > 32) source.walSamples.shift();
  };

  const onAcquire = guard('acquire listener', (e: AcquireEvent) => {
    learnById(e.poolId);
    poolAgg().acquireWait.add(e.waitMs);
    source.acquireWait.add(e.waitMs);
  });
  const onAcquireTimeout = guard('acquire:timeout listener', (e: AcquireTimeoutEvent) => {
    learnById(e.poolId);
    poolAgg().acquireTimeouts++;
    source.acquireTimeouts++;
  });
  const onRelease = guard('release listener', (e: ReleaseEvent) => {
    poolAgg().held.add(e.heldMs);
    source.useTime.add(e.heldMs);
  });
  const onTransaction = guard('transaction listener', (e: TransactionEvent) => {
    if (source.ownTransactions.delete(e.transactionId) || source.suspended > 0) return;
    const agg = poolAgg();
    agg.transactions.add(e.durationMs);
    agg.transactionRetries += e.retries;
    if (e.outcome === 'commit') agg.commits++;
    else if (e.outcome === 'rollback') agg.rollbacks++;
    else agg.timeouts++;
    source.transactionsByOutcome.set(
      e.outcome,
      (source.transactionsByOutcome.get(e.outcome) ?? 0) + 1,
    );
  });
  const onRetry = guard('retry listener', () => {
    poolAgg().retries++;
    source.retries++;
  });
  const onCircuit = guard('circuit listener', (e: CircuitEvent) => {
    learnById(e.poolId);
    source.circuit = e.to;
    poolAgg().circuitChanges++;
  });
  const onWal = guard('wal listener', (e: WalEvent) => {
    learnById(e.poolId);
    source.walBytes = e.walBytes;
    source.walLimitBytes = e.limitBytes;
    source.walMaxSinceCycle = Math.max(source.walMaxSinceCycle, e.maxWalBytes);
    pushWal(host.clock(), e.maxWalBytes);
  });
  const onCheckpoint = guard('checkpoint listener', (e: CheckpointEvent) => {
    const agg = poolAgg();
    agg.checkpoints++;
    if (e.busy) agg.checkpointsBusy++;
    source.checkpoints++;
    source.walBytes = e.walBytesAfter;
    pushWal(host.clock(), e.walBytesAfter);
  });
  const onOpen = guard('connection:open listener', (e: ConnectionOpenEvent) => {
    learnById(e.poolId);
    poolAgg().opened++;
    source.createTime.add(e.durationMs);
  });
  const onClose = guard('connection:close listener', () => {
    poolAgg().closed++;
  });
  const onConnectionError = guard('connection:error listener', (_e: ConnectionErrorEvent) => {
    poolAgg().connectionErrors++;
    source.connectionErrors++;
    source.connectionErrorsSinceCycle++;
  });

  // `cache` and `error` exist on both buses: a pool's payloads carry `poolId`, a store's do not.
  const onCache = (e: CacheEvent | MonitoredStoreEvents['cache']) => {
    try {
      if ('poolId' in e) {
        const agg = poolAgg();
        if (e.type === 'hit') {
          agg.cacheHits++;
          source.cacheHits++;
        } else if (e.type === 'miss') {
          agg.cacheMisses++;
          source.cacheMisses++;
        } else {
          agg.cacheInvalidations++;
          source.cacheInvalidations++;
        }
      } else {
        if (!source.isStore) host.learnStore(source);
        const agg = storeAgg();
        if (e.type === 'hit') {
          agg.cacheHits++;
          source.storeCacheHits++;
        } else if (e.type === 'miss') {
          agg.cacheMisses++;
          source.storeCacheMisses++;
        } else agg.cacheInvalidations++;
      }
    } catch (error) {
      host.internalError('cache listener', error);
    }
  };
  const onError = guard('error listener', (e: { poolId?: number }) => {
    if (e.poolId !== undefined) poolAgg().poolErrors++;
    else {
      if (!source.isStore) host.learnStore(source);
      storeAgg().errors++;
      source.storeErrors++;
    }
  });

  // Store operations: one call per get/set/delete.
  const storeOp = (op: string) => (e: MonitoredStoreEvents['get']) => {
    try {
      if (!source.isStore) host.learnStore(source);
      const d = typeof e.durationMs === 'number' ? e.durationMs : 0;
      const agg = storeAgg();
      agg.op(op).add(d);
      source.storeOp(op).add(d);
      if (op === 'get') {
        if (e.found === true) agg.getsFound++;
        else if (e.found === false) agg.getsMissed++;
      }
      const slow = d > host.slowQueryThreshold;
      if (slow) {
        slowQuery({
          at: host.clock(),
          source: source.name,
          sql: `store.${op}`,
          normalized: `store.${op}`,
          operation: op,
          paramCount: 0,
          durationMs: d,
          rows: 0,
          connectionId: undefined,
          transactionId: undefined,
          error: undefined,
        });
      }
      const sampler = host.sampler();
      if (sampler !== null && (sampler.take() || slow)) {
        sampler.push({
          queryType: `store.${op}`,
          executionTimeMs: d,
          memoryKey:
            e.key === undefined
              ? null
              : e.namespace === undefined || e.namespace === null
                ? e.key
                : `${e.namespace}:${e.key}`,
          agentId: e.agentId ?? null,
          timestamp: host.clock(),
          rowsAffected: op === 'get' ? (e.found === false ? 0 : 1) : 1,
          cacheHit: e.cacheHit === true,
        });
      }
      if ((++events & 1023) === 0) host.tick();
    } catch (error) {
      host.internalError(`${op} listener`, error);
    }
  };
  const onClear = guard('clear listener', (e: MonitoredStoreEvents['clear']) => {
    if (!source.isStore) host.learnStore(source);
    storeAgg()
      .op('clear')
      .add(typeof e.durationMs === 'number' ? e.durationMs : 0);
    source.storeOp('clear').add(typeof e.durationMs === 'number' ? e.durationMs : 0);
  });
  const onExpire = guard('expire listener', (e: MonitoredStoreEvents['expire']) => {
    if (!source.isStore) host.learnStore(source);
    const agg = storeAgg();
    agg.expired += typeof e.count === 'number' ? e.count : 0;
    agg.op('expire').add(typeof e.durationMs === 'number' ? e.durationMs : 0);
  });
  const onConflict = guard('conflict listener', () => {
    if (!source.isStore) host.learnStore(source);
    storeAgg().conflicts++;
    source.storeConflicts++;
  });
  const onFlush = guard('flush listener', (e: MonitoredStoreEvents['flush']) => {
    if (!source.isStore) host.learnStore(source);
    storeAgg().flushes.add(typeof e.durationMs === 'number' ? e.durationMs : 0);
  });

  const list: Array<[string, (p: never) => void]> = [
    host.queryTiming === 'exact' ? ['query', onQuery] : ['query:batch', onBatch],
    ['utilization', onUtilization],
    ['health', onHealth],
    ['acquire', onAcquire],
    ['acquire:timeout', onAcquireTimeout],
    ['release', onRelease],
    ['transaction', onTransaction],
    ['retry', onRetry],
    ['circuit', onCircuit],
    ['checkpoint', onCheckpoint],
    ['wal', onWal],
    ['connection:open', onOpen],
    ['connection:close', onClose],
    ['connection:error', onConnectionError],
    ['cache', onCache],
    ['error', onError],
    ['get', storeOp('get')],
    ['set', storeOp('set')],
    ['delete', storeOp('delete')],
    ['clear', onClear],
    ['expire', onExpire],
    ['conflict', onConflict],
    ['flush', onFlush],
  ];
  return list as Array<[string, Listener]>;
}
