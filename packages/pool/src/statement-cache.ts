import type BetterSqlite3 from 'better-sqlite3';

const EXPLAIN = /^\s*EXPLAIN\b/i;

/** A cached statement and what the hot path asks of it (a native getter is not free). */
export interface StatementSlot {
  readonly stmt: BetterSqlite3.Statement;
  /** `stmt.reader`: it returns rows. */
  readonly reader: boolean;
  used: boolean;
}

type Slot = StatementSlot;

/**
 * A bounded cache of prepared statements for one connection, evicting by CLOCK (second chance),
 * an approximation of LRU: a hit only sets a flag, so the hot path of a point read does not pay
 * for re-ordering a Map on every call.
 */
export class StatementCache {
  readonly #db: BetterSqlite3.Database;
  readonly #max: number;
  readonly #map = new Map<string, Slot>();

  constructor(db: BetterSqlite3.Database, max: number) {
    this.#db = db;
    this.#max = max;
  }

  /** The prepared statement for `sql`, prepared on first use (after `check`, when given). */
  get(sql: string, check?: (sql: string) => void): BetterSqlite3.Statement {
    return this.slot(sql, check).stmt;
  }

  /** The cache slot of `sql` (statement and its flags), prepared on first use. */
  slot(sql: string, check?: (sql: string) => void): StatementSlot {
    const hit = this.#map.get(sql);
    if (hit !== undefined) {
      hit.used = true;
      return hit;
    }
    check?.(sql);
    const stmt = this.#db.prepare(sql);
    const slot: Slot = { stmt, reader: stmt.reader, used: false };
    // SQLite never re-prepares an EXPLAIN after a schema change: a kept one reports a stale plan.
    if (this.#max > 0 && !EXPLAIN.test(sql)) {
      if (this.#map.size >= this.#max) this.#evictOne();
      this.#map.set(sql, slot);
    }
    return slot;
  }

  #evictOne(): void {
    // Bounded: each pass clears a flag, so within two passes an unflagged slot is found.
    for (const [sql, slot] of this.#map) {
      this.#map.delete(sql);
      if (!slot.used) return;
      slot.used = false;
      this.#map.set(sql, slot);
    }
  }

  /** Statements held now. */
  get size(): number {
    return this.#map.size;
  }

  clear(): void {
    this.#map.clear();
  }
}
