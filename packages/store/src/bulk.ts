import type {
  BatchOp,
  CheckSpec,
  QuietWrite,
  Refusal,
  RemoveOutcome,
  RemoveSpec,
  WriteOutcome,
} from './backend.js';
import type { StoreContext } from './context.js';
import { invalidArgument, StoreError } from './errors.js';
import type {
  BatchCheck,
  BatchOpResult,
  BatchResult,
  BulkEntry,
  BulkResult,
  DeleteOptions,
  SetOptions,
} from './types.js';
import { checkVersion } from './validate.js';
import {
  afterWrite,
  conditionHolds,
  type PreparedSet,
  prepareSet,
  putTransient,
  specOf,
  writePrepared,
} from './write.js';

/** The same error, said of entry `index` of a call that takes many. */
function atIndex(err: unknown, what: string, index: number): unknown {
  if (!(err instanceof StoreError)) return err;
  return new StoreError(err.code, `${what} ${index}: ${err.message}`, {
    cause: err,
    details: { ...err.details, index },
  });
}

const isTransientWrite = (ctx: StoreContext, p: PreparedSet) =>
  p.dataType === 'transient' ||
  (ctx.transient.size > 0 && ctx.transient.live(p.ck, p.now) !== undefined);

/**
 * `setBulk()`: every entry is validated first (one bad entry refuses the call, nothing written),
 * then the entries on disk are written in one transaction. A compare-and-set that loses is
 * reported in its own result; the others are committed.
 */
export async function setBulk(ctx: StoreContext, entries: unknown): Promise<BulkResult[]> {
  const startedAt = performance.now();
  if (!Array.isArray(entries))
    throw invalidArgument('entries', entries, 'an array of { key, value, options }');
  const prepared = entries.map((e: BulkEntry, i) => {
    try {
      if (e === null || typeof e !== 'object')
        throw invalidArgument('entry', e, 'an object { key, value, options }');
      return prepareSet(ctx, e.key, e.value, e.options);
    } catch (err) {
      throw atIndex(err, 'entry', i);
    }
  });
  const onDisk: number[] = [];
  const inMemory: number[] = [];
  prepared.forEach((p, i) => {
    (isTransientWrite(ctx, p) ? inMemory : onDisk).push(i);
  });
  const outcomes: (WriteOutcome | QuietWrite)[] = new Array(prepared.length);
  if (onDisk.length > 0) {
    // Versions are read back only for `set` listeners: results do not carry them.
    const written = await ctx.backend.writeMany(
      onDisk.map((i) => prepared[i]!),
      ctx.events.listening('set'),
    );
    onDisk.forEach((i, j) => {
      outcomes[i] = written[j]!;
    });
  }
  for (const i of inMemory) outcomes[i] = await writePrepared(ctx, prepared[i]!);
  return prepared.map((p, i): BulkResult => {
    const out = outcomes[i]!;
    if (out.ok) {
      afterWrite(ctx, p, out, 'bulk', startedAt);
      return {
        key: p.key,
        namespace: p.namespace,
        success: true,
        size: p.size,
        expiresAt: p.expiresAt,
      };
    }
    const expected = p.mode === 'cas' ? p.expect : p.mode === 'create' ? null : undefined;
    const err = ctx.refused(p.namespace, p.key, out, 'bulk', expected);
    return {
      key: p.key,
      namespace: p.namespace,
      success: false,
      error: { code: err.code, message: err.message, current: out.current },
    };
  });
}

/** A queued batch operation, before validation. */
export type QueuedOp =
  | {
      readonly op: 'set';
      readonly key: unknown;
      readonly value: unknown;
      readonly options: SetOptions | undefined;
    }
  | { readonly op: 'delete'; readonly key: unknown; readonly options: DeleteOptions | undefined };

interface PreparedDelete {
  readonly namespace: string;
  readonly key: string;
  readonly ck: string;
  readonly expect: number | undefined;
}

/** Where a database check or operation came from in the caller's batch. */
type Origin = {
  readonly kind: 'check' | 'op';
  readonly index: number;
  readonly expected: number | null | undefined;
};

/**
 * `batch().commit()`: every check and operation applies, or none does. Checks are made and
 * operations run in one write transaction. A transient entry's checks are made in memory before
 * it, and its changes applied after it commits.
 */
