import type { StoreContext } from './context.js';

const SWEEP_BATCH = 1000;

/**
 * Deletes expired entries on disk, `SWEEP_BATCH` at a time through the partial index on
 * `expires_at` (each batch one statement), then this store's expired transient entries; emits
 * `expire` for each batch. Resolves to how many.
 */
export async function sweep(ctx: StoreContext): Promise<number> {
  const now = ctx.now();
  let total = 0;
  for (;;) {
    const started = performance.now();
    const gone = await ctx.backend.sweep(now, SWEEP_BATCH);
    if (gone.length > 0) {
      for (const g of gone) ctx.cache?.drop(`${g.namespace}\0${g.key}`);
      ctx.epoch++;
      total += gone.length;
      if (ctx.events.listening('expire'))
        ctx.events.emit('expire', {
          entries: gone,
          count: gone.length,
          durationMs: performance.now() - started,
        });
    }
    if (gone.length < SWEEP_BATCH) break;
  }
  const mine = ctx.transient.sweep(now);
  if (mine.length > 0) {
    total += mine.length;
    if (ctx.events.listening('expire'))
      ctx.events.emit('expire', {
        entries: mine.map((t) => ({ namespace: t.namespace, key: t.key, version: t.row.version })),
        count: mine.length,
        durationMs: 0,
      });
  }
  ctx.counters.sweeps++;
  ctx.counters.expired += total;
  return total;
}
