import type { QuietWrite, WriteOutcome } from './backend.js';
import type { StoreContext } from './context.js';
import { atIndex, invalidArgument } from './errors.js';
import type { BulkEntry, BulkResult } from './types.js';
import { afterWrite, type PreparedSet, prepareSet, writePrepared } from './write.js';

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
