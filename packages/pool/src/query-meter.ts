import { paramCount } from './context.js';
import { errorInfo } from './errors.js';
import type { EventBus } from './event-bus.js';
import type { PoolEvents, QueryEvent } from './events.js';
import {
  ACTIVITY,
  LAST_TICK,
  checkClock,
  coarse,
  RING,
  RING_BASE,
  releaseClock,
  retainClock,
  TICK_MS,
  wakeClock,
} from './query-clock.js';
import { cutStatements, type Kind, QueryStat } from './query-stat.js';
import type { BindParams } from './types.js';

/**
 * A statement this long (ms) or longer is reported in full in a batch's `notable` (two ticks of
 * the coarse clock; some between one and two ticks are too).
 */
export const NOTABLE_MS = 100;
/** One statement of a text in this many is timed with `performance.now()` (a power of two). */
export const SAMPLE_EVERY = 64;
/** A batch is cut this long (ms) after its first statement. */
export const BATCH_MS = 1000;
/** Timings held before a batch is cut early. */
const MAX_TIMINGS = 4096;
/** Notable statements held before a batch is cut early. */
const MAX_NOTABLE = 512;
/** Distinct texts remembered across batches (past it, the table starts over). */
const MAX_TEXTS = 1024;
/** A clock whose last tick is older than this (ms, five ticks) is not trusted: statements are timed exactly. */
const CLOCK_MAX_AGE_MS = 250;

const SAMPLE_MASK = SAMPLE_EVERY - 1;
const RING_MASK = RING - 1;
const EACH = 1;
const BATCH = 2;

/** A connection as the meter reports it. */
interface ConnectionRef {
  readonly id: number;
}

/**
 * Times statements for the pool's `query` and `query:batch` events.
 *
 * `query` gets every statement with a `performance.now()` pair around it. `query:batch` gets
 * exact counts of every statement and the timings of a sample (see QueryBatchEvent), which costs
 * a few nanoseconds per statement instead of a hundred or more: a point read takes about 1 µs.
 *
 * Hot paths do:
 *   const stat = meter.on ? meter.start(sql, kind) : undefined;
 *   …run the statement…
 *   if (stat !== undefined) meter.end(stat, params, rows, conn);
 * and reads in a read snapshot use `startRead` / `endRead`, which read no clock before.
 */
export class QueryMeter {
  /**
   * Who listens: EACH (`query`), BATCH (`query:batch`), both, or 0. Kept current by the bus;
   * hot paths test `on` (one field) before anything else.
   */
  mode = 0;
  readonly #events: EventBus<PoolEvents>;
  readonly #poolId: number;
  readonly #filename: string;
  readonly #stats = new Map<string, QueryStat>();
  #dirty: QueryStat[] = [];
  #notable: QueryEvent[] = [];
  #timings = 0;
  #timer: NodeJS.Timeout | undefined;
  #holdsClock = false;
  /** The last tick a read saw (it tells the clock thread statements run, once per tick). */
  #activeTick = 0;
  /** The last text looked up (statements usually repeat one text). */
  #last = new QueryStat('', 'read');
  #closed = false;

