import { HiveDbError } from './errors.js';

/** Retry of a whole unit of work when another connection holds the lock (SQLITE_BUSY / _SNAPSHOT / LOCKED). */
export interface RetryOptions {
  /** Attempts after the first. Default 20. */
  readonly maxRetries?: number;
  /** First backoff ceiling in ms; each retry doubles it (full jitter: the delay is random below it). Default 5. */
  readonly initialDelayMs?: number;
  /** Largest backoff ceiling in ms. Default 250. */
  readonly maxDelayMs?: number;
  /** Give up once this much time has passed since the first attempt. Default 10000. */
  readonly maxElapsedMs?: number;
}

/** The circuit breaker: fails fast while the database itself is unwell. */
export interface CircuitBreakerOptions {
  /** Consecutive "database unwell" failures that open the circuit. Default 5. */
  readonly failureThreshold?: number;
  /** How long the circuit stays open before one probe is let through (half-open). Default 5000. */
  readonly resetTimeoutMs?: number;
  /** `false` disables the breaker. Default true. */
  readonly enabled?: boolean;
}

/** The query result cache (off unless given). */
export interface QueryCacheOptions {
  /** Default TTL of an entry in ms. Default 300000 (the seed's 5 minutes). */
  readonly ttlMs?: number;
  /** Most entries kept. Default 1000. */
  readonly maxEntries?: number;
  /** Cache every read unless the call says `cache: false` (true), or only reads that say `cache: true` (false). Default true. */
  readonly cacheAllReads?: boolean;
}

