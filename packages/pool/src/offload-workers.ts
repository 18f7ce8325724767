import type { PoolContext } from './context.js';
import { HiveDbError } from './errors.js';
import { fromWireError, OFFLOAD_PROTOCOL, type WorkerMessage } from './offload-protocol.js';
import { probeOutcome, probeRequest, type WorkerProbe } from './offload-probe.js';
import { type OffloadRequest, OffloadSlot, type SlotListener } from './offload-slot.js';
import { workerFile } from './worker-file.js';
import { errorInfo } from './errors.js';

/** Most requests sent to one worker and not yet answered: more wait in the lane's queue. */
const MAX_IN_FLIGHT = 64;

/** What the workers' supervisor asks of the lane that dispatches to them. */
export interface OffloadWorkersHost {
  /** Whether the lane is closed (no worker is replaced then). */
  isClosed(): boolean;
  /** A worker answered requests (a `done` message: `[id, status, value, durationUs]…`). */
  answers(slot: OffloadSlot, r: unknown[]): void;
  /** Requests taken out of a worker that will not answer them: reject each with `err`, uncounted. */
  reject(lost: readonly OffloadRequest[], err: unknown): void;
  /** Requests lost with a crashed worker: fail each with `err` (counted as failed queries). */
  fail(lost: readonly OffloadRequest[], err: unknown, connectionId: number): void;
  /** A worker that never started crashed: fail what waits in the queue with `err`. */
  failQueued(err: unknown, connectionId: number): void;
  /** Sends one request to `slot` now, counted in flight (a health probe). */
  send(slot: OffloadSlot, req: OffloadRequest): void;
  /** A fresh request id. */
  nextId(): number;
  /** A worker ended or left service: queued work may go to the others, idle waiters may wake. */
  exited(): void;
}

/**
 * The offload lane's worker threads: starts them (on demand, or to replace one), hears when
 * they are ready or could not open their connection, and supervises their end. A worker that
 * ends unexpectedly is a crash: what was in flight on it fails with POOL_WORKER_CRASHED, it is
 * counted, and a ready one is replaced at once. The health check probes the idle ones. Which
 * worker takes the next request is decided here (`pick`); queueing and posting are the lane's.
 */
