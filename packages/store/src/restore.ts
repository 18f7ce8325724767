import type { StoreContext } from './context.js';
import { checkFilePath } from './backup.js';

/** What `restore()` did. */
export interface RestoreResult {
  /** Live entries in the restored database. */
  readonly entries: number;
}

/**
 * Replaces the contents of `memory.db` with the backup at `source`, after verifying a copy of it
 * (see `prepareCandidate`): a file that is not SQLite, fails `integrity_check`, or does not carry
 * hivedb's memory schema is refused with `STORE_RESTORE_REFUSED` and nothing changes. A backup
 * of an older schema is migrated forward (on the copy) before it replaces the live database.
 * Afterwards no cached entry of this store survives, transient entries are gone (they were not
 * part of the backup), and other processes' caches see the change through `data_version`.
 */
export async function restore(ctx: StoreContext, sourceInput: unknown): Promise<RestoreResult> {
  const source = checkFilePath('path', sourceInput);
  const result = await ctx.backend.transfer.restore(source, ctx.now(), async () => {
    // Buffered access counts belong to the entries being replaced.
    await ctx.access.flush('manual');
  });
  ctx.epoch++;
  ctx.cache?.clear();
  ctx.transient.clearAll();
  return { entries: result.entries };
}