/** Options of `createPool`. The seed's names and defaults where it has them. */
export interface PoolOptions {
  /** The database file, relative to `root` (or absolute inside it), or `':memory:'` with `memory: true`. */
  readonly filename: string;
  /** The folder every database path is confined to. Default: the current working directory. */
  readonly root?: string;
  /** Allow `filename: ':memory:'` (one connection serves reads and writes). Default false. */
  readonly memory?: boolean;
  /** Connections at most, writer included. Default 10. */
  readonly maxConnections?: number;
  /** Connections opened at start and kept, writer included. Default 2. */
  readonly minConnections?: number;
  /** How long a caller waits for a connection (ms). Default 10000. */
  readonly connectionTimeout?: number;
  /**
   * Query timeout (ms); `0` for none. Default 30000. The statement itself is stopped at its
   * deadline (POOL_QUERY_TIMEOUT) by the query-interrupt extension the install step builds; a read
   * snapshot has one deadline for all its reads. See the README ("Query timeouts").
   */
  readonly queryTimeout?: number;
  /** Default timeout of a transaction (ms); `0` for none. Default 30000. */
  readonly transactionTimeout?: number;
  /** Put the database in WAL mode. Default true. */
  readonly enableWAL?: boolean;
  /** How often idle connections are probed (ms); `0` disables the timer. Default 60000. */
  readonly healthCheckInterval?: number;
  /** SQLite's busy_timeout on every connection (ms). Above it, whole units of work are retried. Default 100. */
  readonly busyTimeout?: number;
  /** Readers idle longer than this are closed, down to `minConnections` (ms). Default 300000. */
  readonly idleTimeout?: number;
  /** Connections older than this are replaced when next idle (ms); `0` for never. Default 3600000. */
  readonly maxLifetime?: number;
  /**
   * Who checkpoints the WAL (see the README, "Keeping the WAL bounded"). `'coordinated'`: SQLite's
   * autocheckpoint is off in every connection and one process per database file, elected through
   * a lock the kernel frees when its holder dies, checkpoints from a worker thread (PASSIVE about
   * every thousand frames, RESTART past `walCheckpointBytes`). `'sqlite'`: SQLite's
   * autocheckpoint in every connection, and the health check's PASSIVE/RESTART past
   * `walCheckpointBytes`. Default `'coordinated'` (ignored for `:memory:`, `readonly` and
   * `enableWAL: false` pools).
   */
  readonly walCheckpointer?: 'coordinated' | 'sqlite';
  /** WAL size (bytes) past which the checkpointer empties the WAL (a TRUNCATE checkpoint); 0: never. Default 24 MiB. */
  readonly walCheckpointBytes?: number;
  /**
   * The bound the WAL is kept under (bytes): the checkpointer waits longer for readers as the WAL
   * nears it, and the `wal` event reports when it is passed. Default 64 MiB.
   */
  readonly walLimitBytes?: number;
  /** The shortest gap between two checkpoints of the checkpointing process (ms). Default 10. */
  readonly walCheckpointIntervalMs?: number;
  /** Reads that arrive while a reader's snapshot is open share it for up to this long (ms); `0`: one transaction per read. Default 1. */
  readonly snapshotWindowMs?: number;
  /** …and for at most this many reads. Default 1000. */
  readonly snapshotMaxReads?: number;
  /** Most single-statement writes committed together in one group. Default 256. */
  readonly groupCommitMax?: number;
  /** Prepared statements kept per connection (LRU). Default 256. */
  readonly statementCacheSize?: number;
  readonly retry?: RetryOptions;
  readonly circuitBreaker?: CircuitBreakerOptions;
  /** The query result cache: `true` for defaults, an object to tune, absent or `false` for off. */
  readonly queryCache?: boolean | QueryCacheOptions;
  /** Extra `PRAGMA name = value` run on every connection after the pool's own. Names: letters and `_` only. */
  readonly pragmas?: Readonly<Record<string, string | number | boolean>>;
  /** Open every connection read-only: no writer, every connection a reader. Default false. */
  readonly readonly?: boolean;
  /** `synchronous` pragma. Default `'NORMAL'` (safe in WAL mode: a crash loses no committed transaction's integrity). */
  readonly synchronous?: 'OFF' | 'NORMAL' | 'FULL' | 'EXTRA';
  /**
   * Worker threads, each with its own read connection, that run `{ offload: true }` statements
   * off the event loop. They count inside `maxConnections`: when the first offloaded statement
   * starts them, the readers' share becomes `maxConnections - 1 - offloadWorkers` (the writer
   * and at least one reader keep theirs). Default 2, lowered to what fits when not given (0 with
   * `maxConnections` 2: offloading is then refused); a given value that does not fit is an error.
   */
  readonly offloadWorkers?: number;
  /**
   * Heap limit of each offload worker (MiB, V8's old generation); `0`: Node's default. A worker
   * whose result outgrows it ends (POOL_WORKER_CRASHED for its statements) and is replaced;
   * the application's thread is untouched. Default 0.
   */
  readonly offloadHeapLimitMb?: number;
}

/** Every option with its default applied. */
export interface ResolvedPoolOptions {
  readonly filename: string;
  readonly root: string;
  readonly memory: boolean;
  readonly maxConnections: number;
  readonly minConnections: number;
  readonly connectionTimeout: number;
  readonly queryTimeout: number;
  readonly transactionTimeout: number;
  readonly enableWAL: boolean;
  readonly healthCheckInterval: number;
  readonly busyTimeout: number;
  readonly idleTimeout: number;
  readonly maxLifetime: number;
  readonly walCheckpointer: 'coordinated' | 'sqlite';
  readonly walCheckpointBytes: number;
  readonly walLimitBytes: number;
  readonly walCheckpointIntervalMs: number;
  readonly snapshotWindowMs: number;
  readonly snapshotMaxReads: number;
  readonly groupCommitMax: number;
  readonly statementCacheSize: number;
  readonly retry: Required<RetryOptions>;
  readonly circuitBreaker: Required<CircuitBreakerOptions>;
  readonly queryCache: Required<QueryCacheOptions> | null;
  readonly pragmas: Readonly<Record<string, string | number | boolean>>;
  readonly readonly: boolean;
  readonly synchronous: 'OFF' | 'NORMAL' | 'FULL' | 'EXTRA';
  readonly offloadWorkers: number;
  readonly offloadHeapLimitMb: number;
}

