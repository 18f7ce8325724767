import type { BindParams, Lease, RunResult, SyncQueryable } from '@hivedb/pool';
import type { ForeignKeyViolation } from './types.js';

/**
 * The better-sqlite3 connection behind the pool's writer lease (`lease.raw`, the pool's
 * documented escape hatch). The runner needs it for what a pool transaction cannot do:
 * `PRAGMA foreign_keys` outside a transaction, `VACUUM`, and the online backup.
 */
export type RawDatabase = Lease['raw'];

/** The same synchronous surface a pool transaction offers, over a raw connection. */
export function queryableOf(raw: RawDatabase): SyncQueryable {
  const bind = (params?: BindParams): unknown[] => (params === undefined ? [] : [params]);
  return {
    get: <Row>(sql: string, params?: BindParams) =>
      raw.prepare(sql).get(...bind(params)) as Row | undefined,
    all: <Row>(sql: string, params?: BindParams) => raw.prepare(sql).all(...bind(params)) as Row[],
    run: (sql: string, params?: BindParams): RunResult => raw.prepare(sql).run(...bind(params)),
    exec: (sql: string) => {
      raw.exec(sql);
    },
  };
}

/** Every violation `PRAGMA foreign_key_check` reports. */
export function foreignKeyViolations(db: SyncQueryable): ForeignKeyViolation[] {
  return db
    .all<{ table: string; rowid: number | null; parent: string; fkid: number }>(
      'PRAGMA foreign_key_check',
    )
    .map((r) => ({ table: r.table, rowid: r.rowid, parent: r.parent, fkid: r.fkid }));
}
