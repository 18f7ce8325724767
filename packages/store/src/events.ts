import type { DataType } from './types.js';

/** What wrote an entry. */
export type WriteSource = 'set' | 'bulk' | 'batch' | 'atomic' | 'increment';

/** An entry was written (committed, or stored in memory for `transient`). */
export interface SetEvent {
  readonly namespace: string;
  readonly key: string;
  readonly dataType: DataType;
  readonly version: number;
  /** Bytes of the value as JSON. */
  readonly size: number;
  /** The entry did not exist (or had expired) before. */
  readonly created: boolean;
  readonly source: WriteSource;
  readonly agentId?: string;
  readonly durationMs: number;
}

/** A `get` finished. */
export interface GetEvent {
  readonly namespace: string;
  readonly key: string;
  readonly found: boolean;
  readonly cacheHit: boolean;
  readonly agentId?: string;
  readonly durationMs: number;
}

/** An entry was deleted (or a delete found nothing: `existed: false`). */
export interface DeleteEvent {
  readonly namespace: string;
  readonly key: string;
  readonly existed: boolean;
  readonly source: 'delete' | 'batch';
  readonly agentId?: string;
  readonly durationMs: number;
}

/** `clear()` deleted a namespace's entries (or every entry: `namespace: null`). */
export interface ClearEvent {
  readonly namespace: string | null;
  readonly deleted: number;
  readonly durationMs: number;
}

/** The sweeper deleted expired entries. */
export interface ExpireEvent {
  readonly entries: readonly {
    readonly namespace: string;
    readonly key: string;
    readonly version: number;
  }[];
  readonly count: number;
  readonly durationMs: number;
}

/** A compare-and-set lost: the entry had moved on (or existed, for `ifAbsent`; or was `locked`). */
export interface ConflictEvent {
  readonly namespace: string;
  readonly key: string;
  /** The version the write expected; `null`: it expected no entry. Absent for a blind write of a `locked` entry. */
  readonly expected?: number | null;
  /** The version found, `null` when there is no live entry. */
  readonly current: number | null;
  readonly operation: 'set' | 'delete' | 'batch' | 'atomic' | 'bulk';
  readonly reason: 'version' | 'exists' | 'locked' | 'stale-token' | 'lock-held' | 'lock-not-held';
  /** `atomic()`'s attempt number (1-based). */
  readonly attempt?: number;
}

/** The read cache hit, missed, or dropped entries. */
export interface CacheEvent {
  readonly type: 'hit' | 'miss' | 'invalidate';
  readonly namespace?: string;
  readonly key?: string;
  /** Why entries were dropped: a write of this store, a commit anywhere, or the entry expired. */
  readonly reason?: 'write' | 'commit' | 'expired';
}

/** Buffered access counts and access-log rows were written. */
export interface FlushEvent {
  /** Entries whose `access_count` / `last_accessed` were updated. */
  readonly accessRecords: number;
  /** Rows added to `hive.db`'s `agent_memory`. */
  readonly logRecords: number;
  readonly reason: 'interval' | 'size' | 'shutdown' | 'manual';
  readonly durationMs: number;
}

/** Something failed in the background (a flush, a sweep, a checkpoint): no caller to reject. */
export interface StoreErrorEvent {
  readonly where: string;
  readonly error: unknown;
}

/**
 * The store's event map (`store.events`). Payloads are built only when someone listens; a
 * listener that throws never fails the operation (its error goes to `'listener:error'`).
 */
export interface StoreEvents {
  set: SetEvent;
  get: GetEvent;
  delete: DeleteEvent;
  clear: ClearEvent;
  expire: ExpireEvent;
  conflict: ConflictEvent;
  cache: CacheEvent;
  flush: FlushEvent;
  error: StoreErrorEvent;
}
