import type { Connection } from './connection.js';
import type { PoolContext } from './context.js';
import { isInterruptError, toQueryTimeout } from './interrupt.js';
import { QueryCache } from './query-cache.js';
import type { ReaderSet } from './reader-set.js';
import { execute, type Op, rowsOf } from './statement.js';
import type { BindParams, QueryOptions } from './types.js';

const WAIT: unique symbol = Symbol('wait for a reader');

/**
 * Microtask turns without a read after which an open snapshot ends, before its window does.
 * A run of awaited reads (`for (…) await pool.get(…)`) issues its next read one or two turns
 * after the last one resolved, so it keeps its snapshot; a process that went on to other work
 * (a write, a computation, waiting for anything) lets go of it at once.
 */
const IDLE_TURNS = 4;

/** Every read snapshot open in this process, whatever its pool or file. */
const openSnapshots = new Set<SnapshotReader>();

/**
 * Ends every read snapshot open in this process. Called before a write that may wait for the
 * write lock: a wait is synchronous, and a snapshot left open meanwhile would keep its WAL
 * frames pinned, so that a checkpoint that waits for readers (holding every writer, this one
 * included) would wait for it until one of them gave up.
 */
export function endOpenSnapshots(): void {
  for (const snapshot of openSnapshots) snapshot.end();
}

/**
 * Read snapshots. Most of a warm autocommit point read is the read transaction's begin and end,
 * so reads that arrive while a reader's snapshot is open are served in it. The snapshot ends at
 * the end of the current macrotask (setImmediate), after `snapshotWindowMs` or
 * `snapshotMaxReads`, and at once when this process commits a write (`end()`, called by the
 * writer), so a read issued after a write resolved always sees it, and another process's commit
 * is seen within the window. With `snapshotWindowMs: 0` each read is its own transaction.
 *
 * The query cache is validated here, once per snapshot: an entry is served only if it was read
 * on this connection at the same `PRAGMA data_version`, which changes when any other connection
 * or process commits.
 */