/** The pool's defaults (the seed's where it names one). */
export const DEFAULT_POOL_OPTIONS = Object.freeze({
  maxConnections: 10,
  minConnections: 2,
  connectionTimeout: 10_000,
  queryTimeout: 30_000,
  transactionTimeout: 30_000,
  enableWAL: true,
  healthCheckInterval: 60_000,
  busyTimeout: 100,
  idleTimeout: 300_000,
  maxLifetime: 3_600_000,
  walCheckpointer: 'coordinated' as 'coordinated' | 'sqlite',
  walCheckpointBytes: 24 * 1024 * 1024,
  walLimitBytes: 64 * 1024 * 1024,
  walCheckpointIntervalMs: 10,
  snapshotWindowMs: 1,
  snapshotMaxReads: 1000,
  groupCommitMax: 256,
  statementCacheSize: 256,
  retry: Object.freeze({
    maxRetries: 20,
    initialDelayMs: 5,
    maxDelayMs: 250,
    maxElapsedMs: 10_000,
  }),
  circuitBreaker: Object.freeze({ failureThreshold: 5, resetTimeoutMs: 5_000, enabled: true }),
  queryCache: Object.freeze({ ttlMs: 300_000, maxEntries: 1000, cacheAllReads: true }),
  readonly: false,
  memory: false,
  synchronous: 'NORMAL' as const,
  offloadWorkers: 2,
  offloadHeapLimitMb: 0,
});

const TOP_KEYS = new Set([
  'filename',
  'root',
  'memory',
  'maxConnections',
  'minConnections',
  'connectionTimeout',
  'queryTimeout',
  'transactionTimeout',
  'enableWAL',
  'healthCheckInterval',
  'busyTimeout',
  'idleTimeout',
  'maxLifetime',
  'walCheckpointer',
  'walCheckpointBytes',
  'walLimitBytes',
  'walCheckpointIntervalMs',
  'snapshotWindowMs',
  'snapshotMaxReads',
  'groupCommitMax',
  'statementCacheSize',
  'retry',
  'circuitBreaker',
  'queryCache',
  'pragmas',
  'readonly',
  'synchronous',
  'offloadWorkers',
  'offloadHeapLimitMb',
]);

function invalid(option: string, value: unknown, expected: string): HiveDbError {
  return new HiveDbError(
    'POOL_INVALID_OPTION',
    `invalid pool option ${option}: ${describe(value)} (expected ${expected})`,
    {
      details: { option, value },
    },
  );
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value == null)
    return String(value);
  try {
    return JSON.stringify(value) ?? typeof value;
  } catch {
    return typeof value;
  }
}

function checkKeys(obj: object, allowed: Set<string> | readonly string[], prefix: string): void {
  const set = allowed instanceof Set ? allowed : new Set(allowed);
  for (const key of Object.keys(obj)) {
    if (!set.has(key))
      throw new HiveDbError('POOL_INVALID_OPTION', `unknown pool option ${prefix}${key}`, {
        details: { option: `${prefix}${key}` },
      });
  }
}

function int(
  name: string,
  value: unknown,
  fallback: number,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw invalid(
      name,
      value,
      `an integer from ${min}${max === Number.MAX_SAFE_INTEGER ? '' : ` to ${max}`}`,
    );
  }
  return value;
}

function bool(name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw invalid(name, value, 'true or false');
  return value;
}

function plainObject(name: string, value: unknown): Record<string, unknown> | undefined {
  if (value === undefined) return undefined;
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw invalid(name, value, 'an object');
  return value as Record<string, unknown>;
}

