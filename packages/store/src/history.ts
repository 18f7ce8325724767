import type { HistoryRow } from './backend.js';
import type { StoreContext } from './context.js';
import { invalidArgument } from './errors.js';
import { deepFreeze } from './read-cache.js';
import type { HistoryEntry, HistoryQueryOptions } from './types.js';
import { checkVersion } from './validate.js';

// Versions of `versioned` entries: written by a trigger on shared_memory in every write's
// transaction (migration 0002), deleted with the entry, kept to `history.maxVersions` per entry.

const MAX_LIMIT = 1_000_000;

function entryOf(row: HistoryRow): HistoryEntry {
  return {
    version: row.version,
    value: deepFreeze(JSON.parse(row.value)),
    metadata: row.metadata === null ? null : deepFreeze(JSON.parse(row.metadata)),
    updatedAt: row.updatedAt,
  };
}

/** `get(key, { version })`: that version's value (deeply frozen), `null` when unknown or pruned. */
export async function getVersion(
  ctx: StoreContext,
  namespace: string,
  key: string,
  versionInput: unknown,
): Promise<unknown> {
  const version = checkVersion(versionInput);
  const row = await ctx.backend.historyVersion(
    namespace,
    key,
    version,
    ctx.opts.history.maxVersions,
    ctx.now(),
  );
  ctx.counters.reads++;
  return row === undefined ? null : deepFreeze(JSON.parse(row.value));
}

/** `history()`: a live `versioned` entry's kept versions, newest first (`[]` for any other entry). */
export async function history(
  ctx: StoreContext,
  keyInput: unknown,
  options: HistoryQueryOptions | undefined,
): Promise<HistoryEntry[]> {
  if (options !== undefined && (options === null || typeof options !== 'object'))
    throw invalidArgument('options', options, 'an object');
  const namespace = ctx.namespace(options?.namespace);
  const key = ctx.key(keyInput);
  const limit = options?.limit === undefined ? MAX_LIMIT : checkVersion(options.limit, 'limit');
  const rows = await ctx.backend.history(
    namespace,
    key,
    ctx.opts.history.maxVersions,
    limit,
    ctx.now(),
  );
  return rows.map(entryOf);
}
