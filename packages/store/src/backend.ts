/**
 * The narrow interface between `SharedMemoryStore` and the database that holds its entries.
 * Everything the store says in SQL goes through it, so that a second engine (PostgreSQL for
 * agents spread over machines) is an added implementation, not a rewrite. Values cross it as
 * JSON text; validation, the read cache, transient entries and events stay above it.
 * A contract file: types only.
 */
import type { TransferBackend } from './transfer-backend.js';
import type { DataType, PoolView } from './types.js';

/** An entry as stored: the value and metadata still JSON text. */
export interface EntryRow {
  readonly value: string;
  readonly dataType: DataType;
  readonly version: number;
  readonly expiresAt: number | null;
  readonly metadata: string | null;
  readonly createdAt: number;
  readonly updatedAt: number;
  readonly size: number;
  readonly accessCount: number;
  readonly lastAccessed: number | null;
}

/** A row of a `list()` page. */
export interface ListedRow {
  readonly key: string;
  readonly value: string;
  readonly dataType: DataType;
  readonly version: number;
  readonly createdAt: number;
  readonly updatedAt: number;
  readonly expiresAt: number | null;
}

/** One write, validated and serialized. */
export interface WriteSpec {
  readonly namespace: string;
  readonly key: string;
  readonly dataType: DataType;
  readonly value: string;
  readonly metadata: string | null;
  readonly size: number;
  /** The clock's time of the write: `updated_at`, and what "expired" is measured against. */
  readonly now: number;
  readonly expiresAt: number | null;
  /** `upsert`: write whatever is there; `cas`: only over version `expect`; `create`: only where no live entry is. */
  readonly mode: 'upsert' | 'cas' | 'create';
  readonly expect?: number;
  /** The writer has proven it saw the current version (a batch check): it may replace a `locked` entry. */
  readonly guarded: boolean;
  /** The version of a new entry (1, or one past the transient entry it replaces). */
  readonly baseVersion: number;
  /** Conditions on the key's lock, checked in the write's transaction (`fencingToken`, `lock`). */
  readonly fence?: Fence;
}

/** A write's conditions on the key's lock (`memory_locks`). */
export interface Fence {
  /** Refused (`stale-token`) when older than the newest token issued for the key. */
  readonly token?: number;
  /** Refused unless this agent holds the key's live lock (`lock-held` / `lock-not-held`). */
  readonly holder?: string;
}

/** A key's lock as it is now. */
export interface LockState {
  /** `null`: released (or never taken). */
  readonly holder: string | null;
  /** The newest token issued for the key (0: none). */
  readonly token: number;
  readonly expiresAt: number | null;
}

/** What an acquisition or a renewal did. */
export type LockOutcome =
  | { readonly ok: true; readonly token: number; readonly expiresAt: number }
  | ({ readonly ok: false } & LockState);

/** One row of the change log. */
export interface ChangeRow {
  readonly seq: number;
  readonly namespace: string;
  readonly key: string;
  readonly op: 'set' | 'delete' | 'expire';
  readonly version: number | null;
  readonly at: number;
}

/** One kept version of a `versioned` entry, its value and metadata still JSON text. */
export interface HistoryRow {
  readonly version: number;
  readonly value: string;
  readonly metadata: string | null;
  readonly dataType: DataType;
  readonly updatedAt: number;
}

/** One delete. */
export interface RemoveSpec {
  readonly namespace: string;
  readonly key: string;
  readonly now: number;
  /** Delete only over this version. */
  readonly expect?: number;
  readonly guarded: boolean;
}

/** Why a write or delete did not happen. */
export interface Refusal {
  readonly ok: false;
  /**
   * `version`: a compare-and-set lost; `exists`: `create` found a live entry; `locked`: a blind
   * write of a `locked` entry; `stale-token`: a fencing token older than the key's newest;
   * `lock-held` / `lock-not-held`: a `lock: true` write by an agent that does not hold the lock.
   */
  readonly reason: 'version' | 'exists' | 'locked' | 'stale-token' | 'lock-held' | 'lock-not-held';
  /** The live entry's version, `null` when there is none. */
  readonly current: number | null;
  /** The key's lock, for the lock reasons. */
  readonly lock?: LockState;
  /** The fencing token refused (`stale-token`). */
  readonly token?: number;
}

/** A write that succeeded without its version read back (`setBulk()` when no one listens). */
export interface QuietWrite {
  readonly ok: true;
  readonly version: null;
  readonly created: null;
}

export type WriteOutcome =
  | { readonly ok: true; readonly version: number; readonly created: boolean }
  | Refusal;

export type RemoveOutcome =
  | {
      readonly ok: true;
      /** A live entry was deleted. */
      readonly existed: boolean;
      /** The deleted row's version (live or expired), `null` when no row was there. */
      readonly version: number | null;
    }
  | Refusal;

export type IncrementOutcome =
  | {
      readonly ok: true;
      readonly value: number;
      readonly version: number;
      readonly created: boolean;
    }
  | { readonly ok: false; readonly reason: 'not-a-number'; readonly current: string };

/** A condition of a batch. */
export interface CheckSpec {
  readonly namespace: string;
  readonly key: string;
  /** `null`: no live entry may exist. */
  readonly version: number | null;
}

/** A batch operation. */
export type BatchOp =
  | { readonly op: 'set'; readonly spec: WriteSpec }
  | { readonly op: 'delete'; readonly spec: RemoveSpec };

/** Why a batch was rolled back: the index of the failed check, or of the refused operation. */
export type BatchOutcome =
  | { readonly ok: true; readonly results: readonly (WriteOutcome | RemoveOutcome)[] }
  | {
      readonly ok: false;
      readonly failed: 'check' | 'op';
      readonly index: number;
      readonly refusal: Refusal;
    };

