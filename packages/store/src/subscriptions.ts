import { pruneFeed } from './change-feed.js';
import { keyMatcher } from './key-pattern.js';
import type { StoreContext } from './context.js';
import { invalidArgument, StoreError } from './errors.js';
import type { Change, SubscribeOptions, Subscription } from './types.js';

/** Changes read from the log per query. */
const PAGE = 1000;
/** Changes queued for one subscription before the poller stops reading ahead for it. */
const MAX_QUEUE = 10_000;

type Callback = (change: Change) => void | Promise<void>;

interface Sub {
  readonly id: number;
  readonly namespace: string | undefined;
  readonly match: (key: string) => boolean;
  readonly callback: Callback;
  /** The last seq read for it (`null` until its starting point is known). */
  cursor: number | null;
  /** The last seq delivered: a change is delivered once per seq. */
  delivered: number;
  readonly queue: Change[];
  draining: boolean;
  active: boolean;
  /** It must be read for even if nothing was committed (new, or its queue was full). */
  behind: boolean;
  readonly handle: Subscription;
}

/**
 * The change feed's subscriptions of one store: one poller (an unref'd timer, every
 * `changeFeed.pollIntervalMs`, running only while there are subscriptions) looks at the pool's
 * generation (`PRAGMA data_version` seen through a read snapshot, ~free when nothing changed),
 * reads the log after the lowest cursor when something was committed, and queues each change for
 * the subscriptions it matches. Each subscription delivers its queue in `seq` order, awaiting an
 * async callback before the next; a callback that throws or rejects is an `error` event
 * (`where: 'subscribe'`) and delivery goes on.
 */
export class Subscriptions {
  readonly #ctx: StoreContext;
  readonly #subs = new Map<number, Sub>();
  #nextId = 1;
  #timer: NodeJS.Timeout | undefined;
  #pruneTimer: NodeJS.Timeout | undefined;
  #polling = false;
  #lastGeneration: number | undefined;
  #closed = false;

