import type { RemoveOutcome, WriteOutcome } from './backend.js';
import type { QueuedOp } from './batch.js';
import { BatchPlan, type PreparedCheck, type PreparedDelete } from './batch-plan.js';
import type { StoreContext } from './context.js';
import { atIndex, invalidArgument } from './errors.js';
import type { BatchCheck, BatchOpResult, BatchResult } from './types.js';
import { checkVersion } from './validate.js';
import { afterWrite, type PreparedSet, prepareSet } from './write.js';

function prepareCheck(ctx: StoreContext, c: BatchCheck): PreparedCheck {
  if (c === null || typeof c !== 'object' || !('version' in c))
    throw invalidArgument('check', c, '{ key, namespace?, version } (version null: no entry)');
  const namespace = ctx.namespace(c.namespace);
  const key = ctx.key(c.key);
  const version = c.version === null ? null : checkVersion(c.version, 'check.version');
  return { namespace, key, ck: `${namespace}\0${key}`, version };
}

function prepareOp(
  ctx: StoreContext,
  o: QueuedOp,
): { op: 'set'; p: PreparedSet } | { op: 'delete'; d: PreparedDelete } {
  if (o.op === 'set') return { op: 'set', p: prepareSet(ctx, o.key, o.value, o.options) };
  const opts = o.options ?? {};
  if (opts === null || typeof opts !== 'object')
    throw invalidArgument('options', opts, 'an object');
  const namespace = ctx.namespace(opts.namespace);
  const key = ctx.key(o.key);
  const expect = opts.version === undefined ? undefined : checkVersion(opts.version);
  return { op: 'delete', d: { namespace, key, ck: `${namespace}\0${key}`, expect } };
}

/**
 * `batch().commit()`: every check and operation applies, or none does. Everything is validated
 * first; then the checks are made and the operations run in one write transaction. A transient
 * entry's conditions are checked in memory before it, and its changes applied after it commits.
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
      return prepareCheck(ctx, c);
    } catch (err) {
      throw atIndex(err, 'check', i);
    }
  });
  const pops = ops.map((o, i) => {
    try {
      return prepareOp(ctx, o);
    } catch (err) {
      throw atIndex(err, 'operation', i);
    }
  });

  const plan = new BatchPlan(ctx, now, pchecks, pops.length);
  pops.forEach((o, index) => {
    if (o.op === 'set') plan.set(index, o.p);
    else plan.delete(index, o.d);
  });

  let db: (WriteOutcome | RemoveOutcome)[] = [];
  if (plan.dbChecks.length > 0 || plan.dbOps.length > 0) {
    const out = await ctx.backend.batch(plan.dbChecks, plan.dbOps, now);
    if (!out.ok) plan.refusedInDb(out.failed, out.index, out.refusal);
    else db = [...out.results];
  }
  plan.afterCommit(db);

  const results = pops.map((o, index): BatchOpResult => {
    const known = plan.results[index];
    const at = plan.dbIndexOf[index];
    if (o.op === 'set') {
      const p = o.p;
      const version =
        known?.op === 'set' ? known.version : (db[at!] as WriteOutcome & { ok: true }).version;
      afterWrite(ctx, p, { version, created: version === 1 }, 'batch', startedAt);
      return {
        op: 'set',
        namespace: p.namespace,
        key: p.key,
        version,
        size: p.size,
        expiresAt: p.expiresAt,
      };
    }
    const d = o.d;
    const existed =
      known?.op === 'delete' ? known.existed : (db[at!] as RemoveOutcome & { ok: true }).existed;
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
    return { op: 'delete', namespace: d.namespace, key: d.key, existed };
  });
  return { success: true, results };
}
