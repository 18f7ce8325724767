import { mergeInto, newHistogram, summarize } from './histogram.js';
import type { Source } from './source.js';
import type { OperationReport, PoolReport, StatementReport, StoreReport } from './types.js';
import type { WindowView } from './view.js';
import type { StatementAgg } from './window.js';

const TOP = 10;

/** The query section of a report, over a window view covering `seconds`. */
export function queryFigures(view: WindowView, seconds: number) {
  const all = { count: 0, errors: 0, totalMs: 0, maxMs: 0, cacheHits: 0, hist: newHistogram() };
  const byOp = new Map<string, typeof all>();
  const statements: StatementReport[] = [];
  for (const [st, a] of view.statements) {
    if (a.count === 0) continue;
    for (const target of [all, opOf(byOp, st.operation)]) {
      target.count += a.count;
      target.errors += a.errors;
      target.totalMs += a.totalMs;
      if (a.maxMs > target.maxMs) target.maxMs = a.maxMs;
      target.cacheHits += a.cacheHits;
      mergeInto(target.hist, a.hist);
    }
    statements.push(statementReport(st.source.name, st.key, st.operation, a, seconds));
  }
  const byOperation: OperationReport[] = [...byOp]
    .map(([operation, o]) => ({
      operation,
      count: o.count,
      ratePerSec: o.count / seconds,
      errors: o.errors,
      errorRate: (o.errors / o.count) * 100,
      latency: summarize(o.hist, o.count, o.totalMs, o.maxMs)!,
    }))
    .sort((a, b) => b.count - a.count);
  const latency = summarize(all.hist, all.count, all.totalMs, all.maxMs);
  return {
    total: all.count,
    ratePerSec: all.count / seconds,
    errors: all.errors,
    ...(all.count > 0 ? { errorRate: (all.errors / all.count) * 100 } : {}),
    cacheHits: all.cacheHits,
    ...(latency === undefined ? {} : { latency }),
    byOperation,
    slowest: [...statements].sort((a, b) => b.latency.meanMs - a.latency.meanMs).slice(0, TOP),
    mostFrequent: [...statements].sort((a, b) => b.count - a.count).slice(0, TOP),
  };
}

function opOf<T>(map: Map<string, T>, op: string): T {
  let o = map.get(op);
  if (o === undefined) {
    o = { count: 0, errors: 0, totalMs: 0, maxMs: 0, cacheHits: 0, hist: newHistogram() } as T;
    map.set(op, o);
  }
  return o;
}

function statementReport(
  source: string,
  statement: string,
  operation: string,
  a: StatementAgg,
  seconds: number,
): StatementReport {
  return {
    source,
    statement,
    operation,
    count: a.count,
    ratePerSec: a.count / seconds,
    errors: a.errors,
    rows: a.rows,
    cacheHits: a.cacheHits,
    latency: summarize(a.hist, a.count, a.totalMs, a.maxMs)!,
  };
}

/** The report of one pool; a figure no event measured is left out. */
export function poolReport(source: Source, view: WindowView): PoolReport {
  const a = view.pools.get(source);
  const g = source.gauge;
  const tx = a === undefined ? undefined : a.commits + a.rollbacks + a.timeouts > 0 ? a : undefined;
  const lookups = a === undefined ? 0 : a.cacheHits + a.cacheMisses;
  return {
    source: source.name,
    filename: source.filename,
    ...(g === undefined
      ? {}
      : {
          connections: {
            total: g.total,
            leased: g.leased,
            idle: g.total - g.leased,
            ...(g.waiting === undefined ? {} : { waiting: g.waiting }),
            ...(g.max === undefined ? {} : { max: g.max }),
          },
          ...(g.max === undefined || g.max === 0
            ? {}
            : {
                utilization: {
                  currentPct: (g.leased / g.max) * 100,
                  ...(a !== undefined && a.peakUtilization >= 0
                    ? { peakPct: a.peakUtilization * 100 }
                    : {}),
                },
              }),
        }),
    ...(a?.acquireWait.count ? { acquireWait: a.acquireWait.summary()! } : {}),
    ...(a?.acquireTimeouts ? { acquireTimeouts: a.acquireTimeouts } : {}),
    ...(a?.held.count ? { held: a.held.summary()! } : {}),
    ...(tx === undefined
      ? {}
      : {
          transactions: {
            committed: tx.commits,
            rolledBack: tx.rollbacks,
            timedOut: tx.timeouts,
            retries: tx.transactionRetries,
            ...(tx.transactions.count > 0 ? { latency: tx.transactions.summary()! } : {}),
          },
        }),
    retries: a?.retries ?? 0,
    ...(a !== undefined && lookups + a.cacheInvalidations > 0
      ? {
          cache: {
            hits: a.cacheHits,
            misses: a.cacheMisses,
            invalidations: a.cacheInvalidations,
            ...(lookups > 0 ? { hitRatio: a.cacheHits / lookups } : {}),
          },
        }
      : {}),
    ...(source.walBytes !== undefined || (a?.checkpoints ?? 0) > 0
      ? {
          wal: {
            ...(source.walBytes === undefined ? {} : { bytes: source.walBytes }),
            checkpoints: a?.checkpoints ?? 0,
            checkpointsBusy: a?.checkpointsBusy ?? 0,
          },
        }
      : {}),
    ...(source.circuit === undefined ? {} : { circuit: source.circuit }),
    connectionsOpened: a?.opened ?? 0,
    connectionsClosed: a?.closed ?? 0,
    connectionErrors: a?.connectionErrors ?? 0,
    poolErrors: a?.poolErrors ?? 0,
  };
}

/** The report of one store. */
export function storeReport(source: Source, view: WindowView, seconds: number): StoreReport {
  const a = view.stores.get(source);
  const lookups = a === undefined ? 0 : a.cacheHits + a.cacheMisses;
  return {
    source: source.name,
    operations:
      a === undefined
        ? []
        : [...a.ops]
            .filter(([, t]) => t.count > 0)
            .map(([operation, t]) => ({
              operation,
              count: t.count,
              ratePerSec: t.count / seconds,
              latency: t.summary()!,
            })),
    ...(a !== undefined && a.getsFound + a.getsMissed > 0
      ? { gets: { found: a.getsFound, missed: a.getsMissed } }
      : {}),
    conflicts: a?.conflicts ?? 0,
    ...(a !== undefined && lookups + a.cacheInvalidations > 0
      ? {
          cache: {
            hits: a.cacheHits,
            misses: a.cacheMisses,
            invalidations: a.cacheInvalidations,
            ...(lookups > 0 ? { hitRatio: a.cacheHits / lookups } : {}),
          },
        }
      : {}),
    expired: a?.expired ?? 0,
    ...(a?.flushes.count ? { flushes: a.flushes.summary()! } : {}),
    errors: a?.errors ?? 0,
  };
}
