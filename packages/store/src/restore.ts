import type { StoreContext } from './context.js';
import { checkFilePath, writeSafetyBackup } from './backup.js';

/** What `restore()` did. */
export interface RestoreResult {
  /** Live entries in the restored database. */
  readonly entries: number;
  /**
   * The copy of the live database written just before it was replaced:
   * `<memory.db>.before-restore-<UTC time>[-n].bak` beside it (never over an existing file).
   */
  readonly safetyBackup: string;
}

/**
 * Replaces the contents of `memory.db` with the backup at `source`, after verifying a copy of it
 * (see `prepareCandidate`): anything but a hivedb `memory.db` (a file that is not SQLite, fails
 * `integrity_check`, has no migration record, or whose schema is not the one its record implies)
 * is refused with `STORE_RESTORE_REFUSED` and nothing changes. A backup of an older schema is
 * migrated forward (on the copy). Before the replace, a safety backup of the live database is
 * written beside it (`RestoreResult.safetyBackup`).
 * Afterwards no cached entry of this store survives, transient entries are gone (they were not
 * part of the backup), and other processes' caches see the change through `data_version`.
 */
export async function restore(ctx: StoreContext, sourceInput: unknown): Promise<RestoreResult> {
  const source = checkFilePath('path', sourceInput);
  const result = await ctx.backend.transfer.restore(source, ctx.now(), {
    // Buffered access counts belong to the entries being replaced (and to the safety backup).
    beforeReplace: () => ctx.access.flush('manual'),
    safetyBackup: () => writeSafetyBackup(ctx),
  });
  ctx.epoch++;
  ctx.cache?.clear();
  ctx.transient.clearAll();
  return { entries: result.entries, safetyBackup: result.safetyBackup };
}