  constructor(poolId: number, filename: string, events: EventBus<PoolEvents>) {
    this.#poolId = poolId;
    this.#filename = filename;
    this.#events = events;
    events.setFlusher(() => this.flush());
    events.watch(['query', 'query:batch'], () => this.#listenersChanged());
  }

  /** True while anyone listens to `query` or `query:batch`: call `start` only then. */
  get on(): boolean {
    return this.mode !== 0;
  }

  #listenersChanged(): void {
    const events = this.#events;
    // After close() nothing more is batched (its last batch went out); `query` still reports
    // the calls it refuses.
    this.mode =
      (events.listening('query') ? EACH : 0) |
      (events.listening('query:batch') && !this.#closed ? BATCH : 0);
    // The coarse clock is needed while batches are listened to.
    const need = (this.mode & BATCH) !== 0;
    if (need !== this.#holdsClock) {
      this.#holdsClock = need;
      if (need) retainClock();
      else releaseClock();
    }
  }

  /** Marks the start of a statement of `sql`; pass what it returns to `end`. */
  start(sql: string, kind: Kind): QueryStat {
    let s = this.#last;
    if (s.sql !== sql) s = this.#stat(sql, kind);
    // The first statement of a text and one in SAMPLE_EVERY are timed; the others, while only
    // batches are listened to and the clock ticks, read the coarse clock (query-clock.ts).
    const view = coarse;
    if (view !== null && this.mode === BATCH) {
      const k = view[0]!;
      if (k !== s.k0) {
        if (k < 0) {
          // The clock thread is parked (nothing ran for a while): wake it, time this one.
          wakeClock();
          s.t0 = performance.now();
          return s;
        }
        s.k0 = k;
        s.c0 = view[RING_BASE + (k & RING_MASK)]!;
        // At most once per tick and text: tells the thread statements are running.
        view[ACTIVITY] = k;
      }
      // (count + 1: this statement's place in the batch.)
      if (((s.count + 1) & SAMPLE_MASK) !== 0 && s.lastMs >= 0) {
        if (s.t0 !== 0) s.t0 = 0;
        return s;
      }
    }
    s.t0 = performance.now();
    return s;
  }

  /**
   * `start` for a read in a read snapshot: it reads no clock. The snapshot's start serves as the
   * read's (a read starts less than `snapshotWindowMs` after it), so `endRead` needs one look at
   * the clock: no tick since the snapshot began means the read took less than a tick.
   */
  startRead(sql: string): QueryStat {
    let s = this.#last;
    if (s.sql !== sql) s = this.#stat(sql, 'read');
    // The first read of a text and one in SAMPLE_EVERY are timed, and all while `query` is.
    const view = coarse;
    if (
      this.mode === BATCH &&
      view !== null &&
      ((s.count + 1) & SAMPLE_MASK) !== 0 &&
      s.lastMs >= 0
    )
      s.t0 = 0;
    else {
      // (A parked clock thread is woken by the first read that sees it; see endRead.)
      if (view !== null && view[0]! < 0) wakeClock();
      s.t0 = performance.now();
    }
    return s;
  }

  /** `end` for `startRead`; `snapshotAt` is the `performance.now()` its snapshot began at. */
  endRead(
    s: QueryStat,
    params: BindParams | undefined,
    rows: number,
    conn: ConnectionRef,
    snapshotAt: number,
    error?: unknown,
    cacheHit?: boolean,
  ): void {
    if (error !== undefined || cacheHit === true) {
      // Off the hot path. Timed when sampled; a failure not sampled from its snapshot's start (an
      // upper bound); a cache hit not sampled is not timed.
      const ms =
        s.t0 !== 0
          ? performance.now() - s.t0
          : error !== undefined
            ? performance.now() - snapshotAt
            : -1;
      const notable = error !== undefined || ms >= NOTABLE_MS;
      this.#finish(s, params, rows, conn, error, undefined, cacheHit === true, ms, notable);
      return;
    }
    const view = coarse;
    if (s.t0 === 0 && view !== null) {
      const k = view[0]!;
      if (k > 0 && view[LAST_TICK]! <= snapshotAt) {
        // No tick since the snapshot began: shorter than a tick, neither timed nor notable.
        if (k !== this.#activeTick) {
          this.#activeTick = k;
          view[ACTIVITY] = k;
        }
        if (s.count++ === 0) this.#dirtied(s);
        s.rows += rows;
        return;
      }
      if (k < 0) wakeClock();
      // A tick since the snapshot began: the snapshot's age bounds the read, to within
      // snapshotWindowMs.
      const upper = performance.now() - snapshotAt;
      if (upper < NOTABLE_MS) {
        if (s.count++ === 0) this.#dirtied(s);
        s.rows += rows;
        return;
      }
      this.#finish(s, params, rows, conn, undefined, undefined, false, upper, true);
      return;
    }
    this.#endTimed(s, params, rows, conn, undefined, undefined, false);
  }

  /**
   * Ends the statement `start` returned: emits `query` (when listened to) and counts it for the
   * next `query:batch`. `error` is set when it failed.
   */
  end(
    s: QueryStat,
    params: BindParams | undefined,
    rows: number,
    conn: ConnectionRef,
    error?: unknown,
    transactionId?: number,
    cacheHit?: boolean,
  ): void {
    // The common case, kept small: not timed, no tick since it started, it did not fail.
    if (s.t0 === 0 && error === undefined && coarse?.[0] === s.k0) {
      if (s.count++ === 0) this.#dirtied(s);
      s.rows += rows;
      if (cacheHit === true) s.cacheHits++;
      return;
    }
    this.#endTimed(s, params, rows, conn, error, transactionId, cacheHit === true);
  }

  #endTimed(
    s: QueryStat,
    params: BindParams | undefined,
    rows: number,
    conn: ConnectionRef,
    error: unknown,
    transactionId: number | undefined,
    cacheHit: boolean,
  ): void {
    let ms = -1;
    let notable = error !== undefined;
    if (s.t0 !== 0) {
      ms = performance.now() - s.t0;
      if (ms >= NOTABLE_MS) notable = true;
    } else if (coarse !== null) {
      const view = coarse;
      const k1 = view[0]!;
      const now = performance.now();
      const longest = now - s.c0;
      if (notable) ms = longest;
      else if (k1 !== s.k0) {
        // It started after c0 and before tick k0 + 1 (see query-clock.ts), whose time is in
        // the ring unless the statement outlasted the ring. A thread that parked after tick k0
        // wrote no later tick: then only `longest` is known.
        const last = k1 < 0 ? -k1 : k1;
        const shortest =
          last === s.k0 || last - s.k0 >= RING - 1
            ? longest
            : now - view[RING_BASE + ((s.k0 + 1) & RING_MASK)]!;
        // Every statement of NOTABLE_MS or more has shortest ≥ NOTABLE_MS - one tick.
        if (shortest >= NOTABLE_MS - TICK_MS) {
          ms = longest;
          notable = true;
        }
      }
    }
    this.#finish(s, params, rows, conn, error, transactionId, cacheHit, ms, notable);
  }

