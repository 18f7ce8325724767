import path from 'node:path';
import type { PoolOptions } from '@hivedb/pool';
import {
  checkMigrationBackup,
  checkPoolOptions,
  int,
  invalidOption,
  MAX_VALUE_DEPTH,
  objectOf,
  text,
} from './option-checks.js';

/** The read cache: coherent across processes (see the README, "Cache coherence"). */
export interface StoreCacheOptions {
  /** Most entries kept. Default 10000. */
  readonly maxEntries?: number;
  /** Most bytes of cached JSON text kept (UTF-16 length × 2). Default 64 MiB. */
  readonly maxBytes?: number;
  /**
   * Serve a cached entry for up to this many milliseconds without asking whether anything was
   * committed since (writes of this store still invalidate at once). Default 0: every hit is
   * checked against the database's commit generation, so no stale value is ever served.
   */
  readonly staleMs?: number;
}

/** Bounds of `atomic()`'s retries on conflict. */
export interface AtomicRetryOptions {
  /** Attempts in all, the first included. Default 10. */
  readonly maxAttempts?: number;
  /** First backoff ceiling in ms; doubles each retry (full jitter). Default 2. */
  readonly initialDelayMs?: number;
  /** Largest backoff ceiling in ms. Default 100. */
  readonly maxDelayMs?: number;
}

/** The change feed (`subscribe()`): how often it is polled and how much of the log is kept. */
export interface ChangeFeedOptions {
  /** How often subscriptions look for new commits (ms); a look costs a generation check when nothing changed. Default 50. */
  readonly pollIntervalMs?: number;
  /** Changes older than this (ms) are pruned. Default 86400000 (a day). */
  readonly maxAgeMs?: number;
  /** At most this many changes are kept. Default 100000. */
  readonly maxEntries?: number;
  /** How often this store prunes the log and the history (ms); 0: never. Default 60000. */
  readonly pruneIntervalMs?: number;
}

/** Retention of `versioned` entries' history. */
export interface HistoryOptions {
  /** Versions kept per entry, the current one included. Default 100. */
  readonly maxVersions?: number;
}

/** Defaults of `acquireLock()`. */
export interface LockOptions {
  /** Lease length (ms) when a call gives no `ttl`. Default 30000. */
  readonly ttl?: number;
  /** First wait between tries of a waiting `acquireLock()` (ms); doubles, with jitter. Default 2. */
  readonly retryMinMs?: number;
  /** Longest wait between tries (ms). Default 50. */
  readonly retryMaxMs?: number;
}

/** The pool options a store passes through to both of its pools (never `filename` or `root`). */
export type StorePoolOptions = Omit<PoolOptions, 'filename' | 'root' | 'memory' | 'readonly'>;

/** Options of `SharedMemoryStore.open()` and `new SharedMemoryStore()`: the seed's names where it has them. */
export interface StoreOptions {
  /** The databases live in `<projectRoot>/.hive-mind/`. Default: the current working directory. */
  readonly projectRoot?: string;
  /**
   * Open `memory.db` read-only: nothing is created (a missing database is `STORE_NO_DATABASE`),
   * migrated (a database not at this version's migrations is `STORE_SCHEMA_MISMATCH`) or
   * written (no access counts, sweeper, pruning or `hive.db`); every method that writes fails
   * with `STORE_READONLY`. Default false.
   */
  readonly readonly?: boolean;
  /** The seed's pool options, passed to the pool of `memory.db`. */
  readonly maxConnections?: number;
  readonly minConnections?: number;
  readonly connectionTimeout?: number;
  readonly queryTimeout?: number;
  readonly enableWAL?: boolean;
  readonly healthCheckInterval?: number;
  /** Any other pool option (`busyTimeout`, `retry`, `snapshotWindowMs`, …), for both pools. */
  readonly pool?: StorePoolOptions;
  /** The namespace of calls that name none. Default `'shared_state'` (the seed's). */
  readonly defaultNamespace?: string;
  /** The read cache: `false` turns it off; an object tunes it. Default on. */
  readonly cache?: boolean | StoreCacheOptions;
  /** Largest value plus metadata, in bytes of JSON. Default 1 MiB. */
  readonly maxValueSize?: number;
  /**
   * Deepest nesting of objects and arrays in a value (or metadata): deeper is
   * `STORE_INVALID_VALUE`, checked without recursion. Default 256; at most 2048 (JSON itself
   * overflows the stack a few thousand levels down).
   */
  readonly maxValueDepth?: number;
  /** Longest key, in UTF-16 code units. Default 1024. */
  readonly maxKeyLength?: number;
  /** Longest namespace, in UTF-16 code units. Default 256. */
  readonly maxNamespaceLength?: number;
  /** TTL (ms) of a `cached` entry written without `ttl`. Default 300000 (the seed's 5 minutes). */
  readonly cachedTtl?: number;
  /** How often expired entries are swept (ms); 0 turns the sweeper off. Default 300000 (the seed's `gcInterval`). */
  readonly gcInterval?: number;
  /** How often buffered access counts and the access log are written (ms); 0: only by size and at shutdown. Default 1000. */
  readonly flushInterval?: number;
  /** Buffered records (distinct keys read, plus access-log rows) that trigger a flush at once. Default 10000. */
  readonly flushMaxEntries?: number;
  /** Retries of `atomic()`. */
  readonly atomic?: AtomicRetryOptions;
  /** The clock of timestamps and TTLs (ms since the epoch). Default `Date.now`. */
  readonly clock?: () => number;
  /**
   * Backup before a migration changes a database that has tables (`@hivedb/schema`'s `backup`):
   * `true` beside the database, `false` for none, or the absolute path of a folder. Default true.
   */
  readonly migrationBackup?: boolean | string;
  /** The change feed's polling and retention. */
  readonly changeFeed?: ChangeFeedOptions;
  /** Retention of `versioned` entries' history. */
  readonly history?: HistoryOptions;
  /** Lock defaults. */
  readonly locks?: LockOptions;
}

