import type { AccessLogRecord, AccessRecord, StoreBackend } from './backend.js';
import type { FlushEvent } from './events.js';

/**
 * Reads must not become writes: `access_count` / `last_accessed` and `hive.db`'s access log are
 * gathered here in memory and written in one transaction per database when `flushInterval`
 * passes, when `flushMaxEntries` records are waiting, and at `shutdown()`. Reads of one key
 * between flushes add up to one record (one UPDATE), so a hot key costs one row per flush.
 */
export class AccessBuffer {
  readonly #backend: StoreBackend;
  readonly #maxEntries: number;
  readonly #onFlushed: (e: FlushEvent) => void;
  readonly #onError: (where: string, err: unknown) => void;
  #access = new Map<string, AccessRecord>();
  #log = new Map<string, AccessLogRecord>();
  #timer: NodeJS.Timeout | undefined;
  #sizeFlushScheduled = false;
  #stopped = false;
  #chain: Promise<void> = Promise.resolve();
  flushes = 0;
  dropped = 0;

  /** A readonly store records nothing: its reads stay reads. */
  readonly #off: boolean;

  constructor(
    backend: StoreBackend,
    opts: {
      readonly flushInterval: number;
      readonly flushMaxEntries: number;
      readonly readonly: boolean;
    },
    onFlushed: (e: FlushEvent) => void,
    onError: (where: string, err: unknown) => void,
  ) {
    this.#backend = backend;
    this.#maxEntries = opts.flushMaxEntries;
    this.#onFlushed = onFlushed;
    this.#onError = onError;
    this.#off = opts.readonly;
    if (opts.flushInterval > 0 && !this.#off) {
      this.#timer = setInterval(() => {
        if (this.size > 0) void this.flush('interval');
      }, opts.flushInterval);
      this.#timer.unref();
    }
  }

  /** Records waiting to be written. */
  get size(): number {
    return this.#access.size + this.#log.size;
  }

  /** A read of an entry on disk. */
  read(ck: string, namespace: string, key: string, now: number): void {
    if (this.#off) return;
    const rec = this.#access.get(ck);
    if (rec !== undefined) {
      rec.count++;
      if (now > rec.last) rec.last = now;
      return;
    }
    this.#access.set(ck, { namespace, key, count: 1, last: now });
    this.#maybeFlush();
  }

  /** Reads of `ck` not written yet. */
  pending(ck: string): { count: number; last: number } | undefined {
    return this.#access.get(ck);
  }

  /**
   * A row of the access log. `agent_memory`'s primary key is (agent, key, millisecond): a second
   * access by the same agent to the same key in the same millisecond is not a second row.
   */
  log(rec: AccessLogRecord): void {
    if (this.#off) return;
    const id = `${rec.agentId}\0${rec.memoryKey}\0${rec.timestamp}`;
    if (this.#log.has(id)) return;
    this.#log.set(id, rec);
    this.#maybeFlush();
  }

  #maybeFlush(): void {
    if (this.#sizeFlushScheduled || this.size < this.#maxEntries) return;
    this.#sizeFlushScheduled = true;
    setImmediate(() => {
      this.#sizeFlushScheduled = false;
      if (!this.#stopped) void this.flush('size');
    }).unref();
  }

  /** Writes what is buffered now; flushes run one after another. Never rejects (errors are reported). */
  flush(reason: FlushEvent['reason']): Promise<void> {
    this.#chain = this.#chain.then(() => this.#flushNow(reason));
    return this.#chain;
  }

  async #flushNow(reason: FlushEvent['reason']): Promise<void> {
    if (this.size === 0) return;
    const access = [...this.#access.values()];
    const log = [...this.#log.values()];
    this.#access = new Map();
    this.#log = new Map();
    const started = performance.now();
    let written = 0;
    // Each database in its own transaction: what one of them committed is never written twice.
    if (access.length > 0) {
      try {
        await this.#backend.recordAccess(access);
        written++;
      } catch (err) {
        this.#onError('flush', err);
        this.#keep(access, []);
      }
    }
    if (log.length > 0) {
      try {
        await this.#backend.appendLog(log);
        written++;
      } catch (err) {
        this.#onError('flush', err);
        this.#keep([], log);
      }
    }
    if (written > 0) {
      this.flushes++;
      this.#onFlushed({
        accessRecords: access.length,
        logRecords: log.length,
        reason,
        durationMs: performance.now() - started,
      });
    }
  }

  /**
   * Puts records that could not be written back for the next flush, unless the buffer is full
   * again: a database that keeps failing must not make the buffer grow without bound.
   */
  #keep(access: readonly AccessRecord[], log: readonly AccessLogRecord[]): void {
    if (this.size + access.length + log.length > this.#maxEntries * 2) {
      this.dropped += access.length + log.length;
      return;
    }
    for (const a of access) {
      const ck = `${a.namespace}\0${a.key}`;
      const cur = this.#access.get(ck);
      if (cur === undefined) this.#access.set(ck, a);
      else {
        cur.count += a.count;
        cur.last = Math.max(cur.last, a.last);
      }
    }
    for (const r of log) this.#log.set(`${r.agentId}\0${r.memoryKey}\0${r.timestamp}`, r);
  }

  /** Stops the timer (the owner flushes one last time itself). */
  stop(): void {
    this.#stopped = true;
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