  /** Emits `query` and counts the statement, its time `ms` (-1: not timed) known. */
  #finish(
    s: QueryStat,
    params: BindParams | undefined,
    rows: number,
    conn: ConnectionRef,
    error: unknown,
    transactionId: number | undefined,
    cacheHit: boolean,
    ms: number,
    notable: boolean,
  ): void {
    s.t0 = 0;
    let event: QueryEvent | undefined;
    if ((this.mode & EACH) !== 0 || notable) {
      event = this.#payload(
        s.sql,
        s.kind,
        params,
        Math.max(ms, 0),
        rows,
        conn.id,
        error,
        transactionId,
        cacheHit,
      );
      if ((this.mode & EACH) !== 0) this.#events.emit('query', event);
    }
    if ((this.mode & BATCH) === 0) return;
    this.#count(s, rows, cacheHit);
    if (notable) {
      if (error !== undefined) s.errors++;
      s.notables++;
      this.#addNotable(event!);
    } else if (ms >= 0) this.#addTiming(s, ms);
  }

  /** The figures of `sql`, created on first use. */
  #stat(sql: string, kind: Kind): QueryStat {
    let s = this.#stats.get(sql);
    if (s === undefined) {
      if (this.#stats.size >= MAX_TEXTS) this.#stats.clear();
      s = new QueryStat(sql, kind);
      this.#stats.set(sql, s);
    }
    this.#last = s;
    return s;
  }

  /**
   * Counts a statement timed elsewhere: an offload worker's, a group commit's (timed by the
   * group), one refused before it reached a connection (`connectionId` 0, 0 ms).
   */
  recordTimed(
    sql: string,
    kind: Kind,
    params: BindParams | undefined,
    durationMs: number,
    rows: number,
    connectionId: number,
    error?: unknown,
    offloaded = false,
  ): void {
    const event = this.#payload(
      sql,
      kind,
      params,
      durationMs,
      rows,
      connectionId,
      error,
      undefined,
      false,
      offloaded,
    );
    if ((this.mode & EACH) !== 0) this.#events.emit('query', event);
    if ((this.mode & BATCH) === 0) return;
    const s = this.#stat(sql, kind);
    this.#count(s, rows, false);
    if (error !== undefined || durationMs >= NOTABLE_MS) {
      if (error !== undefined) s.errors++;
      s.notables++;
      this.#addNotable(event);
    } else this.#addTiming(s, durationMs);
  }

  /** A statement's `query` payload (every payload has the same keys: one object shape). */
  #payload(
    sql: string,
    kind: Kind,
    params: BindParams | undefined,
    durationMs: number,
    rows: number,
    connectionId: number,
    error: unknown,
    transactionId?: number,
    cacheHit = false,
    offloaded = false,
  ): QueryEvent {
    return {
      poolId: this.#poolId,
      filename: this.#filename,
      sql,
      paramCount: paramCount(params),
      durationMs,
      rows,
      kind,
      cacheHit,
      connectionId,
      error: error === undefined ? undefined : errorInfo(error),
      transactionId,
      offloaded,
    };
  }

  #count(s: QueryStat, rows: number, cacheHit: boolean): void {
    if (s.count++ === 0) this.#dirtied(s);
    s.rows += rows;
    if (cacheHit) s.cacheHits++;
  }

  /** `s` has its first statement of this batch: list it, and make sure the batch gets cut. */
  #dirtied(s: QueryStat): void {
    this.#dirty.push(s);
    if (this.#timer === undefined && !this.#closed) {
      this.#timer = setTimeout(() => {
        this.#timer = undefined;
        this.flush();
      }, BATCH_MS);
      this.#timer.unref();
    }
  }

  #addTiming(s: QueryStat, ms: number): void {
    // It stands for itself and the statements not covered since the last timing.
    const weight = s.count - s.notables - s.covered;
    s.durationsMs.push(ms);
    s.weights.push(weight);
    s.covered += weight;
    s.lastMs = ms;
    if (++this.#timings >= MAX_TIMINGS) this.flush();
  }

  #addNotable(event: QueryEvent): void {
    this.#notable.push(event);
    // A long statement is delivered as it ends (a batch costs little beside 100 ms); failures wait
    // for the batch, unless many are held.
    if (event.durationMs >= NOTABLE_MS || this.#notable.length >= MAX_NOTABLE) this.flush();
  }

  /** Emits what was counted since the last batch as one `query:batch` (nothing when nothing was). */
  flush(): void {
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    if (this.#holdsClock) checkClock(CLOCK_MAX_AGE_MS);
    if (this.#dirty.length === 0 && this.#notable.length === 0) return;
    const statements = cutStatements(this.#dirty);
    const notable = this.#notable;
    this.#dirty = [];
    this.#notable = [];
    this.#timings = 0;
    if ((this.mode & BATCH) !== 0) {
      this.#events.emit('query:batch', {
        poolId: this.#poolId,
        filename: this.#filename,
        at: Date.now(),
        statements,
        notable,
      });
    }
  }

  /** Delivers the last batch and lets go of the clock (the pool's `close()`). Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.flush();
    this.#events.setFlusher(undefined);
    this.#listenersChanged();
  }
}