export class SnapshotReader {
  static readonly WAIT: typeof WAIT = WAIT;
  readonly #ctx: PoolContext;
  readonly #readers: ReaderSet;
  readonly #cache: QueryCache | null;
  readonly #windowMs: number;
  readonly #maxReads: number;
  #conn: Connection | undefined;
  #startedAt = 0;
  #reads = 0;
  #generation = 0;
  #endScheduled = false;
  #inTx = false;
  /** Whether the snapshot's connection has the snapshot's deadline armed. */
  #armed = false;
  /** Whether `#idleCheck` is queued; the reads it saw last, and the turns since it saw one. */
  #idleQueued = false;
  #readsSeen = -1;
  #idleTurns = 0;
  readonly #idleCheck = (): void => {
    if (this.#conn === undefined) {
      this.#idleQueued = false;
      return;
    }
    if (this.#reads !== this.#readsSeen) {
      this.#readsSeen = this.#reads;
      this.#idleTurns = 0;
    } else if (++this.#idleTurns >= IDLE_TURNS) {
      this.#idleQueued = false;
      this.end();
      return;
    }
    queueMicrotask(this.#idleCheck);
  };
  /** Readers armed by `#keepArmed`, disarmed at the end of the macrotask. */
  readonly #kept = new Set<Connection>();
  readonly #endAtMacrotask = () => {
    this.#endScheduled = false;
    this.end();
    this.#disarmKept();
  };

  /**
   * Arms `conn` for queryTimeout unless it was armed less than a tenth of queryTimeout ago:
   * a read started on it then still has at least 0.9 × queryTimeout. Returns whether it is armed.
   */
  #keepArmed(conn: Connection): boolean {
    const timeout = this.#ctx.opts.queryTimeout;
    if (timeout <= 0 || conn.interrupter === null) return false;
    const now = Date.now();
    if (conn.armedAt === 0 || now - conn.armedAt > timeout / 10) {
      conn.interrupter.arm(timeout);
      conn.armedAt = now;
      this.#kept.add(conn);
    }
    if (!this.#endScheduled) {
      this.#endScheduled = true;
      setImmediate(this.#endAtMacrotask).unref();
    }
    return true;
  }

  #disarmKept(): void {
    for (const conn of this.#kept) {
      conn.armedAt = 0;
      // Past its deadline the watchdog re-fires until disarmed; an idle reader must not be armed.
      if (!conn.closed) conn.interrupter?.disarm();
    }
    this.#kept.clear();
  }

  constructor(ctx: PoolContext, readers: ReaderSet, cache: QueryCache | null) {
    this.#ctx = ctx;
    this.#readers = readers;
    this.#cache = cache;
    this.#windowMs = ctx.opts.snapshotWindowMs;
    this.#maxReads = ctx.opts.snapshotWindowMs === 0 ? 1 : ctx.opts.snapshotMaxReads;
  }

  /** Whether a snapshot is open now. */
  get open(): boolean {
    return this.#conn !== undefined;
  }

  /**
   * Serves a read now if a reader is at hand (the open snapshot, an idle reader, or a new one);
   * returns `WAIT` when every reader is leased. Throws SQLite's error.
   */
  tryRead(
    op: Op,
    sql: string,
    params: BindParams | undefined,
    opts: QueryOptions | undefined,
  ): unknown {
    let conn = this.#conn;
    if (conn !== undefined && this.#expired()) {
      this.end();
      conn = undefined;
    }
    if (conn === undefined) {
      conn = this.#readers.tryTake();
      if (conn === undefined) return WAIT;
      this.#begin(conn);
    }
    return this.#read(conn, op, sql, params, opts);
  }

  /** Serves a read on a reader the caller waited for: it becomes the snapshot, or joins the one opened meanwhile. */
  readOn(
    conn: Connection,
    op: Op,
    sql: string,
    params: BindParams | undefined,
    opts: QueryOptions | undefined,
  ): unknown {
    const open = this.#conn;
    if (open !== undefined) {
      if (!this.#expired()) {
        this.#readers.release(conn);
        return this.#read(open, op, sql, params, opts);
      }
      this.end();
    }
    this.#begin(conn);
    return this.#read(conn, op, sql, params, opts);
  }

  #expired(): boolean {
    return this.#reads >= this.#maxReads || performance.now() - this.#startedAt >= this.#windowMs;
  }

  /** Ends the open snapshot (if any) and returns its reader. */
  end(): void {
    const conn = this.#conn;
    if (conn === undefined) return;
    this.#conn = undefined;
    openSnapshots.delete(this);
    try {
      if (conn.db.inTransaction) conn.internal('COMMIT').run();
    } catch (err) {
      conn.broken = true;
      this.#ctx.reportError('snapshot end', err);
    }
    this.#readers.release(conn);
  }

  /**
   * A number that moves whenever the database may have changed: on every commit of this pool,
   * and whenever a snapshot finds `PRAGMA data_version` changed on its reader (a commit by any
   * other connection or process since that reader last looked). Opens (or joins) a snapshot, so
   * equal values mean "nothing was committed since", as of the snapshot reads are served from.
   * Undefined when every reader is leased (then read fresh).
   */
  generation(): number | undefined {
    if (this.#conn !== undefined && this.#expired()) this.end();
    if (this.#conn === undefined) {
      const conn = this.#readers.tryTake();
      if (conn === undefined) return undefined;
      this.#begin(conn, true);
      this.#reads = 0;
    } else if (!this.#inTx) {
      return undefined;
    }
    return this.#generation;
  }

  /** This pool committed: the generation moves and the snapshot ends (read-your-writes). */
  localCommit(): void {
    this.#generation++;
    this.end();
  }

  #begin(conn: Connection, forceTx = false): void {
    const useTx = forceTx || this.#windowMs > 0 || this.#cache !== null;
    this.#inTx = useTx;
    if (useTx) {
      try {
        conn.internal('BEGIN').run();
        // Inside the read transaction this costs ~0.1 µs, and it is as of this snapshot.
        const dv = conn.dataVersion();
        if (dv !== conn.lastDataVersion) {
          // A reader's first look counts as a change: it cannot know what happened before it.
          conn.lastDataVersion = dv;
          this.#generation++;
        }
      } catch (err) {
        this.#readers.release(conn);
        throw err;
      }
    }
    this.#conn = conn;
    openSnapshots.add(this);
    this.#startedAt = performance.now();
    this.#reads = 0;
    this.#readsSeen = -1;
    this.#idleTurns = 0;
    if (!this.#idleQueued) {
      this.#idleQueued = true;
      queueMicrotask(this.#idleCheck);
    }
    this.#ctx.counters.snapshots++;
    const timeout = this.#ctx.opts.queryTimeout;
    if (useTx && timeout > 0 && conn.interrupter !== null) {
      // One deadline for the whole snapshot, armed once: a read joins a snapshot younger than
      // the window, so its own deadline is queryTimeout less at most snapshotWindowMs.
      conn.interrupter.arm(timeout);
      this.#armed = true;
    }
    if (!this.#endScheduled) {
      this.#endScheduled = true;
      setImmediate(this.#endAtMacrotask).unref();
    }
  }

  #read(
    conn: Connection,
    op: Op,
    sql: string,
    params: BindParams | undefined,
    opts: QueryOptions | undefined,
  ): unknown {
    this.#reads++;
    const ctx = this.#ctx;
    ctx.counters.queries++;
    const meter = ctx.meter;
    const stat = meter.on ? meter.startRead(sql) : undefined;
    const cache = this.#cache;
    let key: string | undefined;
    if (
      cache !== null &&
      op !== 'run' &&
      opts?.cache !== false &&
      (opts?.cache !== undefined || ctx.opts.queryCache!.cacheAllReads)
    ) {
      key = QueryCache.key(sql, params, op);
      if (key !== undefined) {
        const found = cache.lookup(key, this.#generation, Date.now());
        if (found.hit) {
          if (ctx.events.listening('cache'))
            ctx.events.emit('cache', { poolId: ctx.id, type: 'hit' });
          if (stat !== undefined)
            meter.endRead(
              stat,
              params,
              rowsOf(op, found.value),
              conn,
              this.#startedAt,
              undefined,
              true,
            );
          this.#afterRead();
          return found.value;
        }
        if (ctx.events.listening('cache')) {
          if (found.dropped !== undefined)
            ctx.events.emit('cache', {
              poolId: ctx.id,
              type: 'invalidate',
              reason: found.dropped,
              entries: 1,
            });
          ctx.events.emit('cache', { poolId: ctx.id, type: 'miss' });
        }
      }
    }
    let value: unknown;
    let armedHere = this.#armed;
    try {
      if (opts?.timeoutMs !== undefined) {
        value = execute(conn, op, sql, params, opts.timeoutMs);
        // A per-call deadline replaced the snapshot's; the snapshot ends after this read.
        if (this.#armed) this.#reads = this.#maxReads;
      } else {
        // One read per transaction (snapshotWindowMs 0): keep the reader armed across the reads
        // of this macrotask instead of arming per read (two SQL calls, a tenth of the read).
        if (!armedHere) armedHere = this.#keepArmed(conn);
        value = execute(conn, op, sql, params);
      }
    } catch (cause) {
      const err =
        armedHere && isInterruptError(cause) && conn.interrupter!.stats().fired
          ? toQueryTimeout(cause, ctx.opts.queryTimeout)
          : cause;
      ctx.counters.errors++;
      if (stat !== undefined) meter.endRead(stat, params, 0, conn, this.#startedAt, err);
      ctx.breaker.failure(err);
      this.end();
      throw err;
    }
    ctx.breaker.success();
    if (key !== undefined) {
      const ttl = typeof opts?.cache === 'object' ? opts.cache.ttlMs : ctx.opts.queryCache!.ttlMs;
      value = cache!.store(key, value, this.#generation, Date.now() + ttl);
    }
    // A read starts less than snapshotWindowMs after its snapshot (#expired): the snapshot's
    // start times a long read to within that (1 ms by default; 0: exactly).
    if (stat !== undefined) meter.endRead(stat, params, rowsOf(op, value), conn, this.#startedAt);
    this.#afterRead();
    return value;
  }

  #afterRead(): void {
    if (this.#reads >= this.#maxReads) this.end();
  }
}
