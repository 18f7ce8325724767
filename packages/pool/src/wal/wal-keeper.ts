import type { PoolContext } from '../context.js';
import type { WalStats } from '../types.js';
import type { CheckpointSettings } from './checkpoint-protocol.js';
import { type CheckpointRegistration, registerCheckpointer } from './checkpointer.js';

/**
 * A pool's side of coordinated checkpointing: it registers the pool's database with the
 * process's checkpointer thread, turns what the thread reports into the pool's `checkpoint`
 * (each RESTART this process makes), `wal` (every second) and `error` events, and keeps the
 * figures `stats().wal` shows. Only pools that write a WAL file register.
 */
export class WalKeeper {
  readonly #ctx: PoolContext;
  readonly #registration: CheckpointRegistration | undefined;
  #walBytes = 0;
  #maxWalBytes = 0;
  #checkpointer = false;
  #passive = 0;
  #restarts = 0;
  #restartFailures = 0;
  #overLimit = false;

  constructor(ctx: PoolContext, coordinated: boolean) {
    this.#ctx = ctx;
    if (!coordinated) return;
    const o = ctx.opts;
    const settings: CheckpointSettings = {
      intervalMs: o.walCheckpointIntervalMs,
      restartBytes: o.walCheckpointBytes,
      limitBytes: o.walLimitBytes,
      busyTimeoutMs: o.busyTimeout,
    };
    this.#registration = registerCheckpointer(ctx.filename, settings, {
      restart: (r) => {
        ctx.counters.checkpoints++;
        this.#restarts++;
        if (!r.ok) this.#restartFailures++;
        this.#see(r.walBytesAfter, r.walBytesBefore);
        if (ctx.events.listening('checkpoint')) {
          ctx.events.emit('checkpoint', {
            poolId: ctx.id,
            mode: 'RESTART',
            walBytesBefore: r.walBytesBefore,
            walBytesAfter: r.walBytesAfter,
            durationMs: r.durationMs,
            busy: !r.ok,
          });
        }
      },
      wal: (r) => {
        ctx.counters.checkpoints += r.passive;
        this.#passive += r.passive;
        this.#checkpointer = r.leader;
        this.#see(r.walBytes, r.maxWalBytes);
        if (ctx.events.listening('wal')) {
          ctx.events.emit('wal', {
            poolId: ctx.id,
            walBytes: r.walBytes,
            maxWalBytes: r.maxWalBytes,
            limitBytes: o.walLimitBytes,
            overLimit: r.maxWalBytes > o.walLimitBytes,
            checkpointer: r.leader,
            passive: r.passive,
            restarts: r.restarts,
            restartFailures: r.restartFailures,
          });
        }
      },
      error: (r) => {
        const err = Object.assign(
          new Error(`${r.where}: ${r.message}`),
          r.code ? { code: r.code } : {},
        );
        ctx.reportError(r.where, err);
      },
    });
  }

  #see(now: number, max: number): void {
    this.#walBytes = now;
    if (max > this.#maxWalBytes) this.#maxWalBytes = max;
    this.#overLimit = max > this.#ctx.opts.walLimitBytes;
  }

  /** What `stats().wal` shows. */
  stats(): WalStats {
    return {
      mode: this.#registration === undefined ? 'sqlite' : 'coordinated',
      walBytes: this.#walBytes,
      maxWalBytes: this.#maxWalBytes,
      limitBytes: this.#ctx.opts.walLimitBytes,
      overLimit: this.#overLimit,
      checkpointer: this.#checkpointer,
      passiveCheckpoints: this.#passive,
      restarts: this.#restarts,
      restartFailures: this.#restartFailures,
    };
  }

  /** Leaves the checkpointer (the thread stops with the process's last pool). Idempotent. */
  close(): Promise<void> {
    return this.#registration?.release() ?? Promise.resolve();
  }
}
