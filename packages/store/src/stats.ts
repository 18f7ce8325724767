import type { StoreContext } from './context.js';
import type { StoreCounters, StoreStats } from './types.js';

/** `stats()`: this store's counters (zeros before it opened). */
export function counters(
  ctx: StoreContext | undefined,
  ready: boolean,
  closed: boolean,
): StoreCounters {
  const c = ctx?.counters;
  const cache = ctx?.cache;
  return {
    ready,
    closed,
    reads: c?.reads ?? 0,
    writes: c?.writes ?? 0,
    deletes: c?.deletes ?? 0,
    conflicts: c?.conflicts ?? 0,
    ...(cache === undefined || cache === null
      ? {}
      : {
          cache: {
            entries: cache.size,
            bytes: cache.bytes,
            hits: cache.hits,
            misses: cache.misses,
            invalidations: cache.invalidations,
            evictions: cache.evictions,
          },
        }),
    transientEntries: ctx?.transient.size ?? 0,
    pendingAccessRecords: ctx?.access.size ?? 0,
    flushes: ctx?.access.flushes ?? 0,
    sweeps: c?.sweeps ?? 0,
    expired: c?.expired ?? 0,
  };
}

/** `getStats()`: the seed's names, each measured; live entries and bytes are read from disk now. */
export async function collectStats(ctx: StoreContext): Promise<StoreStats> {
  const now = ctx.now();
  const usage = await ctx.backend.usage(now);
  const namespaces: Record<string, number> = {};
  let entryCount = 0;
  let memoryUsage = 0;
  for (const u of usage) {
    namespaces[u.namespace] = u.entries;
    entryCount += u.entries;
    memoryUsage += u.bytes;
  }
  const transient = ctx.transient.liveIn(undefined, now);
  for (const t of transient) {
    namespaces[t.namespace] = (namespaces[t.namespace] ?? 0) + 1;
    entryCount++;
    memoryUsage += t.row.size;
  }
  const c = ctx.counters;
  const cache = ctx.cache;
  const lookups = cache === null ? 0 : cache.hits + cache.misses;
  return {
    reads: c.reads,
    writes: c.writes,
    deletes: c.deletes,
    ...(cache === null
      ? {}
      : {
          hits: cache.hits,
          misses: cache.misses,
          cacheHitRate: `${(lookups === 0 ? 0 : (cache.hits / lookups) * 100).toFixed(2)}%`,
          evictions: cache.evictions,
        }),
    gcRuns: c.sweeps,
    entryCount,
    totalEntries: entryCount,
    memoryUsage,
    namespaces,
    transientEntries: transient.length,
    dbStatus: {
      available: true,
      pools: ['memory', 'hive'],
      memory: ctx.backend.files.memory,
      hive: ctx.backend.files.hive,
    },
  };
}
