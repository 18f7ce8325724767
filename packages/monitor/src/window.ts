import { newHistogram } from './histogram.js';
import type { Source, Statement } from './source.js';
import { Timing } from './timing.js';

/** One statement's figures in one time bucket. */
export class StatementAgg {
  count = 0;
  errors = 0;
  totalMs = 0;
  maxMs = 0;
  rows = 0;
  cacheHits = 0;
  readonly hist = newHistogram();
  constructor(readonly statement: Statement) {}
}

/** One pool's figures (everything but its statements) in one time bucket. */
export class PoolAgg {
  readonly acquireWait = new Timing();
  acquireTimeouts = 0;
  readonly held = new Timing();
  readonly transactions = new Timing();
  commits = 0;
  rollbacks = 0;
  timeouts = 0;
  transactionRetries = 0;
  retries = 0;
  cacheHits = 0;
  cacheMisses = 0;
  cacheInvalidations = 0;
  checkpoints = 0;
  checkpointsBusy = 0;
  opened = 0;
  closed = 0;
  connectionErrors = 0;
  poolErrors = 0;
  circuitChanges = 0;
  /** Highest leased ÷ max seen in a `utilization` event. */
  peakUtilization = -1;
  peakWaiting = 0;
  constructor(readonly source: Source) {}
}

/** One store's figures in one time bucket. */
export class StoreAgg {
  /** By operation: `get`, `set`, `delete`, `clear`, `expire`. */
  readonly ops = new Map<string, Timing>();
  getsFound = 0;
  getsMissed = 0;
  conflicts = 0;
  cacheHits = 0;
  cacheMisses = 0;
  cacheInvalidations = 0;
  expired = 0;
  readonly flushes = new Timing();
  errors = 0;
  constructor(readonly source: Source) {}

  op(name: string): Timing {
    let t = this.ops.get(name);
    if (t === undefined) {
      t = new Timing();
      this.ops.set(name, t);
    }
    return t;
  }
}

/** Everything recorded between `start` and the next bucket's start. */
export class Bucket {
  readonly statements: StatementAgg[] = [];
  readonly pools: PoolAgg[] = [];
  readonly stores: StoreAgg[] = [];
  constructor(
    readonly start: number,
    readonly epoch: number,
  ) {}
}

/**
 * A sliding window of time buckets. Events land in the current bucket without reading the clock
 * (a clock read costs as much as a tenth of a pooled point read); the bucket changes when the
 * clock has moved past it, checked by a timer, every 1024 events and before every read.
 */
export class SlidingWindow {
  readonly bucketMs: number;
  #buckets: Bucket[] = [];
  #current: Bucket;
  #epoch = 0;

  constructor(
    readonly windowMs: number,
    now: number,
  ) {
    this.bucketMs = Math.max(250, Math.floor(windowMs / 60));
    this.#current = new Bucket(this.#align(now), 0);
  }

  /** The bucket events go to now. */
  get current(): Bucket {
    return this.#current;
  }

  get epoch(): number {
    return this.#epoch;
  }

  #align(now: number): number {
    return now - (now % this.bucketMs);
  }

  /** Starts a new bucket when `now` is past the current one; drops buckets that left the window. */
  rotate(now: number): void {
    const start = this.#align(now);
    if (start <= this.#current.start) return;
    this.#buckets.push(this.#current);
    this.#current = new Bucket(start, ++this.#epoch);
    const oldest = now - this.windowMs;
    let drop = 0;
    while (drop < this.#buckets.length && this.#buckets[drop]!.start + this.bucketMs <= oldest)
      drop++;
    if (drop > 0) this.#buckets = this.#buckets.slice(drop);
  }

  /** The buckets inside the window ending at `now` (call `rotate(now)` first), oldest first. */
  inWindow(now: number): Bucket[] {
    const oldest = now - this.windowMs;
    const out = this.#buckets.filter((b) => b.start + this.bucketMs > oldest);
    out.push(this.#current);
    return out;
  }

  /** The buckets that started at or after `since` (for "the last cycle"). */
  since(since: number): Bucket[] {
    const out = this.#buckets.filter((b) => b.start + this.bucketMs > since);
    out.push(this.#current);
    return out;
  }

  statementAgg(st: Statement): StatementAgg {
    const agg = new StatementAgg(st);
    this.#current.statements.push(agg);
    return agg;
  }

  poolAgg(source: Source): PoolAgg {
    const agg = new PoolAgg(source);
    this.#current.pools.push(agg);
    return agg;
  }

  storeAgg(source: Source): StoreAgg {
    const agg = new StoreAgg(source);
    this.#current.stores.push(agg);
    return agg;
  }
}
