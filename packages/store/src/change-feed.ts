import type { StoreContext } from './context.js';
import { invalidArgument } from './errors.js';

// The change log's upkeep (pruning by age and by count, and the history's retention) and the
// key patterns subscriptions match with.

/**
 * A key pattern as a matcher: `*` matches any run of characters (none included), `?` exactly
 * one; everything else matches itself. `'*'` (or `''`) matches every key.
 */
export function keyMatcher(pattern: unknown): (key: string) => boolean {
  if (typeof pattern !== 'string')
    throw invalidArgument(
      'pattern',
      pattern,
      "a key pattern: a string where * matches anything (e.g. 'task:*')",
    );
  if (pattern === '' || pattern === '*') return () => true;
  if (!/[*?]/.test(pattern)) return (key) => key === pattern;
  const source = pattern
    .split(/([*?])/)
    .map((part) =>
      part === '*'
        ? '[\\s\\S]*'
        : part === '?'
          ? '[\\s\\S]'
          : part.replace(/[.+^${}()|[\]\\]/g, '\\$&'),
    )
    .join('');
  const re = new RegExp(`^${source}$`, 'u');
  return (key) => re.test(key);
}

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
