import type { Connection } from './connection.js';
import type { ReaderSet } from './reader-set.js';
import { assertNotTransactionControl } from './statement.js';

/** What SQLite says a statement is. */
export interface StatementKind {
  /** SQLite says it does not write: it may run on a reader. */
  readonly readonly: boolean;
  /** It returns rows. */
  readonly reader: boolean;
}

const MAX_KNOWN = 10_000;

/**
 * Routes statements by SQLite's own verdict (`sqlite3_stmt_readonly`), asked once per SQL text
 * by preparing it on a connection at hand (prepare needs no lock), and remembered.
 */
export class StatementKinds {
  readonly #known = new Map<string, StatementKind>();
  readonly #writer: () => Connection | undefined;
  readonly #readers: ReaderSet;

  constructor(writer: () => Connection | undefined, readers: ReaderSet) {
    this.#writer = writer;
    this.#readers = readers;
  }

  /** The kind of `sql`, if it was seen before (validated then). */
  known(sql: string): StatementKind | undefined {
    return this.#known.get(sql);
  }

  /** The kind of `sql`; prepares it if it was never seen. Throws SQLite's error for bad SQL. */
  of(sql: string): StatementKind {
    const known = this.#known.get(sql);
    if (known !== undefined) return known;
    const writer = this.#writer();
    let kind: StatementKind;
    if (writer !== undefined && !writer.closed) kind = describe(writer, sql);
    else {
      const reader = this.#readers.tryTake();
      if (reader === undefined) {
        // A readonly pool with every reader leased: it cannot write anyway; route it as a read
        // and let SQLite refuse a write there. Not remembered: the next call asks SQLite.
        return { readonly: true, reader: true };
      }
      try {
        kind = describe(reader, sql);
      } finally {
        this.#readers.release(reader);
      }
    }
    if (this.#known.size >= MAX_KNOWN) this.#known.clear();
    this.#known.set(sql, kind);
    return kind;
  }
}

function describe(conn: Connection, sql: string): StatementKind {
  const stmt = conn.statements.get(sql, assertNotTransactionControl);
  return { readonly: stmt.readonly, reader: stmt.reader };
}
