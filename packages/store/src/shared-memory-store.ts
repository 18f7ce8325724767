import { EventBus, type EventSource } from '@hivedb/pool';
import { type AtomicInfo, atomic } from './atomic.js';
import { Batch } from './batch.js';
import { commitBatch } from './commit-batch.js';
import { StoreContext } from './context.js';
import { isStoreOutcome, StoreError } from './errors.js';
import type { StoreEvents } from './events.js';
import { count, keys, list } from './listing.js';
import { clear, increment, remove, touch } from './mutate.js';
import { type ResolvedStoreOptions, resolveStoreOptions, type StoreOptions } from './options.js';
import { get } from './read.js';
import { setBulk } from './set-bulk.js';
import { openSqliteBackend } from './sqlite-backend.js';
import { collectStats, counters } from './stats.js';
import { Subscriptions } from './subscriptions.js';
import { sweep } from './sweep.js';
import { history } from './history.js';
import { acquireLock, releaseLock, renewLock } from './locks.js';
import type {
  AcquireLockOptions,
  Change,
  HistoryEntry,
  HistoryQueryOptions,
  LockLease,
  PoolView,
  RenewLockOptions,
  SubscribeOptions,
  Subscription,
} from './types.js';
import {
  type AtomicOptions,
  type BulkEntry,
  type BulkResult,
  type CountOptions,
  DATA_TYPES,
  type DeleteOptions,
  type GetOptions,
  type GetResult,
  type IncrementOptions,
  type KeysOptions,
  type ListOptions,
  type ListResult,
  NAMESPACES,
  type NamespaceOptions,
  type SetOptions,
  type SetResult,
  type StoreCounters,
  type StoreStats,
  type TouchResult,
} from './types.js';
import { set } from './write.js';
import type { Readable } from 'node:stream';
import { type BackupOptions, type BackupResult, backup } from './backup.js';
import { exportEntries, exportNamespace, type ExportOptions } from './export.js';
import { type ImportOptions, type ImportResult, importEntries } from './import.js';
import type { ImportSource } from './jsonl.js';
import { type RestoreResult, restore } from './restore.js';

type State = 'new' | 'opening' | 'ready' | 'failed' | 'closed';

/**
 * The memory agents share: namespaced JSON entries with versions, TTLs, compare-and-set, atomic
 * batches and a read cache that is coherent across processes, in `<projectRoot>/.hive-mind/memory.db`
 * (and its access log in `hive.db`).
 *
 * @example
 * const store = await SharedMemoryStore.open({ projectRoot: '.' });
 * await store.set('plan', { steps: 3 }, { namespace: 'task_results', ttl: 60_000 });
 * const plan = await store.get('plan', { namespace: 'task_results' }); // { steps: 3 } (frozen)
 * await store.increment('visits');
 * await store.shutdown();
 */
export class SharedMemoryStore {
  /** The seed's namespaces by name. */
  readonly namespaces = NAMESPACES;
  /** The seed's data types by name. */
  readonly dataTypes = DATA_TYPES;
  readonly #options: ResolvedStoreOptions;
  readonly #events = new EventBus<StoreEvents>();
  #state: State = 'new';
  #ctx: StoreContext | undefined;
  #opening: Promise<void> | undefined;
  #openError: unknown;
  #closing: Promise<void> | undefined;
  #sweepTimer: NodeJS.Timeout | undefined;
  #sweeping: Promise<number> | undefined;
  #feed: Subscriptions | undefined;
  #inFlight = 0;
  #idle: Array<() => void> = [];

  /**
   * Opens a store: both databases opened through pools and migrated before it resolves.
   * Throws `STORE_INVALID_OPTION` or `STORE_OPEN_FAILED`.
   */
  static async open(options?: StoreOptions): Promise<SharedMemoryStore> {
    const store = new SharedMemoryStore(options);
    await store.init();
    return store;
  }

  /**
   * The seed's style: `new SharedMemoryStore(options)` then `await store.init()`. Until `init()`
   * resolves, every call fails with `STORE_NOT_READY`. Options are checked here
   * (`STORE_INVALID_OPTION`); nothing is opened before `init()`.
   */
  constructor(options?: StoreOptions) {
    this.#options = resolveStoreOptions(options);
  }

