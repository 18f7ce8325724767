import type { PoolContext } from './context.js';
import { fromSqliteError, HiveDbError, isBusyError, isUnwellError } from './errors.js';
import {
  emitOffloadAcquireTimeout,
  emitOffloadQuery,
  emitOffloadRetry,
  type OffloadStats,
} from './offload-events.js';
import {
  fromWireError,
  REPLY_ERROR,
  REPLY_OK_BLOBS,
  REPLY_STRIDE,
  restoreBuffers,
  type WireError,
} from './offload-protocol.js';
import { type OffloadRequest, type OffloadSlot, SqlNumbers } from './offload-slot.js';
import type { WorkerProbe } from './offload-probe.js';
import { OffloadWorkers } from './offload-workers.js';
import { backoffDelay, mayRetry } from './retry.js';
import type { Op } from './statement.js';
import type { BindParams } from './types.js';

/**
 * The offload lane: up to `max` worker threads, each owning one read connection, that run
 * `{ offload: true }` statements so that a long query blocks a worker instead of the event loop.
 *
 * Requests wait in one FIFO queue and are handed, one at a time, to the least-loaded worker
 * (workers that have been silent for a few ms while holding work, that is, are inside a long
 * statement, come last); all that one worker gets in a tick travels as one message. Workers
 * start on demand and are replaced when they crash (`OffloadWorkers` supervises them): every
 * request in flight on a worker that ends is rejected with POOL_WORKER_CRASHED, never left
 * waiting. A worker holds the process open only while it has work.
 */