  constructor(ctx: StoreContext) {
    this.#ctx = ctx;
    const every = ctx.opts.changeFeed.pruneIntervalMs;
    if (every > 0) {
      this.#pruneTimer = setInterval(() => {
        pruneFeed(ctx).catch((err: unknown) => {
          if (!this.#closed) ctx.reportError('pruneChanges', err);
        });
      }, every);
      this.#pruneTimer.unref();
    }
  }

  /** `store.subscribe()`. */
  subscribe(
    pattern: unknown,
    callback: unknown,
    options: SubscribeOptions | undefined,
  ): Subscription {
    const match = keyMatcher(pattern);
    if (typeof callback !== 'function')
      throw invalidArgument('callback', callback, 'a function (change) => void | Promise<void>');
    if (options !== undefined && (options === null || typeof options !== 'object'))
      throw invalidArgument('options', options, 'an object');
    const namespace =
      options?.namespace === undefined ? undefined : this.#ctx.namespace(options.namespace);
    const since = options?.since;
    if (
      since !== undefined &&
      !(typeof since === 'number' && Number.isSafeInteger(since) && since >= 0)
    )
      throw invalidArgument('since', since, 'a sequence number (an integer ≥ 0)');
    // Without `since`, the starting point is the log's head as of this call, read now: a change
    // another process commits while this process's event loop is busy right after the call
    // must still be delivered.
    const head = since === undefined ? this.#ctx.backend.headSeq() : undefined;
    const id = this.#nextId++;
    const sub: Sub = {
      id,
      namespace,
      match,
      callback: callback as Callback,
      cursor: null,
      delivered: since ?? 0,
      queue: [],
      draining: false,
      active: true,
      behind: true,
      handle: Object.freeze({ id, unsubscribe: () => this.unsubscribe(id) }),
    };
    this.#subs.set(id, sub);
    if (head !== undefined) this.#begin(sub, head);
    else this.#resume(sub, since!);
    this.#ensureTimer();
    return sub.handle;
  }

  /** Stops delivery to a subscription; true when it was active. */
  unsubscribe(id: number): boolean {
    const sub = this.#subs.get(id);
    if (sub === undefined) return false;
    sub.active = false;
    sub.queue.length = 0;
    this.#subs.delete(id);
    if (this.#subs.size === 0) this.#stopTimer();
    return true;
  }

  /** Stops every subscription and both timers (at `shutdown()`). Idempotent. */
  close(): void {
    this.#closed = true;
    for (const id of [...this.#subs.keys()]) this.unsubscribe(id);
    this.#stopTimer();
    if (this.#pruneTimer !== undefined) clearInterval(this.#pruneTimer);
    this.#pruneTimer = undefined;
  }

  /** The subscription reads from after `seq` on. */
  #begin(sub: Sub, seq: number): void {
    sub.cursor = seq;
    sub.delivered = Math.max(sub.delivered, seq);
    void this.poll();
  }

  /** A subscription with `since`: from after it, once the log is known to still hold what follows. */
  #resume(sub: Sub, since: number): void {
    const ctx = this.#ctx;
    ctx.backend.oldestSeq().then(
      (oldest) => {
        if (!sub.active) return;
        if (oldest !== null && oldest > since + 1) this.#pruned(sub, since, oldest);
        this.#begin(sub, since);
      },
      (err: unknown) => {
        if (!sub.active) return;
        ctx.reportError('subscribe', err);
        // Tried again at the next tick of the poller.
        setTimeout(
          () => sub.active && this.#resume(sub, since),
          ctx.opts.changeFeed.pollIntervalMs,
        ).unref();
      },
    );
  }

  #pruned(sub: Sub, since: number, oldest: number): void {
    this.#ctx.reportError(
      'subscribe',
      new StoreError(
        'STORE_CHANGES_PRUNED',
        `subscription ${sub.id}: changes ${since + 1} to ${oldest - 1} were pruned from the change log before they were delivered`,
        { details: { subscription: sub.id, since, oldest } },
      ),
    );
  }

  #ensureTimer(): void {
    if (this.#timer !== undefined || this.#closed) return;
    this.#timer = setInterval(() => void this.poll(), this.#ctx.opts.changeFeed.pollIntervalMs);
    this.#timer.unref();
  }

  #stopTimer(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** One look at the log; resolves when the changes found are queued (not yet delivered). */
  async poll(): Promise<void> {
    if (this.#polling || this.#closed) return;
    const ready = [...this.#subs.values()].filter(
      (s) => s.cursor !== null && s.queue.length < MAX_QUEUE,
    );
    if (ready.length === 0) return;
    const generation = this.#ctx.backend.generation();
    if (
      generation !== undefined &&
      generation === this.#lastGeneration &&
      !ready.some((s) => s.behind)
    )
      return;
    this.#polling = true;
    try {
      // Taken before the read: a commit after it moves the generation, and is read next time.
      this.#lastGeneration = generation;
      for (const s of ready) s.behind = false;
      let from = Math.min(...ready.map((s) => s.cursor!));
      for (;;) {
        const rows = await this.#ctx.backend.changes(from, PAGE);
        if (this.#closed) return;
        for (const row of rows) {
          for (const s of ready) {
            if (!s.active || s.cursor! >= row.seq) continue;
            if (s.queue.length >= MAX_QUEUE) {
              s.behind = true;
              continue;
            }
            s.cursor = row.seq;
            if ((s.namespace === undefined || s.namespace === row.namespace) && s.match(row.key))
              s.queue.push(Object.freeze({ ...row }));
          }
        }
        for (const s of ready) if (s.queue.length > 0 && !s.draining) void this.#drain(s);
        if (rows.length < PAGE || ready.every((s) => s.behind || !s.active)) break;
        from = rows[rows.length - 1]!.seq;
      }
    } catch (err) {
      this.#lastGeneration = undefined;
      if (!this.#closed) this.#ctx.reportError('subscribe', err);
    } finally {
      this.#polling = false;
    }
  }

  async #drain(sub: Sub): Promise<void> {
    sub.draining = true;
    try {
      while (sub.active && sub.queue.length > 0) {
        const change = sub.queue.shift()!;
        if (change.seq <= sub.delivered) continue;
        sub.delivered = change.seq;
        try {
          const out = sub.callback(change);
          if (out !== undefined && typeof (out as Promise<void>).then === 'function') await out;
        } catch (err) {
          this.#ctx.reportError('subscribe', err);
        }
      }
    } finally {
      sub.draining = false;
    }
  }
}
