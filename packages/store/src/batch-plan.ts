import type {
  BatchOp,
  CheckSpec,
  Refusal,
  RemoveOutcome,
  RemoveSpec,
  WriteOutcome,
} from './backend.js';
import type { StoreContext } from './context.js';
import { StoreError } from './errors.js';
import type { BatchOpResult } from './types.js';
import { conditionHolds, type PreparedSet, putTransient, specOf } from './write.js';

/** A validated delete of a batch. */
export interface PreparedDelete {
  readonly namespace: string;
  readonly key: string;
  readonly ck: string;
  readonly expect: number | undefined;
}

/** A validated check of a batch. */
export interface PreparedCheck {
  readonly namespace: string;
  readonly key: string;
  readonly ck: string;
  readonly version: number | null;
}

/** Where a database check or operation came from in the caller's batch. */
interface Origin {
  readonly kind: 'check' | 'set' | 'delete';
  readonly index: number;
  readonly expected: number | null | undefined;
}

type DbResults = readonly (WriteOutcome | RemoveOutcome)[];

/**
 * How a batch is carried out: the checks and operations the database runs in its transaction
 * (each with where it came from in the caller's batch), and what is done in memory, to transient
 * entries, after that transaction commits. A transient entry's conditions are checked while the
 * plan is made; a refusal throws at once, before anything runs.
 */
export class BatchPlan {
  readonly dbChecks: CheckSpec[] = [];
  readonly dbOps: BatchOp[] = [];
  /** Per caller operation: its result once known. */
  readonly results: (BatchOpResult | undefined)[];
  /** Per caller operation: the index of its database operation, if it has one. */
  readonly dbIndexOf: (number | undefined)[];
  readonly #ctx: StoreContext;
  readonly #now: number;
  readonly #guarded: ReadonlySet<string>;
  readonly #checkOrigins: Origin[] = [];
  readonly #opOrigins: Origin[] = [];
  readonly #afterCommit: Array<(db: DbResults) => void> = [];

