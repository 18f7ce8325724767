import type { CircuitBreaker } from './circuit-breaker.js';
import type { Connection } from './connection.js';
import type { Counters } from './context.js';
import type { OffloadStats } from './offload-events.js';
import type { OffloadLane } from './offload-lane.js';
import type { ResolvedPoolOptions } from './options.js';
import type { QueryCache } from './query-cache.js';
import type { ReaderSet } from './reader-set.js';
import type { PoolStats, WalStats } from './types.js';
import type { WriterLane } from './writer-lane.js';
import type { WalKeeper } from './wal/wal-keeper.js';

/** The pool's parts a `stats()` snapshot reads (each read at the time of the call). */
export interface StatsSource {
  readonly filename: string;
  readonly closed: boolean;
  readonly opts: ResolvedPoolOptions;
  readonly counters: Counters;
  readonly breaker: CircuitBreaker;
  readonly readers: ReaderSet;
  readonly writer: Connection | undefined;
  readonly lane: WriterLane | undefined;
  readonly offload: OffloadLane | undefined;
  readonly cache: QueryCache | null;
  /** Undefined only while the pool's constructor runs. */
  readonly wal: WalKeeper | undefined;
}

/** Fresh counters, all 0. */
export function newCounters(): Counters {
  return {
    queries: 0,
    errors: 0,
    acquireTimeouts: 0,
    committed: 0,
    rolledBack: 0,
    timedOut: 0,
    retries: 0,
    connectionsOpened: 0,
    connectionsClosed: 0,
    snapshots: 0,
    groupCommits: 0,
    groupedWrites: 0,
    checkpoints: 0,
    busyWaits: 0,
    busyTimeouts: 0,
    busySleptMs: 0,
    maxBusyWaitMs: 0,
  };
}

/** `stats().offload` of a pool that has not started its offload lane. */
const NO_OFFLOAD: OffloadStats = Object.freeze({
  max: 0,
  workers: 0,
  busy: 0,
  inFlight: 0,
  queued: 0,
  requests: 0,
  crashes: 0,
});

/** `stats().wal` before the pool has finished opening. */
const NO_WAL: WalStats = Object.freeze({
  mode: 'sqlite',
  walBytes: 0,
  maxWalBytes: 0,
  limitBytes: 0,
  overLimit: false,
  checkpointer: false,
  passiveCheckpoints: 0,
  restarts: 0,
  restartFailures: 0,
});

/** Connections open now: readers, the writer if open, the offload workers' connections. */
export function openConnections(
  readers: ReaderSet,
  writer: Connection | undefined,
  offload: OffloadLane | undefined,
): number {
  return readers.open + (writer !== undefined && !writer.closed ? 1 : 0) + (offload?.open ?? 0);
}

/** Connections open and leased now, callers waiting, and the most allowed (the `utilization` event's figures). */
export function occupancyOf(
  s: Pick<StatsSource, 'readers' | 'writer' | 'lane' | 'offload' | 'opts'>,
): Pick<PoolStats, 'total' | 'leased' | 'waiting' | 'maxConnections'> {
  const writerOpen = s.writer !== undefined && !s.writer.closed;
  const leased =
    s.readers.leased +
    (writerOpen && (s.lane?.busy ?? false) ? 1 : 0) +
    (s.offload?.stats().busy ?? 0);
  return {
    total: openConnections(s.readers, s.writer, s.offload),
    leased,
    waiting: s.readers.waiting,
    maxConnections: s.opts.maxConnections,
  };
}

/** The busy handler's figures: closed connections' totals plus the open writer's. */
function lockStats(c: Counters, writer: Connection | undefined): PoolStats['locks'] {
  const w = writer?.busyStats() ?? null;
  return {
    waits: c.busyWaits + (w?.waits ?? 0),
    timeouts: c.busyTimeouts + (w?.timeouts ?? 0),
    sleptMs: c.busySleptMs + (w?.sleptMs ?? 0),
    maxWaitMs: Math.max(c.maxBusyWaitMs, w?.maxWaitMs ?? 0),
  };
}

/** Assembles a `PoolStats` snapshot: a fresh object whose counters no later call changes. */
export function poolStats(s: StatsSource): PoolStats {
  const writerOpen = s.writer !== undefined && !s.writer.closed;
  const writerBusy = s.lane?.busy ?? false;
  const readersLeased = s.readers.leased;
  const offload = s.offload?.stats();
  const total = openConnections(s.readers, s.writer, s.offload);
  const leased = readersLeased + (writerOpen && writerBusy ? 1 : 0) + (offload?.busy ?? 0);
  const c = s.counters;
  const cache = s.cache;
  return {
    filename: s.filename,
    closed: s.closed,
    total,
    leased,
    idle: total - leased,
    readers: { open: s.readers.open, leased: readersLeased, max: s.readers.max },
    writer: { open: writerOpen, busy: writerBusy, queued: s.lane?.queued ?? 0 },
    waiting: s.readers.waiting,
    maxConnections: s.opts.maxConnections,
    minConnections: s.opts.minConnections,
    circuit: s.breaker.state,
    offload: offload ?? { ...NO_OFFLOAD },
    counters: {
      queries: c.queries,
      errors: c.errors,
      acquireTimeouts: c.acquireTimeouts,
      transactions: { committed: c.committed, rolledBack: c.rolledBack, timedOut: c.timedOut },
      retries: c.retries,
      connectionsOpened: c.connectionsOpened,
      connectionsClosed: c.connectionsClosed,
      snapshots: c.snapshots,
      groupCommits: c.groupCommits,
      groupedWrites: c.groupedWrites,
      checkpoints: c.checkpoints,
    },
    wal: s.wal?.stats() ?? NO_WAL,
    locks: lockStats(c, s.writer),
    ...(cache === null
      ? {}
      : {
          cache: {
            entries: cache.size,
            hits: cache.hits,
            misses: cache.misses,
            invalidations: cache.invalidations,
          },
        }),
  };
}