export async function commitBatch(
  ctx: StoreContext,
  checks: readonly BatchCheck[],
  ops: readonly QueuedOp[],
): Promise<BatchResult> {
  const startedAt = performance.now();
  const now = ctx.now();
  const pchecks = checks.map((c, i) => {
    try {
      if (c === null || typeof c !== 'object' || !('version' in c))
        throw invalidArgument('check', c, '{ key, namespace?, version } (version null: no entry)');
      const namespace = ctx.namespace(c.namespace);
      const key = ctx.key(c.key);
      const version = c.version === null ? null : checkVersion(c.version, 'check.version');
      return { namespace, key, ck: `${namespace}\0${key}`, version };
    } catch (err) {
      throw atIndex(err, 'check', i);
    }
  });
  const pops = ops.map((o, i) => {
    try {
      if (o.op === 'set')
        return { op: 'set' as const, p: prepareSet(ctx, o.key, o.value, o.options) };
      const opts = o.options ?? {};
      if (opts === null || typeof opts !== 'object')
        throw invalidArgument('options', opts, 'an object');
      const namespace = ctx.namespace(opts.namespace);
      const key = ctx.key(o.key);
      const expect = opts.version === undefined ? undefined : checkVersion(opts.version);
      const d: PreparedDelete = { namespace, key, ck: `${namespace}\0${key}`, expect };
      return { op: 'delete' as const, d };
    } catch (err) {
      throw atIndex(err, 'operation', i);
    }
  });

  const fail = (origin: Origin, namespace: string, key: string, refusal: Refusal): never => {
    const err = ctx.refused(namespace, key, refusal, 'batch', origin.expected, {
      failed: origin.kind === 'check' ? 'check' : ops[origin.index]!.op,
      index: origin.index,
    });
    throw new StoreError(
      err.code,
      `batch ${origin.kind === 'check' ? 'check' : 'operation'} ${origin.index} failed, nothing was applied: ${err.message}`,
      { details: err.details },
    );
  };

  const guarded = new Set(pchecks.map((c) => c.ck));
  const dbChecks: CheckSpec[] = [];
  const checkOrigins: Origin[] = [];
  pchecks.forEach((c, index) => {
    const t = ctx.transient.size > 0 ? ctx.transient.live(c.ck, now) : undefined;
    if (t !== undefined) {
      if (c.version !== t.row.version)
        fail({ kind: 'check', index, expected: c.version }, c.namespace, c.key, {
          ok: false,
          reason: c.version === null ? 'exists' : 'version',
          current: t.row.version,
        });
    } else {
      dbChecks.push({ namespace: c.namespace, key: c.key, version: c.version });
      checkOrigins.push({ kind: 'check', index, expected: c.version });
    }
  });

  // Per operation: what goes to the database (with where it came from), and what happens in memory after.
  const dbOps: BatchOp[] = [];
  const opOrigins: Origin[] = [];
  const dbIndexOf: (number | undefined)[] = [];
  const results: (BatchOpResult | undefined)[] = new Array(pops.length);
  const inMemory: Array<(dbOut: (WriteOutcome | RemoveOutcome)[]) => void> = [];
  pops.forEach((o, index) => {
    if (o.op === 'set') {
      const p = o.p;
      const expected = p.mode === 'cas' ? p.expect : p.mode === 'create' ? null : undefined;
      const origin: Origin = { kind: 'op', index, expected };
      const isGuarded = guarded.has(p.ck) || p.mode === 'cas';
      const t = ctx.transient.size > 0 ? ctx.transient.live(p.ck, now) : undefined;
      if (t !== undefined) {
        const refused = conditionHolds(p, t.row.version);
        if (refused !== undefined) fail(origin, p.namespace, p.key, refused as Refusal);
        const version = t.row.version + 1;
        if (p.dataType === 'transient') {
          inMemory.push(() => putTransient(ctx, p, version, t));
        } else {
          dbIndexOf[index] = dbOps.length;
          dbOps.push({ op: 'set', spec: { ...specOf(p, isGuarded, version), mode: 'upsert' } });
          opOrigins.push(origin);
          inMemory.push(() => {
            if (ctx.transient.any(p.ck) === t) ctx.transient.remove(p.ck);
          });
        }
        results[index] = {
          op: 'set',
          namespace: p.namespace,
          key: p.key,
          version,
          size: p.size,
          expiresAt: p.expiresAt,
        };
      } else if (p.dataType === 'transient') {
        // Its condition is checked against the entry on disk, which it then replaces (deletes).
        if (p.mode !== 'upsert') {
          dbChecks.push({
            namespace: p.namespace,
            key: p.key,
            version: p.mode === 'cas' ? p.expect! : null,
          });
          checkOrigins.push(origin);
        }
        const spec: RemoveSpec = { namespace: p.namespace, key: p.key, now, guarded: isGuarded };
        const at = dbOps.length;
        dbIndexOf[index] = at;
        dbOps.push({ op: 'delete', spec });
        opOrigins.push(origin);
        inMemory.push((dbOut) => {
          const removed = dbOut[at] as RemoveOutcome & { ok: true };
          const version = removed.existed && removed.version !== null ? removed.version + 1 : 1;
          putTransient(ctx, p, version, undefined);
          results[index] = {
            op: 'set',
            namespace: p.namespace,
            key: p.key,
            version,
            size: p.size,
            expiresAt: p.expiresAt,
          };
        });
      } else {
        dbIndexOf[index] = dbOps.length;
        dbOps.push({ op: 'set', spec: specOf(p, isGuarded) });
        opOrigins.push(origin);
      }
    } else {
      const d = o.d;
      const origin: Origin = { kind: 'op', index, expected: d.expect };
      const t = ctx.transient.size > 0 ? ctx.transient.live(d.ck, now) : undefined;
      if (t !== undefined) {
        if (d.expect !== undefined && d.expect !== t.row.version)
          fail(origin, d.namespace, d.key, {
            ok: false,
            reason: 'version',
            current: t.row.version,
          });
        inMemory.push(() => ctx.transient.remove(d.ck));
        results[index] = { op: 'delete', namespace: d.namespace, key: d.key, existed: true };
      } else {
        dbIndexOf[index] = dbOps.length;
        dbOps.push({
          op: 'delete',
          spec: {
            namespace: d.namespace,
            key: d.key,
            now,
            ...(d.expect === undefined ? {} : { expect: d.expect }),
            guarded: guarded.has(d.ck),
          },
        });
        opOrigins.push(origin);
      }
    }
  });

  let dbOut: (WriteOutcome | RemoveOutcome)[] = [];
  if (dbChecks.length > 0 || dbOps.length > 0) {
    const out = await ctx.backend.batch(dbChecks, dbOps, now);
    if (!out.ok) {
      const origin = out.failed === 'check' ? checkOrigins[out.index]! : opOrigins[out.index]!;
      const target = out.failed === 'check' ? dbChecks[out.index]! : dbOps[out.index]!.spec;
      fail(origin, target.namespace, target.key, out.refusal);
    } else dbOut = [...out.results];
  }
  for (const apply of inMemory) apply(dbOut);

  pops.forEach((o, index) => {
    const at = dbIndexOf[index];
    if (o.op === 'set') {
      const p = o.p;
      if (results[index] === undefined && at !== undefined) {
        const w = dbOut[at] as WriteOutcome & { ok: true };
        results[index] = {
          op: 'set',
          namespace: p.namespace,
          key: p.key,
          version: w.version,
          size: p.size,
          expiresAt: p.expiresAt,
        };
      }
      const r = results[index] as BatchOpResult & { op: 'set' };
      afterWrite(ctx, p, { version: r.version, created: r.version === 1 }, 'batch', startedAt);
    } else {
      const d = o.d;
      if (results[index] === undefined && at !== undefined) {
        const rm = dbOut[at] as RemoveOutcome & { ok: true };
        results[index] = { op: 'delete', namespace: d.namespace, key: d.key, existed: rm.existed };
      }
      const existed = (results[index] as BatchOpResult & { op: 'delete' }).existed;
      ctx.wrote(d.ck);
      if (existed) ctx.counters.deletes++;
      if (ctx.events.listening('delete'))
        ctx.events.emit('delete', {
          namespace: d.namespace,
          key: d.key,
          existed,
          source: 'batch',
          durationMs: performance.now() - startedAt,
        });
    }
  });
  return { success: true, results: results as BatchOpResult[] };
}

