import type { EventBus } from '@hivedb/pool';
import { StoreContext } from './context.js';
import { isStoreOutcome, StoreError } from './errors.js';
import type { StoreEvents } from './events.js';
import type { ImportGate } from './import.js';
import type { ResolvedStoreOptions } from './options.js';
import { openSqliteBackend } from './sqlite-open.js';
import { Subscriptions } from './subscriptions.js';
import { sweep } from './sweep.js';

type State = 'new' | 'opening' | 'ready' | 'failed' | 'closed';

/**
 * The life of one `SharedMemoryStore`: opening (and retrying), the state every call checks, the
 * count of calls in flight that `shutdown()` waits for, the readonly rule, the sweeper, and
 * shutting down. `SharedMemoryStore` is its public face; private to the package.
 */
export class StoreLifecycle {
  readonly options: ResolvedStoreOptions;
  readonly #events: EventBus<StoreEvents>;
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

  constructor(options: ResolvedStoreOptions, events: EventBus<StoreEvents>) {
    this.options = options;
    this.#events = events;
  }

  get ready(): boolean {
    return this.#state === 'ready';
  }

  get closed(): boolean {
    return this.#state === 'closed';
  }

  /** The context of the open store (undefined before it opened). */
  get ctx(): StoreContext | undefined {
    return this.#ctx;
  }

  /** The context of a ready store, or the error that says why there is none. */
  readyCtx(): StoreContext {
    if (this.#state !== 'ready' || this.#ctx === undefined) throw this.notReady();
    return this.#ctx;
  }

  /** The change feed of a ready store. */
  feed(): Subscriptions {
    this.readyCtx();
    return this.#feed!;
  }

  /** Opens (and, unless readonly, migrates) the databases. Idempotent; after a failure, retries. */
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
    const o = this.options;
    let backend: Awaited<ReturnType<typeof openSqliteBackend>>;
    try {
      backend = await openSqliteBackend({
        root: o.root,
        pool: o.pool,
        migrationBackup: o.migrationBackup,
        readonly: o.readonly,
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
    const ctx = new StoreContext(o, backend, this.#events);
    this.#ctx = ctx;
    this.#feed = new Subscriptions(ctx);
    if (o.gcInterval > 0) {
      this.#sweepTimer = setInterval(() => {
        if (this.#state === 'ready' && this.#sweeping === undefined)
          this.sweepExpired().catch((err: unknown) => ctx.reportError('sweep', err));
      }, o.gcInterval);
      this.#sweepTimer.unref();
    }
    this.#state = 'ready';
  }

  /** Why the store cannot serve a call now: `STORE_CLOSED` or `STORE_NOT_READY`. */
  notReady(): StoreError {
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

  /** `STORE_READONLY` for a method that writes, on a store opened `readonly`. */
  assertWritable(name: string): void {
    if (!this.options.readonly) return;
    throw new StoreError(
      'STORE_READONLY',
      `${name}() writes, and this store was opened with readonly: true; nothing was written`,
      { details: { operation: name } },
    );
  }

  /**
   * Runs an operation of an open store, counted so that `shutdown()` waits for it. A failure
   * that is not the caller's (the database, not the input: `POOL_BUSY`, `SQLITE_FULL`, …) is
   * also an `error` event.
   */
  run<T>(name: string, op: (ctx: StoreContext) => Promise<T>): Promise<T> {
    if (this.#state !== 'ready') return Promise.reject(this.notReady());
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

  /** `run` for an operation that writes: refused at once (`STORE_READONLY`) on a readonly store. */
  write<T>(name: string, op: (ctx: StoreContext) => Promise<T>): Promise<T> {
    try {
      this.assertWritable(name);
    } catch (err) {
      return Promise.reject(err);
    }
    return this.run(name, op);
  }

  /**
   * An operation that writes in two steps (`import()`: records staged outside the live database,
   * then one transaction): the store must still be ready at each step (`gate.check`), and the
   * last step runs counted (`gate.run`). Every fault that is not the caller's is one `error` event.
   */
  staged<T>(name: string, work: (ctx: StoreContext, gate: ImportGate) => Promise<T>): Promise<T> {
    let ctx: StoreContext;
    try {
      this.assertWritable(name);
      ctx = this.readyCtx();
    } catch (err) {
      return Promise.reject(err);
    }
    // A fault of the last step is reported by run(); one of the staging, here.
    const reported = new WeakSet<object>();
    const gate: ImportGate = {
      check: () => void this.readyCtx(),
      run: (op) =>
        this.run(name, op).catch((err: unknown) => {
          if (err !== null && typeof err === 'object') reported.add(err);
          throw err;
        }),
    };
    return work(ctx, gate).catch((err: unknown) => {
      const seen = err !== null && typeof err === 'object' && reported.has(err);
      if (!seen && !isStoreOutcome(err)) ctx.reportError(name, err);
      throw err;
    });
  }

  #settled(): void {
    if (--this.#inFlight === 0 && this.#idle.length > 0)
      for (const wake of this.#idle.splice(0)) wake();
  }

  /** `sweepExpired()`: one sweep at a time; a call during a sweep joins it. */
  sweepExpired(): Promise<number> {
    return this.write('sweepExpired', async (ctx) => {
      if (this.#sweeping !== undefined) return this.#sweeping;
      this.#sweeping = sweep(ctx);
      try {
        return await this.#sweeping;
      } finally {
        this.#sweeping = undefined;
      }
    });
  }

  /** `shutdown()`: idempotent. */
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
}
