/**
 * The pool's parts as its helpers see them (`read-slow.ts`, `begin-write.ts`, `lease-desk.ts`,
 * `pool-close.ts`): a contract file. The pool builds one such object; what changes over its
 * life (the writer, the offload lane, whether it is closed) is read through functions.
 */
import type { Connection } from './connection.js';
import type { PoolContext } from './context.js';
import type { OffloadLane } from './offload-lane.js';
import type { QueryCache } from './query-cache.js';
import type { ReaderSet } from './reader-set.js';
import type { SnapshotReader } from './snapshot-reader.js';
import type { PoolStats } from './types.js';
import type { WorkInFlight } from './work-in-flight.js';
import type { WriterLane } from './writer-lane.js';

/** What the pool's helpers share of it. Private to the package. */
export interface PoolParts {
  readonly ctx: PoolContext;
  readonly readers: ReaderSet;
  /** The writer's queue; undefined for a `readonly` pool. */
  readonly lane: WriterLane | undefined;
  readonly snapshots: SnapshotReader;
  readonly inFlight: WorkInFlight;
  readonly cache: QueryCache | null;
  /** Whether `close()` has begun (every new call fails with POOL_CLOSED). */
  isClosed(): boolean;
  /** The writer connection as it is now (undefined before it opens, or for a `readonly` pool). */
  writer(): Connection | undefined;
  /** The offload lane, once the first offloaded statement started it. */
  offload(): OffloadLane | undefined;
  /** The pool's `stats()`. */
  stats(): PoolStats;
}
