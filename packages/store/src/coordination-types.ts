/**
 * The types of the store's coordination calls: locks (`acquireLock`, `renewLock`), the change
 * feed (`subscribe`) and the history of `versioned` entries. A contract file: types only;
 * `types.ts` re-exports them.
 */
/** Options of `acquireLock()`. */
export interface AcquireLockOptions {
  readonly namespace?: string;
  /** Lease length in ms. Default: the store's `locks.ttl` (30000). */
  readonly ttl?: number;
  /** Keep trying for this many ms (backoff with jitter). Default 0: try once. */
  readonly wait?: number;
}

/** Options of `renewLock()`. */
export interface RenewLockOptions {
  readonly namespace?: string;
  /** The new lease length in ms, from now. Default: the store's `locks.ttl`. */
  readonly ttl?: number;
}

/** A lease: `token` is the fencing token (strictly increasing per key across every process). */
export interface LockLease {
  readonly token: number;
  /** When the lock expires unless renewed (ms since the epoch). */
  readonly expiresAt: number;
}

/** One committed change, as `subscribe()` delivers it. */
export interface Change {
  /** The change log's sequence number: commit order, never reused. */
  readonly seq: number;
  readonly namespace: string;
  readonly key: string;
  readonly op: 'set' | 'delete' | 'expire';
  /** The entry's version after a `set`, or the version that was deleted. */
  readonly version: number | null;
  /** ms since the epoch: the writer's clock for a `set`, SQLite's for a delete. */
  readonly at: number;
}

/** Options of `subscribe()`. */
export interface SubscribeOptions {
  /** Only changes of this namespace. Default: every namespace. */
  readonly namespace?: string;
  /** Deliver the changes with `seq > since` (resume after a restart). Default: only changes committed from now on. */
  readonly since?: number;
}

/** A live subscription. */
export interface Subscription {
  readonly id: number;
  /** Stops delivery (a callback already running finishes). Idempotent. */
  unsubscribe(): void;
}

/** Options of `history()`. */
export interface HistoryQueryOptions {
  readonly namespace?: string;
  /** At most this many versions, newest first. Default: all that retention keeps. */
  readonly limit?: number;
}

/** One kept version of a `versioned` entry. */
export interface HistoryEntry {
  readonly version: number;
  /** Deeply frozen. */
  readonly value: unknown;
  /** The `metadata` given to that write, or `null`. */
  readonly metadata: unknown;
  readonly updatedAt: number;
  /** Not recorded by this release (the access log in `hive.db` has who wrote). */
  readonly agentId?: string;
}
