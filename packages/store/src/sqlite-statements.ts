import type { Pool, SyncQueryable } from '@hivedb/pool';
import type {
  BatchOp,
  BatchOutcome,
  CheckSpec,
  LockState,
  Refusal,
  RemoveOutcome,
  RemoveSpec,
  WriteOutcome,
  WriteSpec,
} from './backend.js';
import * as F from './feed-sql.js';
import * as SQL from './sql.js';
import type { DataType } from './types.js';

// The statements of single writes and deletes, and how a refusal is explained, shared by the
// backend's one-statement path (group-committed) and its transactions (batches, setBulk).

/** What a refused write needs to know of the entry as it is now. */
export interface Probe {
  readonly version: number;
  readonly dataType: DataType;
  readonly expiresAt: number | null;
  readonly value: string;
}

/** A SQL text and its parameters. */
export type Statement = readonly [sql: string, params: unknown[]];

/** The statement of a write. */
export function writeStatement(s: WriteSpec): Statement {
  switch (s.mode) {
    case 'upsert':
      return [
        SQL.UPSERT_SAME,
        [
          s.namespace,
          s.key,
          s.dataType,
          s.value,
          s.metadata,
          s.baseVersion,
          s.now,
          s.now,
          s.expiresAt,
          s.size,
          s.guarded ? 1 : 0,
        ],
      ];
    case 'create':
      return [
        SQL.CREATE,
        [
          s.namespace,
          s.key,
          s.dataType,
          s.value,
          s.metadata,
          s.baseVersion,
          s.now,
          s.now,
          s.expiresAt,
          s.size,
        ],
      ];
    case 'cas':
      return [
        SQL.CAS,
        [
          s.dataType,
          s.value,
          s.metadata,
          s.now,
          s.expiresAt,
          s.size,
          s.namespace,
          s.key,
          s.expect,
          s.now,
        ],
      ];
  }
}

/** The statement of a delete. */
export function removeStatement(s: RemoveSpec): Statement {
  return s.expect === undefined
    ? [SQL.REMOVE, [s.namespace, s.key, s.guarded ? 1 : 0, s.now]]
    : [SQL.REMOVE_CAS, [s.namespace, s.key, s.expect, s.now]];
}

/** Whether a probed row is live at `now`. */
export const live = (p: Probe | undefined, now: number): p is Probe =>
  p !== undefined && (p.expiresAt === null || p.expiresAt > now);

/**
 * Why a write that changed nothing was refused, from the entry as it is now; `undefined` when
 * the entry no longer explains it (another process changed it in between: try again).
 */
export function writeRefusal(s: WriteSpec, p: Probe | undefined): Refusal | undefined {
  const current = live(p, s.now) ? p.version : null;
  if (s.mode === 'cas') return { ok: false, reason: 'version', current };
  if (s.mode === 'create')
    return current === null ? undefined : { ok: false, reason: 'exists', current };
  return current !== null && p!.dataType === 'locked' && !s.guarded
    ? { ok: false, reason: 'locked', current }
    : undefined;
}

/** Why a delete that deleted nothing did not (or that there was nothing to delete). */
export function removeRefusal(s: RemoveSpec, p: Probe | undefined): RemoveOutcome {
  const current = live(p, s.now) ? p.version : null;
  if (s.expect !== undefined) return { ok: false, reason: 'version', current };
  if (current !== null && p!.dataType === 'locked' && !s.guarded)
    return { ok: false, reason: 'locked', current };
  return { ok: true, existed: false, version: null };
}

/** What a delete that returned its row reports. */
export function removed(
  s: RemoveSpec,
  row: { expiresAt?: number | null; version: number },
): RemoveOutcome {
  // REMOVE_CAS only deletes a live row; REMOVE returns the row's expiry to tell.
  const existed = s.expect !== undefined || row.expiresAt == null || row.expiresAt > s.now;
  return { ok: true, existed, version: row.version };
}

/** The key's lock as it is now (no row: never taken, token 0). */
export function lockState(tx: SyncQueryable, namespace: string, key: string): LockState {
  const row = tx.get<LockState>(F.LOCK_PROBE, [namespace, key]);
  return row ?? { holder: null, token: 0, expiresAt: null };
}

/**
 * Checks a write's fence inside its transaction: a refusal, or the write to make. A write that
 * proves it holds the key's live lock (`lock: true`, or the current token while the lock is
 * live) may replace a live `locked` entry.
 */
