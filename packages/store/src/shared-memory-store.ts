import { EventBus, type EventSource } from '@hivedb/pool';
import { type AtomicInfo, atomic } from './atomic.js';
import { Batch } from './batch.js';
import { commitBatch } from './commit-batch.js';
import type { StoreEvents } from './events.js';
import { count, keys, list } from './listing.js';
import { clear, increment, remove, touch } from './mutate.js';
import { resolveStoreOptions, type StoreOptions } from './options.js';
import { get } from './read.js';
import { setBulk } from './set-bulk.js';
import { collectStats, counters } from './stats.js';
import { StoreLifecycle } from './store-lifecycle.js';
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
  readonly #events = new EventBus<StoreEvents>();
  readonly #life: StoreLifecycle;

  /**
   * Opens a store: both databases opened through pools and migrated before it resolves (with
   * `readonly: true`, an existing `memory.db` opened read-only, nothing created or migrated).
   * Throws `STORE_INVALID_OPTION`, `STORE_OPEN_FAILED`, and for a readonly store
   * `STORE_NO_DATABASE` or `STORE_SCHEMA_MISMATCH`.
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
    this.#life = new StoreLifecycle(resolveStoreOptions(options), this.#events);
  }

  /** The store's typed events (`set`, `get`, `delete`, `clear`, `expire`, `conflict`, `cache`, `flush`, `error`). */
  get events(): EventSource<StoreEvents> {
    return this.#events;
  }

  /** Whether the store is open and usable. */
  get ready(): boolean {
    return this.#life.ready;
  }

  /** Whether the store was opened with `readonly: true` (every method that writes fails with `STORE_READONLY`). */
  get readonly(): boolean {
    return this.#life.options.readonly;
  }

  /** The database files (`memory.db`, `hive.db`), once open. */
  get files(): { readonly memory: string; readonly hive: string } | undefined {
    return this.#life.ctx?.backend.files;
  }

  /**
   * Read-only views of the store's two pools (`memory.db`, `hive.db`): their event buses, for a
   * monitor (`monitor.attach(store.pools().memory.events)`: utilisation, acquire waits, retries,
   * checkpoints), and their `stats()`; `hive` is `null` for a readonly store (it never opens
   * `hive.db`). Throws `STORE_NOT_READY` / `STORE_CLOSED`.
   */
  pools(): { readonly memory: PoolView; readonly hive: PoolView | null } {
    return this.#life.readyCtx().backend.pools;
  }

  /** Opens and migrates the databases. Idempotent; after a failure, calling it again retries. */
  init(): Promise<void> {
    return this.#life.init();
  }

  /** Writes `value` (any JSON value) under `key`. Resolves to `{ success, version, size, expiresAt }`. */
  set(key: string, value: unknown, options?: SetOptions): Promise<SetResult> {
    return this.#life.write('set', (ctx) => set(ctx, key, value, options));
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
    try {
      return get(this.#life.readyCtx(), key, options);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** Deletes `key`; resolves to whether a live entry was there. */
  delete(key: string, options?: DeleteOptions): Promise<boolean> {
    return this.#life.write('delete', (ctx) => remove(ctx, key, options));
  }

  /** Live keys, filtered by namespace, data type and a glob on the key (`pattern`, as `subscribe`'s). */
  keys(options?: KeysOptions): Promise<string[]> {
    return this.#life.run('keys', (ctx) => keys(ctx, options));
  }

  /** Writes many entries in one transaction (`[{ key, value, options }]`); a result per entry, in order. */
  setBulk(entries: readonly BulkEntry[]): Promise<BulkResult[]> {
    return this.#life.write('setBulk', (ctx) => setBulk(ctx, entries));
  }

  /** A page of live entries in key order: `{ entries, cursor }`; pass `cursor` back for the next page. */
  list(options?: ListOptions): Promise<ListResult> {
    return this.#life.run('list', (ctx) => list(ctx, options));
  }

  /** Live entries of a namespace, optionally under a key prefix. */
  count(options?: CountOptions): Promise<number> {
    return this.#life.run('count', (ctx) => count(ctx, options));
  }

  /** Gives a live entry a new TTL in ms (`null`: never expires); `{ found, expiresAt }`. */
  touch(key: string, ttl: number | null, options?: NamespaceOptions): Promise<TouchResult> {
    return this.#life.write('touch', (ctx) => touch(ctx, key, ttl, options));
  }

  /** Deletes every entry of `namespace`, or of every namespace when none is given; resolves to how many. */
  clear(options?: NamespaceOptions): Promise<number> {
    return this.#life.write('clear', (ctx) => clear(ctx, options));
  }

  /** Adds `by` (default 1) to an integer counter in one statement, creating it at `by`; the new value. */
  increment(key: string, by?: number, options?: IncrementOptions): Promise<number> {
    return this.#life.write('increment', (ctx) => increment(ctx, key, by, options));
  }

  /** An atomic batch: `.check(…)`, `.set(…)`, `.delete(…)`, then `.commit()`. */
  batch(): Batch {
    return new Batch((checks, ops) =>
      this.#life.write('batch', (ctx) => commitBatch(ctx, checks, ops)),
    );
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
    return this.#life.write('atomic', (ctx) =>
      atomic(ctx, key, fn, options, () => {
        this.#life.readyCtx();
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
    return this.#life.write('acquireLock', (ctx) =>
      acquireLock(ctx, key, agentId, options, () => {
        this.#life.readyCtx();
      }),
    );
  }

  /** Releases `agentId`'s lock of `key`: true when it held it live; false otherwise (never another's). */
  releaseLock(key: string, agentId: string, options?: { namespace?: string }): Promise<boolean> {
    return this.#life.write('releaseLock', (ctx) => releaseLock(ctx, key, agentId, options));
  }

  /** Extends `agentId`'s live lock of `key` to `ttl` ms from now; same token. `STORE_LOCK_NOT_HELD` when it is gone. */
  renewLock(key: string, agentId: string, options?: RenewLockOptions): Promise<LockLease> {
    return this.#life.write('renewLock', (ctx) => renewLock(ctx, key, agentId, options));
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
    return this.#life.feed().subscribe(pattern, callback, options);
  }

  /** Stops a subscription (as `sub.unsubscribe()`); true when it was active. */
  unsubscribe(subscription: Subscription): boolean {
    if (subscription === null || typeof subscription !== 'object') return false;
    if (!this.#life.ready) return false;
    return this.#life.feed().unsubscribe(subscription.id);
  }

  /**
   * The kept versions of a `versioned` entry, newest first (the current one included):
   * `[{ version, value, metadata, updatedAt }]`; `[]` for an absent entry or another type.
   * Retention: `history.maxVersions` per entry.
   */
  history(key: string, options?: HistoryQueryOptions): Promise<HistoryEntry[]> {
    return this.#life.run('history', (ctx) => history(ctx, key, options));
  }

  /**
   * Deletes expired entries now (the background sweeper does this every `gcInterval`), through
   * the partial index on `expires_at`. Resolves to how many. Expired entries are never returned
   * before this runs either.
   */
  sweepExpired(): Promise<number> {
    return this.#life.sweepExpired();
  }

  /** Writes the buffered access counts and access log now. */
  flush(): Promise<void> {
    return this.#life.write('flush', (ctx) => ctx.access.flush('manual'));
  }

  /** The seed's statistics: what is measured (counters of this store, entries and bytes on disk now). */
  getStats(): Promise<StoreStats> {
    return this.#life.run('getStats', (ctx) => collectStats(ctx));
  }

  /** This store's counters, synchronously (works in every state). */
  stats(): StoreCounters {
    return counters(this.#life.ctx, this.#life.ready, this.#life.closed);
  }

  /**
   * Stops the sweeper and the flush timer, waits for calls in flight, flushes the access
   * buffers, checkpoints both WALs (`TRUNCATE`) and closes the pools. Idempotent; every later
   * call fails with `STORE_CLOSED`. Transient entries are gone.
   */
  shutdown(): Promise<void> {
    return this.#life.shutdown();
  }

  /**
   * Writes an online backup of `memory.db` to `path` (a new file; `STORE_BACKUP_FAILED` if it
   * exists): every entry committed before the call, from one snapshot, while writers of this and
   * other processes go on. `onProgress` gets `{ totalPages, remainingPages }` between steps.
   */
  backup(path: string, options?: BackupOptions): Promise<BackupResult> {
    return this.#life.run('backup', (ctx) => backup(ctx, path, options));
  }

  /**
   * Replaces the contents of `memory.db` with a hivedb `memory.db` (a backup), after verifying a
   * copy of it; anything else (not SQLite, damaged, no migration record, a schema its record
   * does not imply) is `STORE_RESTORE_REFUSED` with `details.reason` and the live database is
   * unchanged. Writes `{ safetyBackup }`, a copy of the live data beside it, before replacing.
   * An older schema is migrated forward. Caches are dropped; transient entries are gone.
   */
  restore(path: string): Promise<RestoreResult> {
    return this.#life.write('restore', (ctx) => restore(ctx, path));
  }

  /**
   * The live entries (of `namespace`, or all) as a stream of UTF-8 JSON Lines, read in keyset
   * pages (constant memory). Expired and transient entries are not exported. Throws
   * `STORE_NOT_READY` / `STORE_CLOSED` / `STORE_INVALID_…` at once; a later failure destroys the stream.
   */
  export(options?: ExportOptions): Readable {
    const ctx = this.#life.readyCtx();
    return exportEntries(exportNamespace(ctx, options), (read) => this.#life.run('export', read));
  }

  /**
   * Imports JSON Lines (as `export()` writes them) from a file path, a stream or an async
   * iterable: all records, validated and staged first, then written in one transaction; a bad
   * record rejects with `STORE_IMPORT_INVALID` naming its line, and nothing is imported.
   */
  import(source: ImportSource, options?: ImportOptions): Promise<ImportResult> {
    return this.#life.staged('import', (ctx, gate) => importEntries(ctx, source, options, gate));
  }
}