/** Every option with its default applied. */
export interface ResolvedStoreOptions {
  readonly projectRoot: string;
  readonly readonly: boolean;
  readonly root: string;
  readonly pool: StorePoolOptions;
  readonly defaultNamespace: string;
  readonly cache: Required<StoreCacheOptions> | null;
  readonly maxValueSize: number;
  readonly maxValueDepth: number;
  readonly maxKeyLength: number;
  readonly maxNamespaceLength: number;
  readonly cachedTtl: number;
  readonly gcInterval: number;
  readonly flushInterval: number;
  readonly flushMaxEntries: number;
  readonly atomic: Required<AtomicRetryOptions>;
  readonly clock: () => number;
  readonly migrationBackup: boolean | string;
  readonly changeFeed: Required<ChangeFeedOptions>;
  readonly history: Required<HistoryOptions>;
  readonly locks: Required<LockOptions>;
}

/** The store's defaults. */
export const DEFAULT_STORE_OPTIONS = Object.freeze({
  readonly: false,
  defaultNamespace: 'shared_state',
  cache: Object.freeze({ maxEntries: 10_000, maxBytes: 64 * 1024 * 1024, staleMs: 0 }),
  maxValueSize: 1024 * 1024,
  maxValueDepth: 256,
  maxKeyLength: 1024,
  maxNamespaceLength: 256,
  cachedTtl: 300_000,
  gcInterval: 300_000,
  flushInterval: 1000,
  flushMaxEntries: 10_000,
  atomic: Object.freeze({ maxAttempts: 10, initialDelayMs: 2, maxDelayMs: 100 }),
  migrationBackup: true as boolean | string,
  changeFeed: Object.freeze({
    pollIntervalMs: 50,
    maxAgeMs: 86_400_000,
    maxEntries: 100_000,
    pruneIntervalMs: 60_000,
  }),
  history: Object.freeze({ maxVersions: 100 }),
  locks: Object.freeze({ ttl: 30_000, retryMinMs: 2, retryMaxMs: 50 }),
});

const SEED_POOL_KEYS = [
  'maxConnections',
  'minConnections',
  'connectionTimeout',
  'queryTimeout',
  'enableWAL',
  'healthCheckInterval',
] as const;

const TOP_KEYS = new Set<string>([
  'projectRoot',
  'readonly',
  ...SEED_POOL_KEYS,
  'pool',
  'defaultNamespace',
  'cache',
  'maxValueSize',
  'maxValueDepth',
  'maxKeyLength',
  'maxNamespaceLength',
  'cachedTtl',
  'gcInterval',
  'flushInterval',
  'flushMaxEntries',
  'atomic',
  'clock',
  'migrationBackup',
  'changeFeed',
  'history',
  'locks',
]);