  constructor(
    ctx: StoreContext,
    now: number,
    checks: readonly PreparedCheck[],
    operations: number,
  ) {
    this.#ctx = ctx;
    this.#now = now;
    this.results = new Array(operations);
    this.dbIndexOf = new Array(operations);
    // A key the batch checks may be replaced even if `locked`: the check proves the version.
    this.#guarded = new Set(checks.map((c) => c.ck));
    checks.forEach((c, index) => {
      this.#check(c.namespace, c.key, c.ck, c.version, {
        kind: 'check',
        index,
        expected: c.version,
      });
    });
  }

  #live(ck: string) {
    return this.#ctx.transient.size > 0 ? this.#ctx.transient.live(ck, this.#now) : undefined;
  }

  #check(namespace: string, key: string, ck: string, version: number | null, origin: Origin): void {
    const t = this.#live(ck);
    if (t === undefined) {
      this.dbChecks.push({ namespace, key, version });
      this.#checkOrigins.push(origin);
    } else if (version !== t.row.version) {
      this.fail(origin, namespace, key, {
        ok: false,
        reason: version === null ? 'exists' : 'version',
        current: t.row.version,
      });
    }
  }

  #dbOp(index: number, op: BatchOp, origin: Origin): number {
    const at = this.dbOps.length;
    this.dbIndexOf[index] = at;
    this.dbOps.push(op);
    this.#opOrigins.push(origin);
    return at;
  }

  #setResult(index: number, p: PreparedSet, version: number): void {
    this.results[index] = {
      op: 'set',
      namespace: p.namespace,
      key: p.key,
      version,
      size: p.size,
      expiresAt: p.expiresAt,
    };
  }

  /** Operation `index` is a set. */
  set(index: number, p: PreparedSet): void {
    const expected = p.mode === 'cas' ? p.expect : p.mode === 'create' ? null : undefined;
    const origin: Origin = { kind: 'set', index, expected };
    const guarded = this.#guarded.has(p.ck) || p.mode === 'cas';
    const t = this.#live(p.ck);
    if (t !== undefined) {
      const refused = conditionHolds(p, t.row.version);
      if (refused !== undefined) this.fail(origin, p.namespace, p.key, refused as Refusal);
      const version = t.row.version + 1;
      this.#setResult(index, p, version);
      if (p.dataType === 'transient') {
        this.#afterCommit.push(() => putTransient(this.#ctx, p, version, t));
        return;
      }
      // A transient entry moves to disk: the version goes on from it.
      this.#dbOp(
        index,
        { op: 'set', spec: { ...specOf(p, guarded, version), mode: 'upsert' } },
        origin,
      );
      this.#afterCommit.push(() => {
        if (this.#ctx.transient.any(p.ck) === t) this.#ctx.transient.remove(p.ck);
      });
      return;
    }
    if (p.dataType !== 'transient') {
      this.#dbOp(index, { op: 'set', spec: specOf(p, guarded) }, origin);
      return;
    }
    // A new transient entry: its condition is checked against the entry on disk, which it then
    // replaces (deletes); the version goes on from the deleted one.
    if (p.mode !== 'upsert')
      this.#check(p.namespace, p.key, p.ck, p.mode === 'cas' ? p.expect! : null, origin);
    const spec: RemoveSpec = { namespace: p.namespace, key: p.key, now: this.#now, guarded };
    const at = this.#dbOp(index, { op: 'delete', spec }, origin);
    this.#afterCommit.push((db) => {
      const removed = db[at] as RemoveOutcome & { ok: true };
      const version = removed.existed && removed.version !== null ? removed.version + 1 : 1;
      putTransient(this.#ctx, p, version, undefined);
      this.#setResult(index, p, version);
    });
  }

  /** Operation `index` is a delete. */
  delete(index: number, d: PreparedDelete): void {
    const origin: Origin = { kind: 'delete', index, expected: d.expect };
    const t = this.#live(d.ck);
    if (t !== undefined) {
      if (d.expect !== undefined && d.expect !== t.row.version)
        this.fail(origin, d.namespace, d.key, {
          ok: false,
          reason: 'version',
          current: t.row.version,
        });
      this.results[index] = { op: 'delete', namespace: d.namespace, key: d.key, existed: true };
      this.#afterCommit.push(() => this.#ctx.transient.remove(d.ck));
      return;
    }
    const spec: RemoveSpec = {
      namespace: d.namespace,
      key: d.key,
      now: this.#now,
      ...(d.expect === undefined ? {} : { expect: d.expect }),
      guarded: this.#guarded.has(d.ck),
    };
    this.#dbOp(index, { op: 'delete', spec }, origin);
  }

  /** The database refused its check or operation `index`: the caller's error. */
  refusedInDb(failed: 'check' | 'op', index: number, refusal: Refusal): never {
    const origin = failed === 'check' ? this.#checkOrigins[index]! : this.#opOrigins[index]!;
    const target = failed === 'check' ? this.dbChecks[index]! : this.dbOps[index]!.spec;
    return this.fail(origin, target.namespace, target.key, refusal);
  }

  /** Applies the transient changes, once the database part committed. */
  afterCommit(db: DbResults): void {
    for (const apply of this.#afterCommit) apply(db);
  }

  /** Throws the error that says which check or operation failed (and emits `conflict`). */
  fail(origin: Origin, namespace: string, key: string, refusal: Refusal): never {
    const err = this.#ctx.refused(namespace, key, refusal, 'batch', origin.expected, {
      failed: origin.kind,
      index: origin.index,
    });
    const what = origin.kind === 'check' ? 'check' : 'operation';
    throw new StoreError(
      err.code,
      `batch ${what} ${origin.index} failed, nothing was applied: ${err.message}`,
      { details: err.details },
    );
  }
}
