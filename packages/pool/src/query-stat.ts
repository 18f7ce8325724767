import type { QueryBatchStatement } from './events.js';

/** How a statement is counted: `'read'` or `'write'`. */
export type Kind = 'read' | 'write';

/**
 * The running figures of one SQL text, and the timing marks of its statement in progress (a
 * statement runs synchronously, so one set of marks per text is enough). Private to the package.
 */
export class QueryStat {
  count = 0;
  errors = 0;
  rows = 0;
  cacheHits = 0;
  durationsMs: number[] = [];
  weights: number[] = [];
  /** Of `count`, those that went to `notable`. */
  notables = 0;
  /**
   * Of `count`, those a timing stands for. The others, not timed, not notable, are covered by
   * the next timing (or at the batch's end by the last one): no per-statement counter for them.
   */
  covered = 0;
  /** The last timed duration (-1: none yet, so the next statement is timed). */
  lastMs = -1;
  /** `performance.now()` at the start, or 0 when only the coarse clock was read. */
  t0 = 0;
  /** The coarse clock's tick count and time at the start. */
  k0 = 0;
  c0 = 0;
  constructor(
    readonly sql: string,
    readonly kind: Kind,
  ) {}
}

/**
 * The batch's figures of each text in `dirty` (the texts with statements since the last batch),
 * and those texts' figures started over. The statements no timing stood for yet stand on the
 * text's last timing (a text's first statement is always timed).
 */
export function cutStatements(dirty: readonly QueryStat[]): QueryBatchStatement[] {
  const statements: QueryBatchStatement[] = new Array(dirty.length);
  for (let i = 0; i < dirty.length; i++) {
    const s = dirty[i]!;
    const rest = s.count - s.notables - s.covered;
    if (rest > 0) {
      // The statements after the last timing stand on it (a text is always timed first).
      s.durationsMs.push(Math.max(s.lastMs, 0));
      s.weights.push(rest);
    }
    statements[i] = {
      sql: s.sql,
      kind: s.kind,
      count: s.count,
      errors: s.errors,
      rows: s.rows,
      cacheHits: s.cacheHits,
      durationsMs: s.durationsMs,
      weights: s.weights,
    };
    s.count = 0;
    s.notables = 0;
    s.covered = 0;
    s.errors = 0;
    s.rows = 0;
    s.cacheHits = 0;
    s.durationsMs = [];
    s.weights = [];
  }
  return statements;
}
