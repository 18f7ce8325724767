import { closedError } from './pool-errors.js';
import type { PoolParts } from './pool-parts.js';
import { WriteTransaction } from './transaction.js';

/**
 * The second half of `close()`, once new calls fail: gives work queued, leased or offloaded up
 * to `timeoutMs` to finish, then ends what is left (transactions rolled back, leases released,
 * queued writes and offloaded statements rejected with POOL_CLOSED), closes every connection,
 * clears the query cache, and waits (bounded) for the offload workers' threads to end.
 */
export async function drainAndClose(t: PoolParts, timeoutMs: number): Promise<void> {
  const started = Date.now();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, timeoutMs);
  });
  await Promise.race([t.inFlight.drained(t.lane, t.offload()), deadline]);
  clearTimeout(timer);
  const closed = closedError(t.ctx.filename);
  for (const work of t.inFlight.values()) {
    if (work instanceof WriteTransaction) work.rollbackSync();
    else work.release();
  }
  t.lane?.rejectQueued(closed);
  t.snapshots.end();
  t.readers.closeAll(closed);
  const writer = t.writer();
  if (writer !== undefined) t.ctx.close(writer, 'close');
  t.cache?.clear();
  // Worker threads end in a few ms; one inside a statement ends with it (at its deadline).
  await t.offload()?.close(closed, Math.max(timeoutMs - (Date.now() - started), 100));
}
