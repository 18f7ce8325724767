import type { EventSource, PoolEvents, PoolStats } from '@hivedb/pool';

/** A JSON value: what the store keeps. */
export type JsonValue =
  | null
  | boolean
  | number
  | string
  | readonly JsonValue[]
  | { readonly [key: string]: JsonValue };

/**
 * What an entry is for (the seed's data types). Every type but `transient` is on disk and seen
 * by every process; see the README for what each promises.
 */
export type DataType = 'persistent' | 'transient' | 'cached' | 'versioned' | 'shared' | 'locked';

/** The seed's data types by name. */
export const DATA_TYPES = Object.freeze({
  PERSISTENT: 'persistent',
  TRANSIENT: 'transient',
  CACHED: 'cached',
  VERSIONED: 'versioned',
  SHARED: 'shared',
  LOCKED: 'locked',
} as const);

/** The seed's namespaces by name (any other non-empty string works too). */
export const NAMESPACES = Object.freeze({
  AGENT_CONTEXT: 'agent_context',
  TASK_RESULTS: 'task_results',
  SHARED_STATE: 'shared_state',
  CROSS_AGENT: 'cross_agent',
  CACHE: 'cache',
  TEMP: 'temp',
  CONFIG: 'config',
  METRICS: 'metrics',
} as const);

/** Options of `set()`. */
export interface SetOptions {
  /** Default: the store's `defaultNamespace` (`'shared_state'`). */
  readonly namespace?: string;
  /** Default `'persistent'`. */
  readonly dataType?: DataType;
  /** Time to live in ms (> 0); `null` or absent: none (a `cached` entry gets `cachedTtl`). */
  readonly ttl?: number | null;
  /** Your own JSON object, kept beside the value and returned with `includeMetadata`. */
  readonly metadata?: Readonly<Record<string, unknown>> | null;
  /** The agent writing: recorded in `hive.db`'s access log. */
  readonly agentId?: string;
  /** Compare-and-set: write only if the entry's current version is this one, else `STORE_VERSION_CONFLICT`. */
  readonly version?: number;
  /** Create only if no live entry exists, else `STORE_VERSION_CONFLICT`. */
  readonly ifAbsent?: boolean;
  /**
   * A fencing token from `acquireLock()`: the write is refused with `STORE_STALE_TOKEN` (nothing
   * written) when a newer token was issued for the key since. The current token of a live lock
   * may also replace a live `locked` entry.
   */
  readonly fencingToken?: number;
  /**
   * `true`: write only while `agentId` holds the key's live lock (checked in the write's
   * transaction), else `STORE_LOCK_HELD` / `STORE_LOCK_NOT_HELD`; such a write may replace a
   * live `locked` entry. Needs `agentId`.
   */
  readonly lock?: boolean;
}

/** What `set()` resolves to (the seed's shape). */
export interface SetResult {
  readonly success: true;
  /** The entry's version after this write: 1 when it was created. */
  readonly version: number;
  /** Bytes of the value as JSON (UTF-8). */
  readonly size: number;
  /** When the entry expires (ms since the epoch), or `null`. */
  readonly expiresAt: number | null;
}

/** Options of `get()`. */
export interface GetOptions {
  readonly namespace?: string;
  /** The agent reading: recorded in `hive.db`'s access log (buffered). */
  readonly agentId?: string;
  /** Resolve to `{ value, metadata, found }` instead of the value. */
  readonly includeMetadata?: boolean;
  /** Read from the database even if a cached entry is valid. */
  readonly bypassCache?: boolean;
  /** That version of a `versioned` entry, from its history (`null` when unknown or pruned). */
  readonly version?: number;
}

/** An entry's bookkeeping, returned by `get(…, { includeMetadata: true })`. */
export interface EntryMetadata {
  readonly namespace: string;
  readonly key: string;
  readonly dataType: DataType;
  readonly version: number;
  readonly createdAt: number;
  readonly updatedAt: number;
  readonly expiresAt: number | null;
  /** Bytes of the value as JSON. */
  readonly size: number;
  /** Reads so far: as of the last flush of any process, plus this store's reads not flushed yet. */
  readonly accessCount: number;
  readonly lastAccessed: number | null;
  /** The `metadata` given to `set()`, or `null`. */
  readonly custom: Readonly<Record<string, unknown>> | null;
}

/** `get(…, { includeMetadata: true })`'s result (the seed's shape). */
export interface GetResult<T = unknown> {
  readonly value: T | null;
  readonly metadata: EntryMetadata | null;
  readonly found: boolean;
}

/** Options of `delete()`. */
export interface DeleteOptions {
  readonly namespace?: string;
  readonly agentId?: string;
  /** Delete only if the current version is this one, else `STORE_VERSION_CONFLICT`. */
  readonly version?: number;
}

/** Options of `keys()`. */
export interface KeysOptions {
  /** Only this namespace. Default: every namespace (a key in two namespaces is listed twice). */
  readonly namespace?: string;
  /**
   * A glob the whole key must match, the same language as `subscribe()`'s: `*` any characters,
   * `?` one, `\` makes the next character literal (see the README, "Key patterns").
   */
  readonly pattern?: string;
  readonly dataType?: DataType;
}

/** One entry of `setBulk()` (the seed's shape). */
export interface BulkEntry {
  readonly key: string;
  readonly value: unknown;
  readonly options?: SetOptions;
}