/**
 * An atomic batch: checks and writes that apply all together or not at all.
 *
 * @example
 * await store.batch()
 *   .check({ key: 'plan', version: 3 })
 *   .set('plan', next)
 *   .delete('draft')
 *   .commit();
 */
export class Batch {
  readonly #commit: (
    checks: readonly BatchCheck[],
    ops: readonly QueuedOp[],
  ) => Promise<BatchResult>;
  readonly #checks: BatchCheck[] = [];
  readonly #ops: QueuedOp[] = [];
  #committed = false;

  /** @internal Made by `store.batch()`. */
  constructor(
    commit: (checks: readonly BatchCheck[], ops: readonly QueuedOp[]) => Promise<BatchResult>,
  ) {
    this.#commit = commit;
  }

  /** The entry's version must be `version` when the batch commits (`null`: no live entry). */
  check(check: BatchCheck): this {
    this.#checks.push(check);
    return this;
  }

  /** Writes an entry (all of `set()`'s options, `version` and `ifAbsent` included). */
  set(key: string, value: unknown, options?: SetOptions): this {
    this.#ops.push({ op: 'set', key, value, options });
    return this;
  }

  /** Deletes an entry (`version`: only that version). */
  delete(key: string, options?: DeleteOptions): this {
    this.#ops.push({ op: 'delete', key, options });
    return this;
  }

  /**
   * Applies everything, or nothing: a failed check or a refused operation rejects with
   * `STORE_VERSION_CONFLICT` (or `STORE_LOCKED`) whose `details` name it (`failed`, `index`, `key`,
   * `expected`, `current`). A batch commits once.
   */
  commit(): Promise<BatchResult> {
    if (this.#committed)
      return Promise.reject(
        invalidArgument('batch', 'committed', 'a batch that was not committed yet'),
      );
    this.#committed = true;
    return this.#commit(this.#checks, this.#ops);
  }
}
