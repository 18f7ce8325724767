import { Worker } from 'node:worker_threads';
import {
  type BatchMessage,
  MAX_INTERNED_SQL,
  REQUEST_STRIDE,
  type WorkerInit,
  type WorkerMessage,
} from './offload-protocol.js';
import type { Op } from './statement.js';
import type { BindParams } from './types.js';

/** One offloaded statement, from `submit` until it settles. */
export interface OffloadRequest {
  readonly id: number;
  readonly op: Op;
  readonly sql: string;
  readonly params: BindParams | undefined;
  readonly timeoutMs: number;
  readonly resolve: (value: unknown) => void;
  readonly reject: (err: unknown) => void;
  /** `Date.now()` when it was queued (the worker refuses it past `connectionTimeout`). */
  enqueuedAt: number;
  /** When the first attempt was queued, and attempts so far (retries on SQLITE_BUSY). */
  readonly firstAt: number;
  attempts: number;
  /** A health probe (`OffloadLane.probeIdle`): settles without counting, events or retries. */
  readonly probe?: true;
}

/** A worker that has held work this long without answering is probably in a long statement. */
const STALL_MS = 5;

/**
 * Numbers for SQL texts, shared by a lane's workers: a text travels whole once per worker, then
 * as its number. At most MAX_INTERNED_SQL texts get one.
 */
export class SqlNumbers {
  readonly #numbers = new Map<string, number>();

  /** The text's number, or undefined when the table is full. */
  of(sql: string): number | undefined {
    let n = this.#numbers.get(sql);
    if (n === undefined && this.#numbers.size < MAX_INTERNED_SQL) {
      n = this.#numbers.size + 1;
      this.#numbers.set(sql, n);
    }
    return n;
  }
}

/** What the lane hears from a worker thread. */
export interface SlotListener {
  message(slot: OffloadSlot, msg: WorkerMessage): void;
  exit(slot: OffloadSlot, code: number): void;
}

/**
 * One offload worker thread as the lane sees it: the requests in flight on it, those assigned
 * since its last message (posted together), which SQL numbers it knows, and its lifecycle
 * (starting, ready, stopping, exited). The thread holds the process open only while it has work.
 */
export class OffloadSlot {
  readonly worker: Worker;
  readonly connectionId: number;
  readonly reason: 'demand' | 'replace';
  readonly spawnedAt = performance.now();
  readonly createdAt = Date.now();
  /** In flight: posted (or about to be) and not answered. */
  readonly pending = new Map<number, OffloadRequest>();
  /** The error the thread ended with (`'error'` comes before `'exit'`). */
  failure: unknown;
  /** The worker's connection is open (it said `ready`). */
  ready = false;
  /** The pool ended it (close, a failed open, a retired connection): its exit is no crash. */
  stopping = false;
  /** Takes no new work; stopped once its requests are answered (its connection is unwell). */
  retiring = false;
  /** A health probe is in flight on it: it takes no other work until the probe is answered. */
  probing = false;
  /** It failed a health probe and was terminated: its exit is reported with reason `'failed'`. */
  failedProbe = false;
  /** Resolves when the thread has exited. */
  readonly exited: Promise<void>;
  #outbox: OffloadRequest[] = [];
  /** Shared with the thread: 1 asks it to run nothing more and end itself (see `stop()`). */
  readonly #stopFlag = new Int32Array(new SharedArrayBuffer(4));
  readonly #knownSql = new Set<number>();
  #referenced = true;
  /** `performance.now()` when it last answered, or took work while idle. */
  #lastProgress = performance.now();

