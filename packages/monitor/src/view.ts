import { mergeInto } from './histogram.js';
import type { Source, Statement } from './source.js';
import { type Bucket, PoolAgg, StatementAgg, StoreAgg } from './window.js';

/** The window's buckets added up: per statement, per pool, per store. */
export interface WindowView {
  readonly from: number;
  readonly to: number;
  readonly statements: Map<Statement, StatementAgg>;
  readonly pools: Map<Source, PoolAgg>;
  readonly stores: Map<Source, StoreAgg>;
}

/** Adds up `buckets` (a window, or the buckets of the last cycle). */
export function viewOf(buckets: readonly Bucket[], from: number, to: number): WindowView {
  const statements = new Map<Statement, StatementAgg>();
  const pools = new Map<Source, PoolAgg>();
  const stores = new Map<Source, StoreAgg>();
  for (const b of buckets) {
    for (const a of b.statements) {
      let m = statements.get(a.statement);
      if (m === undefined) {
        m = new StatementAgg(a.statement);
        statements.set(a.statement, m);
      }
      m.count += a.count;
      m.errors += a.errors;
      m.totalMs += a.totalMs;
      if (a.maxMs > m.maxMs) m.maxMs = a.maxMs;
      m.rows += a.rows;
      m.cacheHits += a.cacheHits;
      mergeInto(m.hist, a.hist);
    }
    for (const a of b.pools) {
      let m = pools.get(a.source);
      if (m === undefined) {
        m = new PoolAgg(a.source);
        pools.set(a.source, m);
      }
      mergePool(m, a);
    }
    for (const a of b.stores) {
      let m = stores.get(a.source);
      if (m === undefined) {
        m = new StoreAgg(a.source);
        stores.set(a.source, m);
      }
      mergeStore(m, a);
    }
  }
  return { from, to, statements, pools, stores };
}

function mergePool(m: PoolAgg, a: PoolAgg): void {
  m.acquireWait.merge(a.acquireWait);
  m.acquireTimeouts += a.acquireTimeouts;
  m.held.merge(a.held);
  m.transactions.merge(a.transactions);
  m.commits += a.commits;
  m.rollbacks += a.rollbacks;
  m.timeouts += a.timeouts;
  m.transactionRetries += a.transactionRetries;
  m.retries += a.retries;
  m.cacheHits += a.cacheHits;
  m.cacheMisses += a.cacheMisses;
  m.cacheInvalidations += a.cacheInvalidations;
  m.checkpoints += a.checkpoints;
  m.checkpointsBusy += a.checkpointsBusy;
  m.opened += a.opened;
  m.closed += a.closed;
  m.connectionErrors += a.connectionErrors;
  m.poolErrors += a.poolErrors;
  m.circuitChanges += a.circuitChanges;
  if (a.peakUtilization > m.peakUtilization) m.peakUtilization = a.peakUtilization;
  if (a.peakWaiting > m.peakWaiting) m.peakWaiting = a.peakWaiting;
}

function mergeStore(m: StoreAgg, a: StoreAgg): void {
  for (const [op, t] of a.ops) m.op(op).merge(t);
  m.getsFound += a.getsFound;
  m.getsMissed += a.getsMissed;
  m.conflicts += a.conflicts;
  m.cacheHits += a.cacheHits;
  m.cacheMisses += a.cacheMisses;
  m.cacheInvalidations += a.cacheInvalidations;
  m.expired += a.expired;
  m.flushes.merge(a.flushes);
  m.errors += a.errors;
}
