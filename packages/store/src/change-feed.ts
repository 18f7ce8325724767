import type { StoreContext } from './context.js';

// The change log's upkeep: pruning by age and by count, and the history's retention.

/**
 * Prunes the change log (changes older than `changeFeed.maxAgeMs`, and all but the newest
 * `changeFeed.maxEntries`) and the history of `versioned` entries (all but the newest
 * `history.maxVersions` of each). Every process with a store open does it every
 * `changeFeed.pruneIntervalMs`; it never waits for subscribers (one that falls behind the log is
 * told with `STORE_CHANGES_PRUNED`). Resolves to the rows deleted.
 */
export async function pruneFeed(ctx: StoreContext): Promise<{ changes: number; history: number }> {
  const { maxAgeMs, maxEntries } = ctx.opts.changeFeed;
  const changes = await ctx.backend.pruneChanges(ctx.now() - maxAgeMs, maxEntries);
  const history = await ctx.backend.pruneHistory(ctx.opts.history.maxVersions);
  return { changes, history };
}