/** Applies defaults and validates; throws `POOL_INVALID_OPTION` naming the option and the value. */
export function resolvePoolOptions(input: PoolOptions): ResolvedPoolOptions {
  const raw = plainObject('options', input);
  if (!raw) throw invalid('options', input, 'an object with at least `filename`');
  checkKeys(raw, TOP_KEYS, '');
  const d = DEFAULT_POOL_OPTIONS;
  if (typeof raw.filename !== 'string' || raw.filename.length === 0)
    throw invalid('filename', raw.filename, 'a non-empty string');
  if (raw.root !== undefined && (typeof raw.root !== 'string' || raw.root.length === 0))
    throw invalid('root', raw.root, 'a non-empty string');

  const maxConnections = int('maxConnections', raw.maxConnections, d.maxConnections, 1, 1000);
  const minConnections = int(
    'minConnections',
    raw.minConnections,
    Math.min(d.minConnections, maxConnections),
    1,
    1000,
  );
  if (minConnections > maxConnections) {
    throw invalid('minConnections', minConnections, `at most maxConnections (${maxConnections})`);
  }
  const retryIn = plainObject('retry', raw.retry) ?? {};
  checkKeys(retryIn, ['maxRetries', 'initialDelayMs', 'maxDelayMs', 'maxElapsedMs'], 'retry.');
  const cbIn = plainObject('circuitBreaker', raw.circuitBreaker) ?? {};
  checkKeys(cbIn, ['failureThreshold', 'resetTimeoutMs', 'enabled'], 'circuitBreaker.');

  let queryCache: Required<QueryCacheOptions> | null = null;
  if (raw.queryCache === true) queryCache = { ...d.queryCache };
  else if (raw.queryCache !== undefined && raw.queryCache !== false) {
    const qc = plainObject('queryCache', raw.queryCache)!;
    checkKeys(qc, ['ttlMs', 'maxEntries', 'cacheAllReads'], 'queryCache.');
    queryCache = {
      ttlMs: int('queryCache.ttlMs', qc.ttlMs, d.queryCache.ttlMs, 1),
      maxEntries: int('queryCache.maxEntries', qc.maxEntries, d.queryCache.maxEntries, 1),
      cacheAllReads: bool('queryCache.cacheAllReads', qc.cacheAllReads, d.queryCache.cacheAllReads),
    };
  }

  const pragmas = plainObject('pragmas', raw.pragmas) ?? {};
  for (const [name, value] of Object.entries(pragmas)) {
    if (!/^[A-Za-z_]+$/.test(name))
      throw invalid(`pragmas.${name}`, name, 'a pragma name of letters and _');
    if (
      !(typeof value === 'number' && Number.isFinite(value)) &&
      typeof value !== 'boolean' &&
      !(typeof value === 'string' && /^[A-Za-z0-9_-]+$/.test(value))
    ) {
      throw invalid(`pragmas.${name}`, value, 'a number, a boolean or a word');
    }
  }
  const walCheckpointer = raw.walCheckpointer ?? d.walCheckpointer;
  if (walCheckpointer !== 'coordinated' && walCheckpointer !== 'sqlite')
    throw invalid('walCheckpointer', walCheckpointer, "'coordinated' | 'sqlite'");
  const walCheckpointBytes = int(
    'walCheckpointBytes',
    raw.walCheckpointBytes,
    d.walCheckpointBytes,
    0,
  );
  const walLimitBytes = int(
    'walLimitBytes',
    raw.walLimitBytes,
    Math.max(d.walLimitBytes, walCheckpointBytes),
    1,
  );
  if (walLimitBytes < walCheckpointBytes)
    throw invalid(
      'walLimitBytes',
      walLimitBytes,
      `at least walCheckpointBytes (${walCheckpointBytes})`,
    );
  const synchronous = raw.synchronous ?? d.synchronous;
  if (!['OFF', 'NORMAL', 'FULL', 'EXTRA'].includes(synchronous as string))
    throw invalid('synchronous', synchronous, "'OFF' | 'NORMAL' | 'FULL' | 'EXTRA'");

  const memory = bool('memory', raw.memory, d.memory);
  const readonly = bool('readonly', raw.readonly, d.readonly);
  // Connections left for offload workers once the writer and one reader have theirs.
  const room = Math.max(0, maxConnections - (readonly ? 1 : 2));
  let offloadWorkers = Math.min(d.offloadWorkers, room);
  if (raw.offloadWorkers !== undefined) {
    offloadWorkers = int('offloadWorkers', raw.offloadWorkers, d.offloadWorkers, 0, 64);
    if (offloadWorkers > room) {
      throw invalid(
        'offloadWorkers',
        offloadWorkers,
        `at most ${room}: of maxConnections ${maxConnections}, one is kept for ${readonly ? 'a reader' : 'the writer and one for a reader'}`,
      );
    }
  }
  const offloadHeapLimitMb = int(
    'offloadHeapLimitMb',
    raw.offloadHeapLimitMb,
    d.offloadHeapLimitMb,
    0,
    1_000_000,
  );
  if (offloadHeapLimitMb > 0 && offloadHeapLimitMb < 8)
    throw invalid('offloadHeapLimitMb', offloadHeapLimitMb, '0 (Node default) or at least 8');
  return {
    filename: raw.filename,
    root: (raw.root as string | undefined) ?? process.cwd(),
    memory,
    maxConnections,
    minConnections,
    connectionTimeout: int('connectionTimeout', raw.connectionTimeout, d.connectionTimeout, 1),
    queryTimeout: int('queryTimeout', raw.queryTimeout, d.queryTimeout, 0),
    transactionTimeout: int('transactionTimeout', raw.transactionTimeout, d.transactionTimeout, 0),
    enableWAL: bool('enableWAL', raw.enableWAL, d.enableWAL),
    healthCheckInterval: int(
      'healthCheckInterval',
      raw.healthCheckInterval,
      d.healthCheckInterval,
      0,
    ),
    busyTimeout: int('busyTimeout', raw.busyTimeout, d.busyTimeout, 0),
    idleTimeout: int('idleTimeout', raw.idleTimeout, d.idleTimeout, 0),
    maxLifetime: int('maxLifetime', raw.maxLifetime, d.maxLifetime, 0),
    walCheckpointer,
    walCheckpointBytes,
    walLimitBytes,
    walCheckpointIntervalMs: int(
      'walCheckpointIntervalMs',
      raw.walCheckpointIntervalMs,
      d.walCheckpointIntervalMs,
      1,
      60_000,
    ),
    snapshotWindowMs: int('snapshotWindowMs', raw.snapshotWindowMs, d.snapshotWindowMs, 0, 1000),
    snapshotMaxReads: int('snapshotMaxReads', raw.snapshotMaxReads, d.snapshotMaxReads, 1),
    groupCommitMax: int('groupCommitMax', raw.groupCommitMax, d.groupCommitMax, 1, 100_000),
    statementCacheSize: int(
      'statementCacheSize',
      raw.statementCacheSize,
      d.statementCacheSize,
      0,
      100_000,
    ),
    retry: {
      maxRetries: int('retry.maxRetries', retryIn.maxRetries, d.retry.maxRetries, 0),
      initialDelayMs: int(
        'retry.initialDelayMs',
        retryIn.initialDelayMs,
        d.retry.initialDelayMs,
        0,
      ),
      maxDelayMs: int('retry.maxDelayMs', retryIn.maxDelayMs, d.retry.maxDelayMs, 0),
      maxElapsedMs: int('retry.maxElapsedMs', retryIn.maxElapsedMs, d.retry.maxElapsedMs, 0),
    },
    circuitBreaker: {
      failureThreshold: int(
        'circuitBreaker.failureThreshold',
        cbIn.failureThreshold,
        d.circuitBreaker.failureThreshold,
        1,
      ),
      resetTimeoutMs: int(
        'circuitBreaker.resetTimeoutMs',
        cbIn.resetTimeoutMs,
        d.circuitBreaker.resetTimeoutMs,
        0,
      ),
      enabled: bool('circuitBreaker.enabled', cbIn.enabled, d.circuitBreaker.enabled),
    },
    queryCache,
    pragmas: pragmas as Record<string, string | number | boolean>,
    readonly,
    synchronous: synchronous as ResolvedPoolOptions['synchronous'],
    offloadWorkers,
    offloadHeapLimitMb,
  };
}