/** Key range of `list()` / `count()`. */
export interface KeyRange {
  /** Inclusive lower bound (the prefix), `''` for none. */
  readonly lower: string;
  /** Exclusive upper bound, `null` for none. */
  readonly upper: string | null;
}

/** Accumulated reads of one entry, flushed into `access_count` / `last_accessed`. */
export interface AccessRecord {
  readonly namespace: string;
  readonly key: string;
  count: number;
  last: number;
}

/** One row of `hive.db`'s `agent_memory`. */
export interface AccessLogRecord {
  readonly agentId: string;
  readonly memoryKey: string;
  readonly accessType: 'read' | 'write' | 'delete';
  readonly timestamp: number;
  readonly durationMs: number;
  readonly success: boolean;
}

/** Per-namespace live entries and bytes. */
export interface NamespaceUsage {
  readonly namespace: string;
  readonly entries: number;
  readonly bytes: number;
}

/** The store's database. */
export interface StoreBackend {
  /** Where `memory.db` and `hive.db` are. */
  readonly files: { readonly memory: string; readonly hive: string };
  /** Backup, restore, export and import of the entries' database. */
  readonly transfer: TransferBackend;
  /** Read-only views of the pools of `memory.db` and `hive.db` (`null` when not opened: a readonly store). */
  readonly pools: { readonly memory: PoolView; readonly hive: PoolView | null };
  /**
   * A number that moves whenever any process may have committed to the entries' database;
   * `undefined` when it cannot tell. A value read while it was `g` equals a fresh read while it is still `g`.
   */
  generation(): number | undefined;
  read(namespace: string, key: string): Promise<EntryRow | undefined>;
  write(spec: WriteSpec): Promise<WriteOutcome>;
  /**
   * All in one transaction; refusals are reported per entry, the rest is committed. Without
   * `versions`, a plain upsert that succeeds may report `version: null` (it is not read back).
   */
  writeMany(specs: readonly WriteSpec[], versions: boolean): Promise<(WriteOutcome | QuietWrite)[]>;
  remove(spec: RemoveSpec): Promise<RemoveOutcome>;
  increment(
    namespace: string,
    key: string,
    by: number,
    opts: {
      readonly dataType: DataType;
      readonly now: number;
      readonly expiresAt: number | null;
      readonly setExpiry: boolean;
      readonly baseVersion: number;
    },
  ): Promise<IncrementOutcome>;
  touch(namespace: string, key: string, expiresAt: number | null, now: number): Promise<boolean>;
  /** Checks then operations in one transaction: all applied, or none. */
  batch(checks: readonly CheckSpec[], ops: readonly BatchOp[], now: number): Promise<BatchOutcome>;
  list(
    namespace: string,
    range: KeyRange,
    after: string | null,
    reverse: boolean,
    limit: number,
    now: number,
  ): Promise<ListedRow[]>;
  count(namespace: string, range: KeyRange, now: number): Promise<number>;
  keys(
    namespace: string | undefined,
    dataType: DataType | undefined,
    now: number,
  ): Promise<{ namespace: string; key: string }[]>;
  /** Deletes every entry of `namespace` (every entry when `undefined`); returns how many live ones. */
  clear(namespace: string | undefined, now: number): Promise<number>;
  /** Deletes up to `limit` expired entries through the partial index on `expires_at`. */
  sweep(now: number, limit: number): Promise<{ namespace: string; key: string; version: number }[]>;
  usage(now: number): Promise<NamespaceUsage[]>;
  /** Adds buffered reads to `access_count` / `last_accessed`, in one transaction. */
  recordAccess(access: readonly AccessRecord[]): Promise<void>;
  /** Appends access-log rows to `hive.db`'s `agent_memory`, in one transaction. */
  appendLog(log: readonly AccessLogRecord[]): Promise<void>;
  /** Takes the key's lock for `holder` until `expiresAt` unless another holder's is live. */
  acquireLock(
    namespace: string,
    key: string,
    holder: string,
    now: number,
    expiresAt: number,
  ): Promise<LockOutcome>;
  /** Releases the key's lock if `holder` holds it live; whether it did. */
  releaseLock(namespace: string, key: string, holder: string, now: number): Promise<boolean>;
  /** Moves the expiry of `holder`'s live lock; its token stays. */
  renewLock(
    namespace: string,
    key: string,
    holder: string,
    now: number,
    expiresAt: number,
  ): Promise<LockOutcome>;
  /** Up to `limit` changes with `seq > after`, in commit order. */
  changes(after: number, limit: number): Promise<ChangeRow[]>;
  /**
   * The newest sequence number issued as of the call, read synchronously: any change committed
   * after the call (by any process, a write this process issues afterwards included) gets a
   * larger one. Where the subscription of `subscribe()` without `since` starts.
   */
  headSeq(): number;
  /** The oldest change still in the log, `null` when it is empty. */
  oldestSeq(): Promise<number | null>;
  /** Deletes changes older than `before` (ms) and all but the newest `keep`; how many. */
  pruneChanges(before: number, keep: number): Promise<number>;
  /** The newest `limit` of a live entry's kept versions (retention `keep`), newest first. */
  history(
    namespace: string,
    key: string,
    keep: number,
    limit: number,
    now: number,
  ): Promise<HistoryRow[]>;
  /** One kept version of a live entry. */
  historyVersion(
    namespace: string,
    key: string,
    version: number,
    keep: number,
    now: number,
  ): Promise<HistoryRow | undefined>;
  /** Deletes versions older than each entry's newest `keep`; how many. */
  pruneHistory(keep: number): Promise<number>;
  /** `PRAGMA wal_checkpoint(TRUNCATE)` on both databases. */
  checkpoint(): Promise<void>;
  close(): Promise<void>;
}