export function fenced(tx: SyncQueryable, s: WriteSpec): WriteSpec | Refusal {
  const f = s.fence!;
  const lock = lockState(tx, s.namespace, s.key);
  const holder = lock.holder !== null && lock.expiresAt! > s.now ? lock.holder : null;
  const current = () => {
    const p = tx.get<Probe>(SQL.PROBE, [s.namespace, s.key]);
    return live(p, s.now) ? p.version : null;
  };
  if (f.token !== undefined && f.token < lock.token)
    return { ok: false, reason: 'stale-token', current: current(), lock, token: f.token };
  if (f.holder !== undefined && holder !== f.holder)
    return {
      ok: false,
      reason: holder === null ? 'lock-not-held' : 'lock-held',
      current: current(),
      lock,
    };
  const proves = f.holder !== undefined || (f.token === lock.token && holder !== null);
  return proves && !s.guarded ? { ...s, guarded: true } : s;
}

/** Runs one write inside a transaction, where nothing can change between the write and the probe. */
export function writeIn(tx: SyncQueryable, spec: WriteSpec): WriteOutcome {
  let s = spec;
  if (s.fence !== undefined) {
    const checked = fenced(tx, s);
    if ('reason' in checked) return checked;
    s = checked;
  }
  const [sql, params] = writeStatement(s);
  let row = tx.get<{ version: number }>(sql, params);
  if (row === undefined && s.mode === 'upsert')
    row = tx.get<{ version: number }>(SQL.UPSERT, params);
  if (row !== undefined)
    return { ok: true, version: row.version, created: row.version === s.baseVersion };
  const refusal = writeRefusal(s, tx.get<Probe>(SQL.PROBE, [s.namespace, s.key]));
  // Inside one transaction the probe always explains the refusal; this guards the invariant.
  return refusal ?? { ok: false, reason: 'version', current: null };
}

/** Runs one delete inside a transaction. */
export function removeIn(tx: SyncQueryable, s: RemoveSpec): RemoveOutcome {
  const [sql, params] = removeStatement(s);
  const row = tx.get<{ expiresAt?: number | null; version: number }>(sql, params);
  if (row !== undefined) return removed(s, row);
  return removeRefusal(s, tx.get<Probe>(SQL.PROBE, [s.namespace, s.key]));
}

/**
 * A batch in one write transaction: every check, then every operation; the first that fails
 * rolls everything back and is reported (`failed: 'check' | 'op'`, `index`, the refusal).
 */
export function runBatch(
  pool: Pool,
  checks: readonly CheckSpec[],
  ops: readonly BatchOp[],
  now: number,
): Promise<BatchOutcome> {
  const rollback = Symbol('rollback');
  let failure: BatchOutcome | undefined;
  return pool
    .transaction((tx) => {
      for (let i = 0; i < checks.length; i++) {
        const c = checks[i]!;
        const p = tx.get<Probe>(SQL.PROBE, [c.namespace, c.key]);
        const current = live(p, now) ? p.version : null;
        if (current !== c.version) {
          failure = {
            ok: false,
            failed: 'check',
            index: i,
            refusal: { ok: false, reason: c.version === null ? 'exists' : 'version', current },
          };
          throw rollback;
        }
      }
      const results: (WriteOutcome | RemoveOutcome)[] = [];
      for (let i = 0; i < ops.length; i++) {
        const o = ops[i]!;
        const out = o.op === 'set' ? writeIn(tx, o.spec) : removeIn(tx, o.spec);
        if (!out.ok) {
          failure = { ok: false, failed: 'op', index: i, refusal: out };
          throw rollback;
        }
        results.push(out);
      }
      return { ok: true as const, results };
    })
    .catch((err: unknown) => {
      if (err === rollback && failure !== undefined) return failure;
      throw err;
    });
}

/** How long the shutdown checkpoint waits for other processes' readers (ms). */
const CHECKPOINT_WAIT_MS = 50;

/**
 * `wal_checkpoint(TRUNCATE)` at shutdown, waiting at most CHECKPOINT_WAIT_MS for readers: TRUNCATE
 * holds the write lock while it waits, so a store shutting down among busy processes would
 * otherwise stall all their writers. Only where SQLite's autocheckpoint keeps the WAL
 * (`walCheckpointer: 'sqlite'`): with the default coordinated checkpointer an elected process
 * keeps it bounded, and the last connection to close empties it.
 */
export async function checkpointQuickly(pool: Pool): Promise<void> {
  if (pool.stats().wal.mode === 'coordinated') return;
  await pool.checkpoint({ mode: 'TRUNCATE', waitMs: CHECKPOINT_WAIT_MS });
}
