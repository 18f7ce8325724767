import type { PoolLease } from './lease.js';
import type { OffloadLane } from './offload-lane.js';
import type { WriteTransaction } from './transaction.js';
import type { WriterLane } from './writer-lane.js';

/**
 * The leases and transactions a pool has handed out and not yet seen end, and the waits of
 * `close()` for them (and for its lanes) to drain.
 */
export class WorkInFlight {
  readonly #work = new Set<PoolLease | WriteTransaction>();
  readonly #settled: Array<() => void> = [];

  add(work: PoolLease | WriteTransaction): void {
    this.#work.add(work);
  }

  delete(work: PoolLease | WriteTransaction): void {
    this.#work.delete(work);
  }

  /** Every lease and transaction still out, for `close()` to end. */
  values(): IterableIterator<PoolLease | WriteTransaction> {
    return this.#work.values();
  }

  /** A lease or transaction ended: wake `close()` if it is waiting for work in flight. */
  notifySettled(): void {
    if (this.#settled.length > 0) for (const wake of this.#settled.splice(0)) wake();
  }

  /** Resolves once no lease or transaction is out and both lanes are idle. */
  async drained(lane: WriterLane | undefined, offload: OffloadLane | undefined): Promise<void> {
    const laneBusy = () => lane !== undefined && (lane.busy || lane.queued > 0);
    const offloadBusy = () => offload !== undefined && !offload.idle;
    while (this.#work.size > 0 || laneBusy() || offloadBusy()) {
      await new Promise<void>((resolve) => {
        this.#settled.push(resolve);
        if (laneBusy()) void lane!.whenIdle().then(resolve);
        if (offloadBusy()) void offload!.whenIdle().then(resolve);
      });
    }
  }
}
