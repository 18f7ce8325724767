import type { Pool } from '@hivedb/pool';
import type { LockOutcome, LockState } from './backend.js';
import * as F from './feed-sql.js';

// The SQLite backend's locks, change-log head and pruning, as functions of the memory pool.

const PRUNE_BATCH = 5000;

/**
 * Takes a lock in one statement (so acquisitions of this process share group commits). When it
 * is refused, the holder is read to say who; a lock released in between is tried again.
 */
export async function acquireLock(
  pool: Pool,
  namespace: string,
  key: string,
  holder: string,
  now: number,
  expiresAt: number,
): Promise<LockOutcome> {
  for (let attempt = 0; ; attempt++) {
    const row = await pool.get<{ token: number; expiresAt: number }>(F.LOCK_ACQUIRE, [
      namespace,
      key,
      holder,
      now,
      expiresAt,
    ]);
    if (row !== undefined) return { ok: true, token: row.token, expiresAt: row.expiresAt };
    const state = await pool.get<LockState>(F.LOCK_PROBE, [namespace, key]);
    const live = state !== undefined && state.holder !== null && (state.expiresAt ?? 0) > now;
    if (live || attempt >= 2)
      return {
        ok: false,
        holder: state?.holder ?? null,
        token: state?.token ?? 0,
        expiresAt: state?.expiresAt ?? null,
      };
  }
}

/** Releases `holder`'s live lock; the row stays, so the key's token keeps increasing. */
export async function releaseLock(
  pool: Pool,
  namespace: string,
  key: string,
  holder: string,
  now: number,
): Promise<boolean> {
  const row = await pool.get(F.LOCK_RELEASE, [now, namespace, key, holder, now]);
  return row !== undefined;
}

/** Moves the expiry of `holder`'s live lock. */
export async function renewLock(
  pool: Pool,
  namespace: string,
  key: string,
  holder: string,
  now: number,
  expiresAt: number,
): Promise<LockOutcome> {
  const row = await pool.get<{ token: number; expiresAt: number }>(F.LOCK_RENEW, [
    expiresAt,
    namespace,
    key,
    holder,
    now,
  ]);
  if (row !== undefined) return { ok: true, token: row.token, expiresAt: row.expiresAt };
  const state = await pool.get<LockState>(F.LOCK_PROBE, [namespace, key]);
  return {
    ok: false,
    holder: state?.holder ?? null,
    token: state?.token ?? 0,
    expiresAt: state?.expiresAt ?? null,
  };
}

/**
 * The newest sequence number issued as of the call, read synchronously in a read transaction
 * that begins inside it (`pool.readNow`): every change committed later, by any process (a
 * write this process issues afterwards included), is numbered after it.
 */
export function headSeq(pool: Pool): number {
  return pool.readNow((db) => db.get<{ seq: number }>(F.HEAD_SEQ)?.seq ?? 0);
}

/**
 * Prunes the change log by age, then by count, in bounded batches (each its own commit); reads
 * first, so that a prune with nothing to do commits nothing (every commit moves the generation
 * every cache validates against).
 */
export async function pruneChanges(pool: Pool, before: number, keep: number): Promise<number> {
  const need = await pool.get<{ byAge: number; byCount: number }>(F.PRUNE_NEEDED, [before, keep]);
  let total = 0;
  for (const [sql, bound, wanted] of [
    [F.PRUNE_CHANGES_AGE, before, need?.byAge],
    [F.PRUNE_CHANGES_COUNT, keep, need?.byCount],
  ] as const) {
    if (!wanted) continue;
    for (;;) {
      const { changes } = await pool.run(sql, [bound, PRUNE_BATCH]);
      total += changes;
      if (changes < PRUNE_BATCH) break;
    }
  }
  return total;
}

/** Drops versions past each entry's newest `keep`, if any entry has some. */
export async function pruneHistory(pool: Pool, keep: number): Promise<number> {
  if ((await pool.get(F.PRUNE_HISTORY_NEEDED, [keep])) === undefined) return 0;
  return (await pool.run(F.PRUNE_HISTORY, [keep])).changes;
}
