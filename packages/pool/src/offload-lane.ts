import { Worker } from 'node:worker_threads';
import { type PoolContext, paramCount } from './context.js';
import {
  fromSqliteError,
  HiveDbError,
  isBusyError,
  isUnwellError,
  sqliteCodeOf,
} from './errors.js';
import {
  type BatchMessage,
  fromWireError,
  MAX_INTERNED_SQL,
  OFFLOAD_PROTOCOL,
  REPLY_ERROR,
  REPLY_OK_BLOBS,
  REPLY_STRIDE,
  REQUEST_STRIDE,
  type WireError,
  type WorkerInit,
  type WorkerMessage,
} from './offload-protocol.js';
import { offloadWorkerFile } from './offload-worker-file.js';
import { errorInfo } from './pool-context.js';
import { backoffDelay, mayRetry } from './retry.js';
import { type Op, rowsOf } from './statement.js';
import type { BindParams } from './types.js';

interface Request {
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
}

interface Slot {
  readonly worker: Worker;
  readonly connectionId: number;
  readonly spawnedAt: number;
  readonly createdAt: number;
  readonly reason: 'demand' | 'replace';
  readonly pending: Map<number, Request>;
  outbox: Request[];
  /** Numbers of the SQL texts this worker keeps. */
  readonly knownSql: Set<number>;
  /** The worker's connection is open (it said `ready`). */
  ready: boolean;
  /** The pool ended it (close, a failed open, a broken connection): its exit is no crash. */
  stopping: boolean;
  /** Takes no new work; stopped once its requests are answered (its connection failed). */
  retiring: boolean;
  referenced: boolean;
  /** `performance.now()` when it last answered, or took work while idle. */
  lastProgress: number;
  /** The error the thread ended with (`'error'` comes before `'exit'`). */
  failure: unknown;
  readonly exited: Promise<void>;
}

/** What `stats().offload` reports. */
export interface OffloadStats {
  readonly max: number;
  readonly workers: number;
  readonly busy: number;
  readonly inFlight: number;
  readonly queued: number;
  readonly requests: number;
  readonly crashes: number;
}

/** Most requests sent to one worker and not yet answered: more wait in the lane's queue. */
const MAX_IN_FLIGHT = 64;
/** A worker that has had work for this long without answering is probably in a long statement. */
const STALL_MS = 5;

/**
 * The offload lane: up to `max` worker threads, each owning one read connection, that run
 * `{ offload: true }` statements so that a long query blocks a worker instead of the event loop.
 *
 * Requests wait in one FIFO queue and are handed, one at a time, to the least-loaded worker
 * (workers that have been silent while holding work for more than STALL_MS, that is, are
 * inside a long statement, come last); all that one worker gets in a tick travels as one
 * message. Workers start on demand and are replaced when they crash: every request in flight
 * on a worker that ends is rejected with POOL_WORKER_CRASHED, never left waiting. A worker
 * holds the process open only while it has work.
 */
