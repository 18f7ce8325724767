import type { Connection } from './connection.js';
import type { PoolContext } from './context.js';
import type { ConnectionReason } from './events.js';
import { HiveDbError } from './errors.js';

interface Waiter {
  readonly resolve: (conn: Connection) => void;
  readonly reject: (err: unknown) => void;
  readonly enqueuedAt: number;
  timer: NodeJS.Timeout | undefined;
}

/**
 * The reader connections: opened on demand up to `max`, idle ones kept on a stack (the most
 * recently used first, whose page cache is warm), and a FIFO queue of callers waiting for one.
 * A waiter that times out leaves the queue at once, so it can never later take a connection.
 */
export class ReaderSet {
  readonly #ctx: PoolContext;
  #max: number;
  readonly #all = new Set<Connection>();
  readonly #idle: Connection[] = [];
  readonly #waiters: Waiter[] = [];
  #lastOpenError: unknown;

  constructor(ctx: PoolContext, max: number) {
    this.#ctx = ctx;
    this.#max = max;
  }

  /** How many readers may be open. */
  get max(): number {
    return this.#max;
  }

  /**
   * Lowers the number of readers (the offload workers took some of the connections): idle
   * readers above it are closed now, leased ones when they are returned.
   */
  lower(max: number, reason: ConnectionReason): void {
    this.#max = Math.min(this.#max, max);
    while (this.#all.size > this.#max && this.#idle.length > 0) {
      // The least recently used first: the bottom of the stack.
      const conn = this.#idle.shift()!;
      this.#all.delete(conn);
      this.#ctx.close(conn, reason);
    }
  }

  get open(): number {
    return this.#all.size;
  }

  get idleCount(): number {
    return this.#idle.length;
  }

  get leased(): number {
    return this.#all.size - this.#idle.length;
  }

  get waiting(): number {
    return this.#waiters.length;
  }

  /** Opens readers until `n` are open (at start: `minConnections`). */
  warm(n: number, reason: ConnectionReason): void {
    while (this.#all.size < Math.min(n, this.#max)) {
      const conn = this.#ctx.open('reader', reason);
      this.#all.add(conn);
      this.#idle.push(conn);
    }
  }

  /** An idle reader, or a new one when under `max`; undefined when every reader is leased. Throws if opening fails. */
  tryTake(): Connection | undefined {
    const conn = this.#idle.pop();
    if (conn !== undefined) {
      this.#ctx.utilizationChanged();
      return conn;
    }
    if (this.#all.size >= this.#max) return undefined;
    try {
      const fresh = this.#ctx.open('reader', 'demand');
      this.#all.add(fresh);
      this.#lastOpenError = undefined;
      this.#ctx.utilizationChanged();
      return fresh;
    } catch (err) {
      this.#lastOpenError = err;
      throw err;
    }
  }

  /** Waits (FIFO, bounded by `timeoutMs`) for a reader. */
  take(timeoutMs: number): Promise<Connection> {
    let conn: Connection | undefined;
    try {
      conn = this.tryTake();
    } catch (err) {
      return Promise.reject(err);
    }
    if (conn !== undefined) return Promise.resolve(conn);
    return new Promise((resolve, reject) => {
      const waiter: Waiter = { resolve, reject, enqueuedAt: Date.now(), timer: undefined };
      // Not unref'd: it bounds a wait that a caller awaits, and is cleared when the wait ends.
      waiter.timer = setTimeout(() => {
        const at = this.#waiters.indexOf(waiter);
        if (at >= 0) this.#waiters.splice(at, 1);
        this.#ctx.counters.acquireTimeouts++;
        if (this.#ctx.events.listening('acquire:timeout')) {
          this.#ctx.events.emit('acquire:timeout', {
            poolId: this.#ctx.id,
            mode: 'read',
            waitedMs: Date.now() - waiter.enqueuedAt,
          });
        }
        const last = this.#lastOpenError;
        const because =
          last instanceof Error
            ? `; the last attempt to open a connection failed: ${last.message}`
            : '';
        reject(
          new HiveDbError(
            'POOL_ACQUIRE_TIMEOUT',
            `timed out after ${timeoutMs} ms waiting for a reader (${this.leased} of ${this.#max} leased, ${this.#waiters.length} waiting)${because}`,
            { cause: last, details: { mode: 'read', timeoutMs } },
          ),
        );
      }, timeoutMs);
      this.#waiters.push(waiter);
    });
  }

  /** Returns a reader: to the first waiter, or to the idle stack; a broken or expired one is replaced. */
  release(conn: Connection): void {
    if (!this.#all.has(conn)) return;
    conn.lastUsedAt = Date.now();
    const lifetime = this.#ctx.opts.maxLifetime;
    const surplus = this.#all.size > this.#max;
    if (
      conn.broken ||
      conn.closed ||
      surplus ||
      (lifetime > 0 && conn.lastUsedAt - conn.createdAt >= lifetime)
    ) {
      this.#all.delete(conn);
      this.#ctx.close(conn, conn.broken ? 'failed' : surplus ? 'offload' : 'lifetime');
      this.#ctx.utilizationChanged();
      if (this.#waiters.length > 0) this.#serveWaiter();
      return;
    }
    const waiter = this.#waiters.shift();
    if (waiter !== undefined) {
      clearTimeout(waiter.timer);
      waiter.resolve(conn);
      return;
    }
    this.#idle.push(conn);
    this.#ctx.utilizationChanged();
  }

  #serveWaiter(): void {
    let conn: Connection | undefined;
    try {
      conn = this.tryTake();
    } catch {
      return; // the waiter keeps waiting; its timeout reports the open failure
    }
    if (conn === undefined) return;
    const waiter = this.#waiters.shift();
    if (waiter === undefined) this.#idle.push(conn);
    else {
      clearTimeout(waiter.timer);
      waiter.resolve(conn);
    }
  }

  /** The idle readers, oldest use first (for health checks). Taking one out with `remove` is the caller's job. */
  idleSnapshot(): readonly Connection[] {
    return [...this.#idle];
  }

  /** Takes an idle reader out of the set and closes it. */
  closeIdle(conn: Connection, reason: ConnectionReason): boolean {
    const at = this.#idle.indexOf(conn);
    if (at < 0) return false;
    this.#idle.splice(at, 1);
    this.#all.delete(conn);
    this.#ctx.close(conn, reason);
    return true;
  }

  /** Replaces an idle reader with a fresh connection. Throws if the new one cannot be opened. */
  replaceIdle(conn: Connection, reason: ConnectionReason): void {
    if (!this.closeIdle(conn, reason)) return;
    const fresh = this.#ctx.open('reader', 'replace');
    this.#all.add(fresh);
    this.#idle.push(fresh);
  }

  /** Closes everything and rejects every waiter with `err`. */
  closeAll(err: HiveDbError): void {
    for (const w of this.#waiters.splice(0)) {
      clearTimeout(w.timer);
      w.reject(err);
    }
    for (const conn of this.#all) this.#ctx.close(conn, 'close');
    this.#all.clear();
    this.#idle.length = 0;
  }
}