/** Applies defaults to `StoreOptions`; rejects unknown keys and bad values with `STORE_INVALID_OPTION`. */
export function resolveStoreOptions(input: StoreOptions | undefined): ResolvedStoreOptions {
  const raw = objectOf('options', input ?? {}, TOP_KEYS);
  const d = DEFAULT_STORE_OPTIONS;

  const projectRoot = path.resolve(text('projectRoot', raw.projectRoot, process.cwd()));

  const poolRaw = raw.pool;
  if (poolRaw !== undefined && (poolRaw === null || typeof poolRaw !== 'object'))
    throw invalidOption('pool', poolRaw, 'an object of pool options');
  for (const k of ['filename', 'root', 'memory', 'readonly']) {
    if (poolRaw !== undefined && k in (poolRaw as object))
      throw invalidOption(
        `pool.${k}`,
        (poolRaw as Record<string, unknown>)[k],
        'not set: the store chooses it',
      );
  }
  const pool: Record<string, unknown> = { ...(poolRaw as object | undefined) };
  // The seed's names at the top level win over the same names in `pool`; the pool validates values.
  for (const k of SEED_POOL_KEYS) if (raw[k] !== undefined) pool[k] = raw[k];

  let cache: Required<StoreCacheOptions> | null;
  if (raw.cache === false) cache = null;
  else if (raw.cache === undefined || raw.cache === true) cache = { ...d.cache };
  else {
    const c = objectOf('cache', raw.cache, new Set(['maxEntries', 'maxBytes', 'staleMs']));
    cache = {
      maxEntries: int('cache.maxEntries', c.maxEntries, 1, d.cache.maxEntries),
      maxBytes: int('cache.maxBytes', c.maxBytes, 1, d.cache.maxBytes),
      staleMs: int('cache.staleMs', c.staleMs, 0, d.cache.staleMs),
    };
  }

  const a = objectOf(
    'atomic',
    raw.atomic,
    new Set(['maxAttempts', 'initialDelayMs', 'maxDelayMs']),
  );
  const atomic = {
    maxAttempts: int('atomic.maxAttempts', a.maxAttempts, 1, d.atomic.maxAttempts),
    initialDelayMs: int('atomic.initialDelayMs', a.initialDelayMs, 0, d.atomic.initialDelayMs),
    maxDelayMs: int('atomic.maxDelayMs', a.maxDelayMs, 0, d.atomic.maxDelayMs),
  };

  const clock = raw.clock ?? Date.now;
  if (typeof clock !== 'function') throw invalidOption('clock', clock, 'a function returning ms');

  const backup = checkMigrationBackup(raw.migrationBackup ?? d.migrationBackup);

  const f = objectOf(
    'changeFeed',
    raw.changeFeed,
    new Set(['pollIntervalMs', 'maxAgeMs', 'maxEntries', 'pruneIntervalMs']),
  );
  const changeFeed = {
    pollIntervalMs: int(
      'changeFeed.pollIntervalMs',
      f.pollIntervalMs,
      1,
      d.changeFeed.pollIntervalMs,
    ),
    maxAgeMs: int('changeFeed.maxAgeMs', f.maxAgeMs, 1, d.changeFeed.maxAgeMs),
    maxEntries: int('changeFeed.maxEntries', f.maxEntries, 1, d.changeFeed.maxEntries),
    pruneIntervalMs: int(
      'changeFeed.pruneIntervalMs',
      f.pruneIntervalMs,
      0,
      d.changeFeed.pruneIntervalMs,
    ),
  };
  const h = objectOf('history', raw.history, new Set(['maxVersions']));
  const history = {
    maxVersions: int('history.maxVersions', h.maxVersions, 1, d.history.maxVersions),
  };
  const l = objectOf('locks', raw.locks, new Set(['ttl', 'retryMinMs', 'retryMaxMs']));
  const locks = {
    ttl: int('locks.ttl', l.ttl, 1, d.locks.ttl),
    retryMinMs: int('locks.retryMinMs', l.retryMinMs, 1, d.locks.retryMinMs),
    retryMaxMs: int('locks.retryMaxMs', l.retryMaxMs, 1, d.locks.retryMaxMs),
  };

  const root = path.join(projectRoot, '.hive-mind');
  checkPoolOptions(pool, root, raw, SEED_POOL_KEYS);
  if (raw.readonly !== undefined && typeof raw.readonly !== 'boolean')
    throw invalidOption('readonly', raw.readonly, 'true or false');
  const readonly = (raw.readonly as boolean | undefined) ?? d.readonly;
  const gcInterval = int('gcInterval', raw.gcInterval, 0, d.gcInterval);
  const flushInterval = int('flushInterval', raw.flushInterval, 0, d.flushInterval);
  return {
    projectRoot,
    readonly,
    root,
    pool: pool as StorePoolOptions,
    defaultNamespace: text('defaultNamespace', raw.defaultNamespace, d.defaultNamespace),
    cache,
    maxValueSize: int('maxValueSize', raw.maxValueSize, 1, d.maxValueSize),
    maxValueDepth: int('maxValueDepth', raw.maxValueDepth, 1, d.maxValueDepth, MAX_VALUE_DEPTH),
    maxKeyLength: int('maxKeyLength', raw.maxKeyLength, 1, d.maxKeyLength),
    maxNamespaceLength: int('maxNamespaceLength', raw.maxNamespaceLength, 1, d.maxNamespaceLength),
    cachedTtl: int('cachedTtl', raw.cachedTtl, 1, d.cachedTtl),
    // A readonly store writes nothing: no sweeper, no access-count flushes, no pruning.
    gcInterval: readonly ? 0 : gcInterval,
    flushInterval: readonly ? 0 : flushInterval,
    flushMaxEntries: int('flushMaxEntries', raw.flushMaxEntries, 1, d.flushMaxEntries),
    atomic,
    clock: clock as () => number,
    migrationBackup: backup,
    changeFeed: readonly ? { ...changeFeed, pruneIntervalMs: 0 } : changeFeed,
    history,
    locks,
  };
}