/**
 * One result of `setBulk()`, in the order of the entries (the seed's shape). It does not carry
 * the new version: reading it back would cost a third of the write (`set()` returns it).
 */
export interface BulkResult {
  readonly key: string;
  readonly namespace: string;
  readonly success: boolean;
  readonly size?: number;
  readonly expiresAt?: number | null;
  /** Why this entry was not written (a compare-and-set that lost). */
  readonly error?: {
    readonly code: string;
    readonly message: string;
    readonly current: number | null;
  };
}

/** Options of `atomic()`. */
export interface AtomicOptions extends Omit<SetOptions, 'version' | 'ifAbsent'> {
  /** Attempts in all before `STORE_VERSION_CONFLICT`. Default: the store's `atomic.maxAttempts`. */
  readonly maxAttempts?: number;
}

/** Options of `increment()`. */
export interface IncrementOptions {
  readonly namespace?: string;
  /** Data type of a counter that does not exist yet. Default `'persistent'`. */
  readonly dataType?: DataType;
  /** Sets the counter's TTL (ms); absent: an existing counter keeps its own. */
  readonly ttl?: number | null;
  readonly agentId?: string;
}

/** Options of `list()`. */
export interface ListOptions {
  readonly namespace?: string;
  /** Only keys that start with this. */
  readonly prefix?: string;
  /** Entries per page, 1 to 10000. Default 100. */
  readonly limit?: number;
  /** The `cursor` of the previous page. */
  readonly cursor?: string | null;
  /** Descending key order. */
  readonly reverse?: boolean;
}

/** One entry of a `list()` page. */
export interface ListEntry {
  readonly namespace: string;
  readonly key: string;
  readonly value: unknown;
  readonly dataType: DataType;
  readonly version: number;
  readonly createdAt: number;
  readonly updatedAt: number;
  readonly expiresAt: number | null;
}

/** A `list()` page: `cursor` is `null` on the last page. */
export interface ListResult {
  readonly entries: readonly ListEntry[];
  readonly cursor: string | null;
}

/** Options of `count()`. */
export interface CountOptions {
  readonly namespace?: string;
  readonly prefix?: string;
}

/** Options of `touch()` and `clear()`. */
export interface NamespaceOptions {
  readonly namespace?: string;
}

/** What `touch()` resolves to. */
export interface TouchResult {
  /** A live entry was there (and now has the new expiry). */
  readonly found: boolean;
  readonly expiresAt: number | null;
}

/** A condition of an atomic batch: the entry's version must be `version` (`null`: no live entry). */
export interface BatchCheck {
  readonly key: string;
  readonly namespace?: string;
  readonly version: number | null;
}

/** One operation's outcome in a committed batch, in the order they were added. */
export type BatchOpResult =
  | {
      readonly op: 'set';
      readonly namespace: string;
      readonly key: string;
      readonly version: number;
      readonly size: number;
      readonly expiresAt: number | null;
    }
  | {
      readonly op: 'delete';
      readonly namespace: string;
      readonly key: string;
      readonly existed: boolean;
    };

/** What `batch().commit()` resolves to. */
export interface BatchResult {
  readonly success: true;
  readonly results: readonly BatchOpResult[];
}

/** This store's own counters (`stats()`): since it was opened, in this process. */
export interface StoreCounters {
  readonly ready: boolean;
  readonly closed: boolean;
  readonly reads: number;
  readonly writes: number;
  readonly deletes: number;
  readonly conflicts: number;
  /** Present only when the cache is on. */
  readonly cache?: {
    readonly entries: number;
    readonly bytes: number;
    readonly hits: number;
    readonly misses: number;
    readonly invalidations: number;
    readonly evictions: number;
  };
  readonly transientEntries: number;
  readonly pendingAccessRecords: number;
  readonly flushes: number;
  readonly sweeps: number;
  readonly expired: number;
}

/** What `getStats()` resolves to: the seed's names for what is measured, and nothing that is not. */
export interface StoreStats {
  readonly reads: number;
  readonly writes: number;
  readonly deletes: number;
  /** Cache hits and misses; absent when the cache is off. */
  readonly hits?: number;
  readonly misses?: number;
  /** `hits / (hits + misses)` as `'12.34%'`; absent when the cache is off. */
  readonly cacheHitRate?: string;
  readonly evictions?: number;
  /** Sweeps of expired entries run by this store. */
  readonly gcRuns: number;
  /** Live entries now, on disk (every process's) plus this store's transient ones. */
  readonly entryCount: number;
  /** Alias of `entryCount` (the seed's). */
  readonly totalEntries: number;
  /** Bytes of live values as JSON, on disk plus transient. */
  readonly memoryUsage: number;
  /** Live entries per namespace. */
  readonly namespaces: Readonly<Record<string, number>>;
  readonly transientEntries: number;
  readonly dbStatus: {
    readonly available: boolean;
    readonly pools: readonly string[];
    readonly memory: string;
    readonly hive: string;
  };
}

export type {
  AcquireLockOptions,
  Change,
  HistoryEntry,
  HistoryQueryOptions,
  LockLease,
  RenewLockOptions,
  SubscribeOptions,
  Subscription,
} from './coordination-types.js';

/**
 * A read-only view of one of the store's pools (`store.pools()`): its typed event bus, for a
 * monitor to attach to (`monitor.attach(view.events)`), and its `stats()`. No SQL runs through it.
 */
export interface PoolView {
  readonly events: EventSource<PoolEvents>;
  stats(): PoolStats;
}
