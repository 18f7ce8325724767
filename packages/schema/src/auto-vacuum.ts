import type { RawDatabase } from './raw-connection.js';
import { retryWhileBusy } from './write-transaction.js';

/**
 * `auto_vacuum` can only change before the first table exists, and only a VACUUM makes the
 * change take (the pool has already written page 1 when it switched to WAL): on a brand-new
 * database both are instant. This is what lets `optimize({ vacuum: 'incremental' })` give
 * space back without rewriting the file. VACUUM cannot run in a transaction, so another process
 * migrating the same new file at the same moment is met by waiting, then looking again: once it
 * has created a table, there is nothing left to do here.
 */
export async function enableIncrementalAutoVacuum(
  raw: RawDatabase,
  lockTimeoutMs: number,
): Promise<boolean> {
  return retryWhileBusy(() => {
    const tables = raw
      .prepare("SELECT count(*) AS n FROM sqlite_master WHERE substr(name, 1, 7) <> 'sqlite_'")
      .get() as { n: number };
    if (tables.n > 0) return false;
    raw.pragma('auto_vacuum = INCREMENTAL');
    raw.exec('VACUUM');
    return Number(raw.pragma('auto_vacuum', { simple: true })) === 2;
  }, lockTimeoutMs);
}