export class OffloadLane {
  readonly #ctx: PoolContext;
  readonly #workers: OffloadWorkers;
  /** The workers' array, shared with `#workers` (which adds and removes them). */
  readonly #slots: OffloadSlot[];
  readonly #queue: OffloadRequest[] = [];
  readonly #idleWaiters: Array<() => void> = [];
  #pumpScheduled = false;
  #closed = false;
  #inFlight = 0;
  #retrying = 0;
  #nextId = 1;
  readonly #sqlNumbers = new SqlNumbers();
  #requests = 0;
  readonly #pump = () => {
    this.#pumpScheduled = false;
    this.#dispatch();
  };

  constructor(ctx: PoolContext, max: number) {
    this.#ctx = ctx;
    this.#workers = new OffloadWorkers(ctx, max, {
      isClosed: () => this.#closed,
      answers: (slot, r) => this.#onAnswers(slot, r),
      reject: (lost, err) => this.#rejectLost(lost, err),
      fail: (lost, err, connectionId) => {
        this.#inFlight -= lost.length;
        for (const req of lost) this.#fail(req, err, connectionId, 0);
      },
      failQueued: (err, connectionId) => {
        for (const req of this.#queue.splice(0)) this.#fail(req, err, connectionId, 0);
      },
      send: (slot, req) => {
        slot.assign(req, performance.now());
        this.#inFlight++;
        slot.post(this.#sqlNumbers); // a probe has no parameters: it cannot be refused
      },
      nextId: () => this.#nextId++,
      exited: () => {
        if (this.#queue.length > 0 && !this.#closed) this.#dispatch();
        this.#wakeIdle();
      },
    });
    this.#slots = this.#workers.slots;
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
    return this.#workers.open;
  }

  stats(): OffloadStats {
    let busy = 0;
    for (const s of this.#slots) if (s.pending.size > 0) busy++;
    return {
      max: this.#workers.max,
      workers: this.#slots.length,
      busy,
      inFlight: this.#inFlight,
      queued: this.#queue.length,
      requests: this.#requests,
      crashes: this.#workers.crashes,
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
   * (at its deadline at the latest), and keeps the process alive until then (`OffloadSlot.stop`).
   */
  async close(err: HiveDbError, waitMs: number): Promise<void> {
    this.#closed = true;
    for (const req of this.#queue.splice(0)) req.reject(err);
    for (const slot of this.#slots) this.#rejectLost(slot.takeAll(), err);
    this.#wakeIdle();
    await this.#workers.stopAll(waitMs);
  }

  /** For the health check: probes every idle worker (see `OffloadWorkers.probeIdle`). */
  probeIdle(timeoutMs: number): Promise<WorkerProbe[]> {
    return this.#workers.probeIdle(timeoutMs);
  }

  #enqueue(req: OffloadRequest): void {
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
      let slot = this.#workers.pick(now);
      if ((slot === undefined || slot.pending.size > 0) && this.#slots.length < this.#workers.max) {
        try {
          slot = this.#workers.spawn('demand');
        } catch (err) {
          for (const req of queue.splice(taken)) req.reject(err);
          break;
        }
      }
      if (slot === undefined) break;
      slot.assign(queue[taken++]!, now);
      this.#inFlight++;
    }
    queue.splice(0, taken);
    for (const slot of this.#slots) {
      if (!slot.hasOutbox) continue;
      for (const [req, err] of slot.post(this.#sqlNumbers)) {
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
    this.#wakeIdle();
  }

  #onAnswers(slot: OffloadSlot, r: unknown[]): void {
    for (let i = 0; i < r.length; i += REPLY_STRIDE) {
      const req = slot.pending.get(r[i] as number);
      if (req === undefined) continue;
      slot.pending.delete(req.id);
      this.#inFlight--;
      const status = r[i + 1] as number;
      const ms = (r[i + 3] as number) / 1000;
      if (req.probe === true) {
        slot.probing = false;
        if (status === REPLY_ERROR) req.reject(fromWireError(r[i + 2] as WireError));
        else req.resolve(undefined);
      } else if (status === REPLY_ERROR)
        this.#onError(slot, req, fromWireError(r[i + 2] as WireError), ms);
      else
        this.#succeed(
          req,
          status === REPLY_OK_BLOBS ? restoreBuffers(r[i + 2]) : r[i + 2],
          slot,
          ms,
        );
    }
    this.#afterAnswers(slot);
  }

  #afterAnswers(slot: OffloadSlot): void {
    slot.idleCheck();
    if (slot.pending.size === 0 && slot.retiring) void slot.stop();
    if (this.#queue.length > 0) this.#dispatch();
    this.#wakeIdle();
  }

  #succeed(req: OffloadRequest, value: unknown, slot: OffloadSlot, ms: number): void {
    const ctx = this.#ctx;
    ctx.counters.queries++;
    this.#requests++;
    ctx.breaker.success();
    if (ctx.meter.on) emitOffloadQuery(ctx, req, slot.connectionId, ms, value);
    req.resolve(value);
  }

  #onError(slot: OffloadSlot, req: OffloadRequest, err: Error, ms: number): void {
    const ctx = this.#ctx;
    if (isBusyError(err) && !this.#closed) {
      if (mayRetry(req.attempts, req.firstAt, ctx.opts.retry)) {
        this.#retry(req, err);
        return;
      }
    }
    if (isHive(err, 'POOL_ACQUIRE_TIMEOUT')) emitOffloadAcquireTimeout(ctx);
    if (isUnwellError(err) && !slot.retiring) {
      // The connection may be what is unwell: this worker takes no more work and is replaced.
      slot.retiring = true;
    }
    this.#fail(req, err, slot.connectionId, ms);
  }

  #fail(req: OffloadRequest, err: unknown, connectionId: number, ms: number): void {
    if (req.probe === true) {
      req.reject(err); // a probe lost with its worker: the health check reports it
      return;
    }
    const ctx = this.#ctx;
    ctx.counters.queries++;
    ctx.counters.errors++;
    this.#requests++;
    ctx.breaker.failure(err);
    if (ctx.meter.on) emitOffloadQuery(ctx, req, connectionId, ms, undefined, err);
    req.reject(err instanceof HiveDbError ? err : fromSqliteError(err));
  }

  /** Another connection holds a lock the read needs (a WAL recovery): queue it again after a backoff. */
  #retry(req: OffloadRequest, err: unknown): void {
    const ctx = this.#ctx;
    const delay = backoffDelay(req.attempts, ctx.opts.retry);
    emitOffloadRetry(ctx, req, delay, err);
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

  /** Rejects requests taken out of a worker, uncounted (the pool closes, or the worker never opened). */
  #rejectLost(lost: readonly OffloadRequest[], err: unknown): void {
    this.#inFlight -= lost.length;
    for (const req of lost) req.reject(err);
  }

  #wakeIdle(): void {
    if (this.#idleWaiters.length > 0 && this.idle) for (const w of this.#idleWaiters.splice(0)) w();
  }
}

function isHive(err: unknown, code: string): boolean {
  return err instanceof HiveDbError && err.code === code;
}