export class OffloadWorkers {
  readonly #ctx: PoolContext;
  readonly #host: OffloadWorkersHost;
  readonly max: number;
  /** The live workers, in start order (a worker leaves at its exit, or when it fails a probe). */
  readonly slots: OffloadSlot[] = [];
  #crashes = 0;
  readonly #listener: SlotListener = {
    message: (slot, msg) => this.#onMessage(slot, msg),
    exit: (slot, code) => this.#onExit(slot, code),
  };

  constructor(ctx: PoolContext, max: number, host: OffloadWorkersHost) {
    this.#ctx = ctx;
    this.max = max;
    this.#host = host;
  }

  /** Workers that ended unexpectedly. */
  get crashes(): number {
    return this.#crashes;
  }

  /** Worker connections open now. */
  get open(): number {
    let n = 0;
    for (const s of this.slots) if (s.ready) n++;
    return n;
  }

  /**
   * Stops every worker and waits up to `waitMs` for the threads to end (their requests must
   * have been taken out). A thread inside a statement ends when the statement does.
   */
  async stopAll(waitMs: number): Promise<void> {
    const exits = this.slots.map((slot) => slot.stop());
    if (exits.length === 0) return;
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, waitMs);
      timer.unref();
    });
    await Promise.race([Promise.all(exits), bound]);
    clearTimeout(timer);
  }

  /** Starts a worker thread; it opens its connection and says `ready`. Throws when its script is missing. */
  spawn(reason: 'demand' | 'replace'): OffloadSlot {
    const ctx = this.#ctx;
    const slot = new OffloadSlot(
      workerFile('offload-worker'),
      {
        filename: ctx.filename,
        connectionId: ctx.allocateConnectionId(),
        opts: ctx.opts,
      },
      reason,
      ctx.opts.offloadHeapLimitMb,
      this.#listener,
    );
    this.slots.push(slot);
    return slot;
  }

  /** The worker to give the next request to: not stalled first, then the fewest in flight. */
  pick(now: number): OffloadSlot | undefined {
    let best: OffloadSlot | undefined;
    let bestStalled = true;
    for (const slot of this.slots) {
      if (!slot.accepts(MAX_IN_FLIGHT)) continue;
      const stalled = slot.stalled(now);
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

  /**
   * For the health check: sends a trivial query to every worker that is ready and has nothing
   * in flight (a busy worker is proving itself already), then takes out of service each that
   * fails it or does not answer within `timeoutMs` (`replaceFailed`). A worker takes no other
   * work while its probe is in flight.
   */
  probeIdle(timeoutMs: number): Promise<WorkerProbe[]> {
    const probes: Promise<WorkerProbe>[] = [];
    for (const slot of this.slots) {
      if (slot.ready && slot.pending.size === 0 && slot.accepts(MAX_IN_FLIGHT))
        probes.push(this.#probe(slot, timeoutMs));
    }
    return Promise.all(probes);
  }

  async #probe(slot: OffloadSlot, timeoutMs: number): Promise<WorkerProbe> {
    const host = this.#host;
    const answer = new Promise<unknown>((resolve, reject) => {
      host.send(slot, probeRequest(host.nextId(), timeoutMs, { resolve, reject }));
    });
    slot.probing = true;
    const error = await probeOutcome(slot, answer, timeoutMs);
    const connectionId = slot.connectionId;
    if (error === undefined) return { connectionId, error, replaced: false };
    slot.probing = false;
    if (host.isClosed()) return { connectionId, error, replaced: false, replaceError: 'closing' };
    // A worker that ended meanwhile is replaced by the crash path, if it crashed.
    if (slot.stopping || !this.slots.includes(slot))
      return { connectionId, error, replaced: false };
    host.reject(slot.takeAll(), error);
    const replaceError = this.replaceFailed(slot);
    host.exited();
    return replaceError === undefined
      ? { connectionId, error, replaced: true }
      : { connectionId, error, replaced: false, replaceError };
  }

  /**
   * Takes a worker that failed its health probe out of service and starts its replacement
   * (it leaves `slots` at once, so the replacement fits in `max`), and stops it (`stop()`): one
   * that answered its probe with an error ends at once; one that did not answer is inside
   * SQLite, where nothing but its statement's end can free it, and ends when its probe returns
   * (at the probe's deadline at the latest). Its `connection:close` (reason `'failed'`) comes
   * when its thread has ended. Returns the error when no replacement could start.
   */
  replaceFailed(slot: OffloadSlot): unknown {
    const at = this.slots.indexOf(slot);
    if (at >= 0) this.slots.splice(at, 1);
    slot.failedProbe = true;
    slot.retiring = true;
    slot.idleCheck();
    void slot.stop();
    if (this.#host.isClosed() || this.slots.length >= this.max) return undefined;
    try {
      this.spawn('replace').idleCheck();
      return undefined;
    } catch (err) {
      this.#ctx.reportError('offload worker replacement', err);
      return err;
    }
  }

  #onMessage(slot: OffloadSlot, msg: WorkerMessage): void {
    if (msg.t === 'done') {
      this.#host.answers(slot, msg.r);
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
  #openFailed(slot: OffloadSlot, err: Error): void {
    const ctx = this.#ctx;
    ctx.breaker.failure(err);
    if (ctx.events.listening('connection:error'))
      ctx.events.emit('connection:error', {
        poolId: ctx.id,
        role: 'worker',
        error: errorInfo(err),
      });
    this.#host.reject(slot.takeAll(), err);
    void slot.stop();
  }

  #onExit(slot: OffloadSlot, code: number): void {
    const at = this.slots.indexOf(slot);
    if (at >= 0) this.slots.splice(at, 1);
    const ctx = this.#ctx;
    const crashed = !slot.stopping;
    if (slot.ready) {
      ctx.counters.connectionsClosed++;
      if (ctx.events.listening('connection:close'))
        ctx.events.emit('connection:close', {
          poolId: ctx.id,
          connectionId: slot.connectionId,
          role: 'worker',
          reason: crashed || slot.retiring || slot.failedProbe ? 'failed' : 'close',
          ageMs: Date.now() - slot.createdAt,
        });
    }
    if (crashed) {
      this.#crashes++;
      const err = crashError(slot, code);
      this.#host.fail(slot.takeAll(), err, slot.connectionId);
      if (!slot.ready) {
        // It never started: a replacement would most likely end the same way. Fail what waits;
        // the next statement tries again.
        this.#host.failQueued(err, slot.connectionId);
      } else if (!this.#host.isClosed() && this.slots.length < this.max) {
        try {
          this.spawn('replace').idleCheck();
        } catch (spawnErr) {
          ctx.reportError('offload worker replacement', spawnErr);
        }
      }
    }
    this.#host.exited();
  }
}

/** POOL_WORKER_CRASHED for a thread that ended unexpectedly, naming why and what it took with it. */
function crashError(slot: OffloadSlot, code: number): HiveDbError {
  const failure = slot.failure;
  const why =
    failure instanceof Error
      ? `ended with ${(failure as { code?: unknown }).code ?? failure.name}: ${failure.message}`
      : `exited with code ${code}`;
  return new HiveDbError(
    'POOL_WORKER_CRASHED',
    `offload worker (connection ${slot.connectionId}) ${why}; the ${slot.pending.size} statement(s) in flight on it did not complete`,
    { cause: failure, details: { connectionId: slot.connectionId, exitCode: code } },
  );
}