  /** The store's typed events (`set`, `get`, `delete`, `clear`, `expire`, `conflict`, `cache`, `flush`, `error`). */
  get events(): EventSource<StoreEvents> {
    return this.#events;
  }

  /** Whether the store is open and usable. */
  get ready(): boolean {
    return this.#state === 'ready';
  }

  /** The database files (`memory.db`, `hive.db`), once open. */
  get files(): { readonly memory: string; readonly hive: string } | undefined {
    return this.#ctx?.backend.files;
  }

  /**
   * Read-only views of the store's two pools (`memory.db`, `hive.db`): their event buses, for a
   * monitor (`monitor.attach(store.pools().memory.events)`: utilisation, acquire waits, retries,
   * checkpoints), and their `stats()`. Throws `STORE_NOT_READY` / `STORE_CLOSED`.
   */
  pools(): { readonly memory: PoolView; readonly hive: PoolView } {
    if (this.#state !== 'ready' || this.#ctx === undefined) throw this.#notReady();
    return this.#ctx.backend.pools;
  }

  /** Opens and migrates the databases. Idempotent; after a failure, calling it again retries. */
  init(): Promise<void> {
    if (this.#state === 'closed')
      return Promise.reject(new StoreError('STORE_CLOSED', 'the store was shut down'));
    if (this.#state === 'ready') return Promise.resolve();
    if (this.#state === 'opening') return this.#opening!;
    this.#state = 'opening';
    this.#opening = this.#open();
    return this.#opening;
  }

  async #open(): Promise<void> {
    let backend: Awaited<ReturnType<typeof openSqliteBackend>>;
    try {
      backend = await openSqliteBackend({
        root: this.#options.root,
        pool: this.#options.pool,
        migrationBackup: this.#options.migrationBackup,
      });
    } catch (err) {
      if (this.#state === 'opening') {
        this.#state = 'failed';
        this.#openError = err;
      }
      throw err;
    }
    if (this.#state !== 'opening') {
      // shutdown() was called while opening.
      await backend.close();
      throw new StoreError('STORE_CLOSED', 'the store was shut down while it was opening');
    }
    const ctx = new StoreContext(this.#options, backend, this.#events);
    this.#ctx = ctx;
    this.#feed = new Subscriptions(ctx);
    if (this.#options.gcInterval > 0) {
      this.#sweepTimer = setInterval(() => {
        if (this.#state === 'ready' && this.#sweeping === undefined)
          this.sweepExpired().catch((err: unknown) => ctx.reportError('sweep', err));
      }, this.#options.gcInterval);
      this.#sweepTimer.unref();
    }
    this.#state = 'ready';
  }

  #notReady(): StoreError {
    switch (this.#state) {
      case 'closed':
        return new StoreError('STORE_CLOSED', 'the store was shut down');
      case 'failed':
        return new StoreError(
          'STORE_NOT_READY',
          'the store failed to open; call init() again to retry',
          { cause: this.#openError },
        );
      case 'opening':
        return new StoreError('STORE_NOT_READY', 'the store is still opening: await store.init()');
      default:
        return new StoreError(
          'STORE_NOT_READY',
          'the store is not open: await store.init() (or use SharedMemoryStore.open())',
        );
    }
  }

  /**
   * Runs an operation of an open store, counted so that `shutdown()` waits for it. A failure
   * that is not the caller's (the database, not the input: `POOL_BUSY`, `SQLITE_FULL`, …) is
   * also an `error` event.
   */
  #run<T>(name: string, op: (ctx: StoreContext) => Promise<T>): Promise<T> {
    if (this.#state !== 'ready') return Promise.reject(this.#notReady());
    const ctx = this.#ctx!;
    this.#inFlight++;
    let p: Promise<T>;
    try {
      p = op(ctx);
    } catch (err) {
      this.#settled();
      return Promise.reject(err);
    }
    return p.then(
      (value) => {
        this.#settled();
        return value;
      },
      (err: unknown) => {
        this.#settled();
        if (!isStoreOutcome(err)) ctx.reportError(name, err);
        throw err;
      },
    );
  }

  #settled(): void {
    if (--this.#inFlight === 0 && this.#idle.length > 0)
      for (const wake of this.#idle.splice(0)) wake();
  }

  /** Writes `value` (any JSON value) under `key`. Resolves to `{ success, version, size, expiresAt }`. */
  set(key: string, value: unknown, options?: SetOptions): Promise<SetResult> {
    return this.#run('set', (ctx) => set(ctx, key, value, options));
  }

  /**
   * The value under `key` (deeply frozen: copy it to change it), or `null` when absent or
   * expired. With `includeMetadata`: `{ value, metadata, found }`.
   */
  get<T = unknown>(
    key: string,
    options: GetOptions & { readonly includeMetadata: true },
  ): Promise<GetResult<T>>;
  get<T = unknown>(key: string, options?: GetOptions): Promise<T | null>;
  get(key: string, options?: GetOptions): Promise<unknown> {
    // Not counted in flight: a read needs no waiting for at shutdown (it is served from a
    // snapshot at once, or fails with the pool's POOL_CLOSED if it had to wait for a reader).
    if (this.#state !== 'ready') return Promise.reject(this.#notReady());
    try {
      return get(this.#ctx!, key, options);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** Deletes `key`; resolves to whether a live entry was there. */
  delete(key: string, options?: DeleteOptions): Promise<boolean> {
    return this.#run('delete', (ctx) => remove(ctx, key, options));
  }

  /** Live keys, filtered by namespace, data type and a glob on the key (`pattern`, as `subscribe`'s). */
  keys(options?: KeysOptions): Promise<string[]> {
    return this.#run('keys', (ctx) => keys(ctx, options));
  }

  /** Writes many entries in one transaction (`[{ key, value, options }]`); a result per entry, in order. */
  setBulk(entries: readonly BulkEntry[]): Promise<BulkResult[]> {
    return this.#run('setBulk', (ctx) => setBulk(ctx, entries));
  }

  /** A page of live entries in key order: `{ entries, cursor }`; pass `cursor` back for the next page. */
  list(options?: ListOptions): Promise<ListResult> {
    return this.#run('list', (ctx) => list(ctx, options));
  }

  /** Live entries of a namespace, optionally under a key prefix. */
  count(options?: CountOptions): Promise<number> {
    return this.#run('count', (ctx) => count(ctx, options));
  }

  /** Gives a live entry a new TTL in ms (`null`: never expires); `{ found, expiresAt }`. */
  touch(key: string, ttl: number | null, options?: NamespaceOptions): Promise<TouchResult> {
    return this.#run('touch', (ctx) => touch(ctx, key, ttl, options));
  }

  /** Deletes every entry of `namespace`, or of every namespace when none is given; resolves to how many. */
  clear(options?: NamespaceOptions): Promise<number> {
    return this.#run('clear', (ctx) => clear(ctx, options));
  }

  /** Adds `by` (default 1) to an integer counter in one statement, creating it at `by`; the new value. */
  increment(key: string, by?: number, options?: IncrementOptions): Promise<number> {
    return this.#run('increment', (ctx) => increment(ctx, key, by, options));
  }

  /** An atomic batch: `.check(…)`, `.set(…)`, `.delete(…)`, then `.commit()`. */
  batch(): Batch {
    return new Batch((checks, ops) => this.#run('batch', (ctx) => commitBatch(ctx, checks, ops)));
  }

  /**
   * Read-modify-write: reads the entry, calls `fn(value, { found, version })` with a fresh,
   * mutable copy (`null` when absent), and writes what `fn` returns if the entry is still at the
   * version read (compare-and-set). On a conflict `fn` runs again, after a backoff with jitter,
   * up to `maxAttempts` times in all; then `STORE_VERSION_CONFLICT`. `fn` must therefore have no
   * side effects outside its return value. Returning `undefined` writes nothing. Resolves to what
   * `fn` returned last.
   */
  atomic<T>(
    key: string,
    fn: (current: T | null, info: AtomicInfo) => T | Promise<T>,
    options?: AtomicOptions,
  ): Promise<T> {
    return this.#run('atomic', (ctx) =>
      atomic(ctx, key, fn, options, () => {
        if (this.#state !== 'ready') throw this.#notReady();
      }),
    );
  }

  /**
   * Takes the lock of `key` for `agentId` as a lease of `ttl` ms (default `locks.ttl`, 30 s):
   * `{ token, expiresAt }`, where `token` is a fencing token strictly larger than any issued for
   * the key before, by any process. Another agent's live lock: `STORE_LOCK_HELD` at once, or,
   * with `wait` ms, tries again with backoff and then `STORE_LOCK_TIMEOUT`. A holder that died
   * loses the lock when its lease expires. Calling it again while holding gives a new token.
   */
  acquireLock(key: string, agentId: string, options?: AcquireLockOptions): Promise<LockLease> {
    return this.#run('acquireLock', (ctx) =>
      acquireLock(ctx, key, agentId, options, () => {
        if (this.#state !== 'ready') throw this.#notReady();
      }),
    );
  }

  /** Releases `agentId`'s lock of `key`: true when it held it live; false otherwise (never another's). */
  releaseLock(key: string, agentId: string, options?: { namespace?: string }): Promise<boolean> {
    return this.#run('releaseLock', (ctx) => releaseLock(ctx, key, agentId, options));
  }

  /** Extends `agentId`'s live lock of `key` to `ttl` ms from now; same token. `STORE_LOCK_NOT_HELD` when it is gone. */
  renewLock(key: string, agentId: string, options?: RenewLockOptions): Promise<LockLease> {
    return this.#run('renewLock', (ctx) => renewLock(ctx, key, agentId, options));
  }

  /**
   * Calls `callback` with every change committed by any process on this machine to a key
   * matching `pattern` (a glob: `*` any characters, `?` one, `\` escapes), in commit order, once per sequence number:
   * `{ seq, namespace, key, op: 'set' | 'delete' | 'expire', version, at }`. From `since`
   * (`seq > since`) to resume, else from now. An async callback is awaited before the next
   * change; one that throws is an `error` event. Polled every `changeFeed.pollIntervalMs`.
   */
  subscribe(
    pattern: string,
    callback: (change: Change) => void | Promise<void>,
    options?: SubscribeOptions,
  ): Subscription {
    if (this.#state !== 'ready') throw this.#notReady();
    return this.#feed!.subscribe(pattern, callback, options);
  }

  /** Stops a subscription (as `sub.unsubscribe()`); true when it was active. */
  unsubscribe(subscription: Subscription): boolean {
    if (subscription === null || typeof subscription !== 'object') return false;
    return this.#feed?.unsubscribe(subscription.id) ?? false;
  }

  /**
   * The kept versions of a `versioned` entry, newest first (the current one included):
   * `[{ version, value, metadata, updatedAt }]`; `[]` for an absent entry or another type.
   * Retention: `history.maxVersions` per entry.
   */
  history(key: string, options?: HistoryQueryOptions): Promise<HistoryEntry[]> {
    return this.#run('history', (ctx) => history(ctx, key, options));
  }

  /**
   * Deletes expired entries now (the background sweeper does this every `gcInterval`), through
   * the partial index on `expires_at`. Resolves to how many. Expired entries are never returned
   * before this runs either.
   */
  sweepExpired(): Promise<number> {
    return this.#run('sweepExpired', async (ctx) => {
      if (this.#sweeping !== undefined) return this.#sweeping;
      this.#sweeping = sweep(ctx);
      try {
        return await this.#sweeping;
      } finally {
        this.#sweeping = undefined;
      }
    });
  }

  /** Writes the buffered access counts and access log now. */
  flush(): Promise<void> {
    return this.#run('flush', (ctx) => ctx.access.flush('manual'));
  }

  /** The seed's statistics: what is measured (counters of this store, entries and bytes on disk now). */
  getStats(): Promise<StoreStats> {
    return this.#run('getStats', (ctx) => collectStats(ctx));
  }

  /** This store's counters, synchronously (works in every state). */
  stats(): StoreCounters {
    return counters(this.#ctx, this.#state === 'ready', this.#state === 'closed');
  }

  /**
   * Stops the sweeper and the flush timer, waits for calls in flight, flushes the access
   * buffers, checkpoints both WALs (`TRUNCATE`) and closes the pools. Idempotent; every later
   * call fails with `STORE_CLOSED`. Transient entries are gone.
   */
  shutdown(): Promise<void> {
    this.#closing ??= this.#shutdown();
    return this.#closing;
  }

  async #shutdown(): Promise<void> {
    const wasOpening = this.#state === 'opening' ? this.#opening : undefined;
    this.#state = 'closed';
    if (wasOpening !== undefined) await wasOpening.catch(() => undefined);
    if (this.#sweepTimer !== undefined) clearInterval(this.#sweepTimer);
    this.#feed?.close();
    const ctx = this.#ctx;
    if (ctx === undefined) return;
    if (this.#inFlight > 0) await new Promise<void>((resolve) => this.#idle.push(resolve));
    ctx.access.stop();
    await ctx.access.flush('shutdown');
    // Our own read snapshots end at the end of the macrotask; a checkpoint must not wait on them.
    await new Promise((r) => setImmediate(r));
    try {
      await ctx.backend.checkpoint();
    } catch (err) {
      ctx.reportError('checkpoint', err);
    }
    await ctx.backend.close();
    ctx.transient.clearAll();
    ctx.cache?.clear();
  }

  /**
   * Writes an online backup of `memory.db` to `path` (a new file; `STORE_BACKUP_FAILED` if it
   * exists): every entry committed before the call, from one snapshot, while writers of this and
   * other processes go on. `onProgress` gets `{ totalPages, remainingPages }` between steps.
   */
  backup(path: string, options?: BackupOptions): Promise<BackupResult> {
    return this.#run('backup', (ctx) => backup(ctx, path, options));
  }

  /**
   * Replaces the contents of `memory.db` with a backup, after verifying a copy of it; refuses
   * (`STORE_RESTORE_REFUSED`, `details.reason`) a file that is not SQLite, fails
   * `integrity_check`, or lacks the memory schema, leaving the live database unchanged. An
   * older schema is migrated forward. Caches are dropped; transient entries are gone.
   */
  restore(path: string): Promise<RestoreResult> {
    return this.#run('restore', (ctx) => restore(ctx, path));
  }

  /**
   * The live entries (of `namespace`, or all) as a stream of UTF-8 JSON Lines, read in keyset
   * pages (constant memory). Expired and transient entries are not exported. Throws
   * `STORE_NOT_READY` / `STORE_CLOSED` / `STORE_INVALID_…` at once; a later failure destroys the stream.
   */
  export(options?: ExportOptions): Readable {
    if (this.#state !== 'ready') throw this.#notReady();
    const ctx = this.#ctx!;
    return exportEntries(exportNamespace(ctx, options), (read) => this.#run('export', read));
  }

  /**
   * Imports JSON Lines (as `export()` writes them) from a file path, a stream or an async
   * iterable: all records, validated and staged first, then written in one transaction; a bad
   * record rejects with `STORE_IMPORT_INVALID` naming its line, and nothing is imported.
   */
  import(source: ImportSource, options?: ImportOptions): Promise<ImportResult> {
    if (this.#state !== 'ready') return Promise.reject(this.#notReady());
    const check = (): void => {
      if (this.#state !== 'ready') throw this.#notReady();
    };
    // A fault of the final step is reported by #run; one of the staging, here.
    const reported = new WeakSet<object>();
    return importEntries(this.#ctx!, source, options, {
      check,
      run: (op) =>
        this.#run('import', op).catch((err: unknown) => {
          if (err !== null && typeof err === 'object') reported.add(err);
          throw err;
        }),
    }).catch((err: unknown) => {
      const seen = err !== null && typeof err === 'object' && reported.has(err);
      if (!seen && !isStoreOutcome(err)) this.#ctx?.reportError('import', err);
      throw err;
    });
  }
}