export class OffloadLane {
  readonly #ctx: PoolContext;
  readonly #max: number;
  readonly #slots: Slot[] = [];
  readonly #queue: Request[] = [];
  readonly #idleWaiters: Array<() => void> = [];
  #pumpScheduled = false;
  #closed = false;
  #inFlight = 0;
  #retrying = 0;
  #nextId = 1;
  /** SQL texts sent by number (at most MAX_INTERNED_SQL). */
  readonly #sqlIds = new Map<string, number>();
  #requests = 0;
  #crashes = 0;
  readonly #pump = () => {
    this.#pumpScheduled = false;
    this.#dispatch();
  };

  constructor(ctx: PoolContext, max: number) {
    this.#ctx = ctx;
    this.#max = max;
  }

  /** Queues one statement for a worker; settles with its value or its error. */
  submit(op: Op, sql: string, params: BindParams | undefined, timeoutMs: number): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const now = Date.now();
      this.#enqueue({
        id: this.#nextId++,
        op,
        sql,
        params,
        timeoutMs,
        resolve,
        reject,
        enqueuedAt: now,
        firstAt: now,
        attempts: 1,
      });
    });
  }

  /** Nothing queued, in flight, or waiting to be retried. */
  get idle(): boolean {
    return this.#queue.length === 0 && this.#inFlight === 0 && this.#retrying === 0;
  }

  /** Worker connections open now. */
  get open(): number {
    let n = 0;
    for (const s of this.#slots) if (s.ready) n++;
    return n;
  }

  stats(): OffloadStats {
    let busy = 0;
    for (const s of this.#slots) if (s.pending.size > 0) busy++;
    return {
      max: this.#max,
      workers: this.#slots.length,
      busy,
      inFlight: this.#inFlight,
      queued: this.#queue.length,
      requests: this.#requests,
      crashes: this.#crashes,
    };
  }

  /** Resolves when the lane is idle (for `close()`). */
  whenIdle(): Promise<void> {
    if (this.idle) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /**
   * Rejects everything queued or in flight with `err`, stops every worker, and waits up to
   * `waitMs` for the threads to end. A thread inside a statement ends when the statement does
   * (at its deadline at the latest): `terminate()` cannot stop SQLite.
   */
  async close(err: HiveDbError, waitMs: number): Promise<void> {
    this.#closed = true;
    for (const req of this.#queue.splice(0)) req.reject(err);
    const exits: Promise<void>[] = [];
    for (const slot of [...this.#slots]) {
      this.#rejectPending(slot, err);
      exits.push(this.#stop(slot));
    }
    this.#wakeIdle();
    if (exits.length === 0) return;
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, waitMs);
      timer.unref();
    });
    await Promise.race([Promise.all(exits), bound]);
    clearTimeout(timer);
  }

  #enqueue(req: Request): void {
    if (this.#closed) {
      req.reject(new HiveDbError('POOL_CLOSED', `the pool for ${this.#ctx.filename} is closed`));
      return;
    }
    this.#queue.push(req);
    if (!this.#pumpScheduled) {
      this.#pumpScheduled = true;
      // A microtask: statements issued in the same tick travel to a worker as one message.
      queueMicrotask(this.#pump);
    }
  }

  /** Hands queued requests to workers, one at a time to the least loaded, and posts the batches. */
  #dispatch(): void {
    const queue = this.#queue;
    if (queue.length === 0 || this.#closed) return;
    const now = performance.now();
    let taken = 0;
    while (taken < queue.length) {
      let slot = this.#pick(now);
      if ((slot === undefined || slot.pending.size > 0) && this.#slots.length < this.#max) {
        let fresh: Slot;
        try {
          fresh = this.#spawn('demand');
        } catch (err) {
          for (const req of queue.splice(taken)) req.reject(err);
          break;
        }
        slot = fresh;
      }
      if (slot === undefined) break;
      const req = queue[taken++]!;
      if (slot.pending.size === 0) slot.lastProgress = now;
      slot.pending.set(req.id, req);
      slot.outbox.push(req);
      this.#inFlight++;
    }
    queue.splice(0, taken);
    for (const slot of this.#slots) if (slot.outbox.length > 0) this.#post(slot);
  }

  /** The worker to give the next request to: not stalled first, then the fewest in flight. */
  #pick(now: number): Slot | undefined {
    let best: Slot | undefined;
    let bestStalled = true;
    for (const slot of this.#slots) {
      if (slot.retiring || slot.stopping || slot.pending.size >= MAX_IN_FLIGHT) continue;
      const stalled = slot.pending.size > 0 && now - slot.lastProgress > STALL_MS;
      if (
        best === undefined ||
        (bestStalled && !stalled) ||
        (bestStalled === stalled && slot.pending.size < best.pending.size)
      ) {
        best = slot;
        bestStalled = stalled;
      }
    }
    return best;
  }

  #post(slot: Slot): void {
    const batch = slot.outbox;
    slot.outbox = [];
    if (!slot.referenced) {
      // While it has work, the worker keeps the process alive: its caller awaits the answer.
      slot.worker.ref();
      slot.referenced = true;
    }
    try {
      slot.worker.postMessage(this.#encode(batch, slot));
    } catch {
      // One request's parameters cannot be sent to a thread (a function, a symbol…): send the
      // others, and fail that one alone, as binding it would have failed. The SQL numbers the
      // failed message would have taught the worker are taught again.
      slot.knownSql.clear();
      for (const req of batch) {
        try {
          slot.worker.postMessage(this.#encode([req], slot));
        } catch (err) {
          slot.knownSql.clear();
          slot.pending.delete(req.id);
          this.#inFlight--;
          this.#fail(
            req,
            new HiveDbError(
              'POOL_INVALID_ARGUMENT',
              `params cannot be sent to an offload worker: ${err instanceof Error ? err.message : String(err)}`,
              { cause: err },
            ),
            slot.connectionId,
            0,
          );
        }
      }
      if (slot.pending.size === 0) {
        slot.worker.unref();
        slot.referenced = false;
      }
      this.#wakeIdle();
    }
  }

  #encode(batch: readonly Request[], slot: Slot): BatchMessage {
    const at = Date.now();
    const r = new Array<unknown>(batch.length * REQUEST_STRIDE);
    let j = 0;
    for (const req of batch) {
      r[j++] = req.id;
      r[j++] = req.op === 'get' ? 0 : req.op === 'all' ? 1 : 2;
      r[j++] = this.#sqlRef(req.sql, slot);
      r[j++] = req.params;
      r[j++] = req.timeoutMs;
      r[j++] = Math.max(0, at - req.enqueuedAt);
    }
    return { at, r };
  }

  /** The SQL as it travels to `slot`: a number the worker knows, `[n, text]` the first time, or the text. */
  #sqlRef(sql: string, slot: Slot): unknown {
    let n = this.#sqlIds.get(sql);
    if (n === undefined) {
      if (this.#sqlIds.size >= MAX_INTERNED_SQL) return sql;
      n = this.#sqlIds.size + 1;
      this.#sqlIds.set(sql, n);
    }
    if (slot.knownSql.has(n)) return n;
    slot.knownSql.add(n);
    return [n, sql];
  }

  #spawn(reason: 'demand' | 'replace'): Slot {
    const file = offloadWorkerFile();
    const connectionId = this.#ctx.allocateConnectionId();
    const init: WorkerInit = {
      protocol: OFFLOAD_PROTOCOL,
      filename: this.#ctx.filename,
      connectionId,
      opts: this.#ctx.opts,
    };
    const heap = this.#ctx.opts.offloadHeapLimitMb;
    const worker = new Worker(file, {
      workerData: init,
      ...(heap > 0 ? { resourceLimits: { maxOldGenerationSizeMb: heap } } : {}),
    });
    let exited!: () => void;
    const slot: Slot = {
      worker,
      connectionId,
      spawnedAt: performance.now(),
      createdAt: Date.now(),
      reason,
      pending: new Map(),
      outbox: [],
      knownSql: new Set(),
      ready: false,
      stopping: false,
      retiring: false,
      referenced: true,
      lastProgress: performance.now(),
      failure: undefined,
      exited: new Promise<void>((resolve) => {
        exited = resolve;
      }),
    };
    worker.on('message', (msg: WorkerMessage) => this.#onMessage(slot, msg));
    worker.on('error', (err) => {
      slot.failure ??= err;
    });
    worker.on('messageerror', (err) => {
      slot.failure ??= err;
      void worker.terminate();
    });
    worker.on('exit', (code) => {
      this.#onExit(slot, code);
      exited();
    });
    this.#slots.push(slot);
    return slot;
  }

  #onMessage(slot: Slot, msg: WorkerMessage): void {
    if (msg.t === 'done') {
      this.#onAnswers(slot, msg.r);
      return;
    }
    if (msg.t === 'ready') {
      if (msg.protocol !== OFFLOAD_PROTOCOL) {
        this.#openFailed(
          slot,
          new HiveDbError(
            'POOL_OPEN_FAILED',
            `the offload worker's script is a stale build (protocol ${msg.protocol}, expected ${OFFLOAD_PROTOCOL}): rebuild @hivedb/pool`,
          ),
        );
        return;
      }
      slot.ready = true;
      const ctx = this.#ctx;
      ctx.counters.connectionsOpened++;
      if (ctx.events.listening('connection:open'))
        ctx.events.emit('connection:open', {
          poolId: ctx.id,
          connectionId: slot.connectionId,
          role: 'worker',
          reason: slot.reason,
          durationMs: performance.now() - slot.spawnedAt,
        });
      return;
    }
    this.#openFailed(slot, fromWireError(msg.error));
  }

  /** The worker could not open its connection: its requests fail with the reason; not a crash. */
  #openFailed(slot: Slot, err: Error): void {
    const ctx = this.#ctx;
    ctx.breaker.failure(err);
    if (ctx.events.listening('connection:error'))
      ctx.events.emit('connection:error', {
        poolId: ctx.id,
        role: 'worker',
        error: errorInfo(err),
      });
    this.#rejectPending(slot, err);
    void this.#stop(slot);
  }

  #onAnswers(slot: Slot, r: unknown[]): void {
    slot.lastProgress = performance.now();
    for (let i = 0; i < r.length; i += REPLY_STRIDE) {
      const req = slot.pending.get(r[i] as number);
      if (req === undefined) continue;
      slot.pending.delete(req.id);
      this.#inFlight--;
      const status = r[i + 1] as number;
      const ms = (r[i + 3] as number) / 1000;
      if (status === REPLY_ERROR)
        this.#onError(slot, req, fromWireError(r[i + 2] as WireError), ms);
      else this.#succeed(req, status === REPLY_OK_BLOBS ? toBuffers(r[i + 2]) : r[i + 2], slot, ms);
    }
    this.#afterAnswers(slot);
  }

  #afterAnswers(slot: Slot): void {
    if (slot.pending.size === 0) {
      if (slot.referenced) {
        slot.worker.unref();
        slot.referenced = false;
      }
      if (slot.retiring) void this.#stop(slot);
    }
    if (this.#queue.length > 0) this.#dispatch();
    this.#wakeIdle();
  }

  #succeed(req: Request, value: unknown, slot: Slot, ms: number): void {
    const ctx = this.#ctx;
    ctx.counters.queries++;
    this.#requests++;
    ctx.breaker.success();
    if (ctx.events.listening('query')) this.#emitQuery(req, slot.connectionId, ms, value);
    req.resolve(value);
  }

  #onError(slot: Slot, req: Request, err: Error, ms: number): void {
    const ctx = this.#ctx;
    if (isBusyError(err) && !this.#closed) {
      if (mayRetry(req.attempts, req.firstAt, ctx.opts.retry)) {
        this.#retry(req, err);
        return;
      }
    }
    if (isHive(err, 'POOL_ACQUIRE_TIMEOUT')) ctx.counters.acquireTimeouts++;
    if (isUnwellError(err) && !slot.retiring) {
      // The connection may be what is unwell: this worker takes no more work and is replaced.
      slot.retiring = true;
    }
    this.#fail(req, err, slot.connectionId, ms);
  }

  #fail(req: Request, err: unknown, connectionId: number, ms: number): void {
    const ctx = this.#ctx;
    ctx.counters.queries++;
    ctx.counters.errors++;
    this.#requests++;
    ctx.breaker.failure(err);
    if (ctx.events.listening('query')) this.#emitQuery(req, connectionId, ms, undefined, err);
    req.reject(err instanceof HiveDbError ? err : fromSqliteError(err));
  }

  /** Another connection holds a lock the read needs (a WAL recovery): queue it again after a backoff. */
  #retry(req: Request, err: unknown): void {
    const ctx = this.#ctx;
    const delay = backoffDelay(req.attempts, ctx.opts.retry);
    ctx.counters.retries++;
    if (ctx.events.listening('retry'))
      ctx.events.emit('retry', {
        poolId: ctx.id,
        attempt: req.attempts,
        delayMs: delay,
        elapsedMs: Date.now() - req.firstAt,
        sqliteCode: sqliteCodeOf(err) ?? 'SQLITE_BUSY',
        operation: 'read',
      });
    this.#retrying++;
    // Not unref'd: it bounds a wait that a caller awaits.
    setTimeout(() => {
      this.#retrying--;
      req.attempts++;
      req.enqueuedAt = Date.now();
      this.#enqueue(req);
      this.#wakeIdle();
    }, delay);
  }

  #emitQuery(
    req: Request,
    connectionId: number,
    durationMs: number,
    value: unknown,
    error?: unknown,
  ): void {
    const ctx = this.#ctx;
    ctx.events.emit('query', {
      poolId: ctx.id,
      filename: ctx.filename,
      sql: req.sql,
      paramCount: paramCount(req.params),
      durationMs,
      rows: error === undefined ? rowsOf(req.op, value) : 0,
      kind: 'read',
      cacheHit: false,
      connectionId,
      offloaded: true,
      ...(error === undefined ? {} : { error: errorInfo(error) }),
    });
  }

  #rejectPending(slot: Slot, err: unknown): void {
    for (const req of slot.pending.values()) req.reject(err);
    this.#inFlight -= slot.pending.size;
    slot.pending.clear();
    slot.outbox = [];
  }

  #stop(slot: Slot): Promise<void> {
    if (!slot.stopping) {
      slot.stopping = true;
      slot.worker.unref();
      slot.referenced = false;
      void slot.worker.terminate();
    }
    return slot.exited;
  }

  #onExit(slot: Slot, code: number): void {
    const at = this.#slots.indexOf(slot);
    if (at >= 0) this.#slots.splice(at, 1);
    const ctx = this.#ctx;
    const crashed = !slot.stopping;
    if (slot.ready) {
      ctx.counters.connectionsClosed++;
      if (ctx.events.listening('connection:close'))
        ctx.events.emit('connection:close', {
          poolId: ctx.id,
          connectionId: slot.connectionId,
          role: 'worker',
          reason: crashed || slot.retiring ? 'failed' : 'close',
          ageMs: Date.now() - slot.createdAt,
        });
    }
    if (crashed) {
      this.#crashes++;
      const failure = slot.failure;
      const why =
        failure instanceof Error
          ? `ended with ${(failure as { code?: unknown }).code ?? failure.name}: ${failure.message}`
          : `exited with code ${code}`;
      const err = new HiveDbError(
        'POOL_WORKER_CRASHED',
        `offload worker (connection ${slot.connectionId}) ${why}; the ${slot.pending.size} statement(s) in flight on it did not complete`,
        { cause: failure, details: { connectionId: slot.connectionId, exitCode: code } },
      );
      const lost = [...slot.pending.values()];
      this.#inFlight -= lost.length;
      slot.pending.clear();
      for (const req of lost) this.#fail(req, err, slot.connectionId, 0);
      if (!slot.ready) {
        // It never started: a replacement would most likely end the same way. Fail what waits;
        // the next statement tries again.
        for (const req of this.#queue.splice(0)) this.#fail(req, err, slot.connectionId, 0);
      } else if (!this.#closed && this.#slots.length < this.#max) {
        try {
          const fresh = this.#spawn('replace');
          fresh.worker.unref();
          fresh.referenced = false;
        } catch (spawnErr) {
          ctx.reportError('offload worker replacement', spawnErr);
        }
      }
    }
    if (this.#queue.length > 0 && !this.#closed) this.#dispatch();
    this.#wakeIdle();
  }

  #wakeIdle(): void {
    if (this.#idleWaiters.length > 0 && this.idle) for (const w of this.#idleWaiters.splice(0)) w();
  }
}

function isHive(err: unknown, code: string): boolean {
  return err instanceof HiveDbError && err.code === code;
}

/** BLOBs arrive as Uint8Arrays; inline reads return Buffers. Same bytes, no copy. */
function toBuffers(value: unknown): unknown {
  if (Array.isArray(value)) for (const row of value) fixRow(row);
  else fixRow(value);
  return value;
}

function fixRow(row: unknown): void {
  if (row === null || typeof row !== 'object') return;
  const r = row as Record<string, unknown>;
  for (const key in r) {
    const v = r[key];
    if (v instanceof Uint8Array && !Buffer.isBuffer(v))
      r[key] = Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  }
}