  constructor(
    file: string,
    init: Omit<WorkerInit, 'stop'>,
    reason: 'demand' | 'replace',
    heapLimitMb: number,
    listener: SlotListener,
  ) {
    this.connectionId = init.connectionId;
    this.reason = reason;
    this.worker = new Worker(file, {
      workerData: { ...init, stop: this.#stopFlag } satisfies WorkerInit,
      ...(heapLimitMb > 0 ? { resourceLimits: { maxOldGenerationSizeMb: heapLimitMb } } : {}),
    });
    let exited!: () => void;
    this.exited = new Promise<void>((resolve) => {
      exited = resolve;
    });
    this.worker.on('message', (msg: WorkerMessage) => {
      if (msg.t === 'done') this.#lastProgress = performance.now();
      listener.message(this, msg);
    });
    this.worker.on('error', (err) => {
      this.failure ??= err;
    });
    this.worker.on('messageerror', (err) => {
      this.failure ??= err;
      void this.worker.terminate();
    });
    this.worker.on('exit', (code) => {
      listener.exit(this, code);
      exited();
    });
  }

  /** Whether it can take another request (at most `maxInFlight` at a time). */
  accepts(maxInFlight: number): boolean {
    return !this.retiring && !this.stopping && !this.probing && this.pending.size < maxInFlight;
  }

  /** Whether it has held work for more than STALL_MS without answering. */
  stalled(now: number): boolean {
    return this.pending.size > 0 && now - this.#lastProgress > STALL_MS;
  }

  /** Takes a request; it is posted with the others at the next `post`. */
  assign(req: OffloadRequest, now: number): void {
    if (this.pending.size === 0) this.#lastProgress = now;
    this.pending.set(req.id, req);
    this.#outbox.push(req);
  }

  get hasOutbox(): boolean {
    return this.#outbox.length > 0;
  }

  /**
   * Posts what was assigned since the last post as one message. Returns the requests that could
   * not be sent (parameters a thread cannot receive: a function, a symbol…) with the reason;
   * they are no longer pending. The others are sent.
   */
  post(numbers: SqlNumbers): Array<[OffloadRequest, unknown]> {
    const batch = this.#outbox;
    this.#outbox = [];
    if (!this.#referenced) {
      // While it has work, the thread keeps the process alive: its caller awaits the answer.
      this.worker.ref();
      this.#referenced = true;
    }
    try {
      this.worker.postMessage(this.#encode(batch, numbers));
      return [];
    } catch {
      // The numbers the lost message would have taught the worker are taught again.
      this.#knownSql.clear();
    }
    const unsent: Array<[OffloadRequest, unknown]> = [];
    for (const req of batch) {
      try {
        this.worker.postMessage(this.#encode([req], numbers));
      } catch (err) {
        this.#knownSql.clear();
        this.pending.delete(req.id);
        unsent.push([req, err]);
      }
    }
    this.idleCheck();
    return unsent;
  }

  /** Call when requests left `pending`: a thread with nothing in flight lets the process exit. */
  idleCheck(): void {
    if (this.pending.size === 0 && this.#referenced && !this.stopping) {
      this.worker.unref();
      this.#referenced = false;
    }
  }

  /** Takes every request in flight out (to be failed by the caller). */
  takeAll(): OffloadRequest[] {
    const all = [...this.pending.values()];
    this.pending.clear();
    this.#outbox = [];
    return all;
  }

  /**
   * Ends the thread: it runs no further statement, closes its connection and exits by itself,
   * at once when idle, or when its current statement returns (at its deadline at the latest).
   * Never `terminate()`: a statement that ends in a thread being terminated aborts the whole
   * process (better-sqlite3 cannot build its result or error there). Until it has exited the
   * thread keeps the process alive, so that a process never exits with a thread inside SQLite.
   */
  stop(): Promise<void> {
    if (!this.stopping) {
      this.stopping = true;
      Atomics.store(this.#stopFlag, 0, 1);
      if (!this.#referenced) {
        this.worker.ref();
        this.#referenced = true;
      }
      try {
        // Wakes an idle thread (an empty batch); a busy one sees the flag between statements.
        this.worker.postMessage({ at: Date.now(), r: [] } satisfies BatchMessage);
      } catch {
        // Its port is gone: the thread is ending already.
      }
    }
    return this.exited;
  }

  #encode(batch: readonly OffloadRequest[], numbers: SqlNumbers): BatchMessage {
    const at = Date.now();
    const r = new Array<unknown>(batch.length * REQUEST_STRIDE);
    let j = 0;
    for (const req of batch) {
      r[j++] = req.id;
      r[j++] = req.op === 'get' ? 0 : req.op === 'all' ? 1 : 2;
      r[j++] = this.#sqlRef(req.sql, numbers);
      r[j++] = req.params;
      r[j++] = req.timeoutMs;
      r[j++] = Math.max(0, at - req.enqueuedAt);
    }
    return { at, r };
  }

  /** The SQL as it travels: a number the worker knows, `[n, text]` the first time, or the text. */
  #sqlRef(sql: string, numbers: SqlNumbers): unknown {
    const n = numbers.of(sql);
    if (n === undefined) return sql;
    if (this.#knownSql.has(n)) return n;
    this.#knownSql.add(n);
    return [n, sql];
  }
}
