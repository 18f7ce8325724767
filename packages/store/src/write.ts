import type { EntryRow, Fence, WriteOutcome, WriteSpec } from './backend.js';
import type { StoreContext } from './context.js';
import { invalidArgument, StoreError } from './errors.js';
import type { WriteSource } from './events.js';
import { deepFreeze } from './read-cache.js';
import type { TransientEntry } from './transient-store.js';
import type { DataType, SetOptions, SetResult } from './types.js';
import { byteLength, checkDataType, checkTtl, checkVersion } from './validate.js';
import { serialize, serializeMetadata } from './serialize.js';

/** A `set()` validated and serialized: everything a backend write or a transient write needs. */
export interface PreparedSet {
  readonly namespace: string;
  readonly key: string;
  readonly ck: string;
  readonly dataType: DataType;
  readonly value: string;
  readonly metadata: string | null;
  readonly size: number;
  readonly now: number;
  readonly expiresAt: number | null;
  readonly mode: WriteSpec['mode'];
  readonly expect: number | undefined;
  readonly agentId: string | undefined;
  /** A plain `set()` proves nothing: it may not replace a live `locked` entry. */
  readonly guarded: false;
  readonly baseVersion: 1;
  /** `fencingToken` / `lock: true`: checked against the key's lock in the write's transaction. */
  readonly fence?: Fence;
}

const SEED_OPTIONS_NOT_YET = ['compress'] as const;

/** `fencingToken` and `lock` of a `set()`, validated; `undefined` when neither is given. */
function fenceOf(
  o: SetOptions,
  agentId: string | undefined,
  dataType: DataType,
): Fence | undefined {
  const { fencingToken, lock } = o;
  if (lock !== undefined && typeof lock !== 'boolean')
    throw invalidArgument('lock', lock, 'a boolean');
  if (fencingToken === undefined && lock !== true) return undefined;
  if (fencingToken !== undefined) checkVersion(fencingToken, 'fencingToken');
  if (lock === true && agentId === undefined)
    throw invalidArgument('lock', lock, 'lock: true together with agentId (the holder)');
  if (dataType === 'transient')
    throw invalidArgument(
      'dataType',
      dataType,
      'a data type on disk: a transient entry cannot be fenced by a lock',
    );
  return {
    ...(fencingToken === undefined ? {} : { token: fencingToken }),
    ...(lock === true ? { holder: agentId! } : {}),
  };
}

/** Validates and serializes one `set()`. Throws before anything is written. */
export function prepareSet(
  ctx: StoreContext,
  keyInput: unknown,
  valueInput: unknown,
  options: SetOptions | undefined,
): PreparedSet {
  if (options !== undefined && (options === null || typeof options !== 'object'))
    throw invalidArgument('options', options, 'an object');
  const o: SetOptions = options ?? {};
  for (const name of SEED_OPTIONS_NOT_YET) {
    const v = (o as Record<string, unknown>)[name];
    if (v !== undefined && v !== false)
      throw new StoreError(
        'STORE_NOT_SUPPORTED',
        `set(…, { ${name} }) is not supported by this release`,
      );
  }
  const namespace = ctx.namespace(o.namespace);
  const key = ctx.key(keyInput);
  const dataType = o.dataType === undefined ? 'persistent' : checkDataType(o.dataType);
  let ttl = checkTtl(o.ttl);
  if (ttl === null && dataType === 'cached') ttl = ctx.opts.cachedTtl;
  const agentId = o.agentId === undefined ? undefined : ctx.agent(o.agentId);
  let mode: WriteSpec['mode'] = 'upsert';
  let expect: number | undefined;
  if (o.version !== undefined) {
    if (o.ifAbsent === true)
      throw invalidArgument(
        'options',
        { version: o.version, ifAbsent: true },
        'version or ifAbsent, not both',
      );
    expect = checkVersion(o.version);
    mode = 'cas';
  } else if (o.ifAbsent !== undefined && o.ifAbsent !== false) {
    if (o.ifAbsent !== true) throw invalidArgument('ifAbsent', o.ifAbsent, 'a boolean');
    mode = 'create';
  }
  const fence = fenceOf(o, agentId, dataType);
  const metadata = serializeMetadata(o.metadata, ctx.opts.maxValueDepth);
  const value = serialize(valueInput, ctx.opts.maxValueDepth);
  const size = byteLength(value);
  const total = size + (metadata === null ? 0 : byteLength(metadata));
  if (total > ctx.opts.maxValueSize)
    throw new StoreError(
      'STORE_VALUE_TOO_LARGE',
      `the entry ${JSON.stringify(key)} is ${total} bytes as JSON (value and metadata), more than maxValueSize (${ctx.opts.maxValueSize})`,
      { details: { namespace, key, size: total, maxValueSize: ctx.opts.maxValueSize } },
    );
  const now = ctx.now();
  return {
    namespace,
    key,
    ck: `${namespace}\0${key}`,
    dataType,
    value,
    metadata,
    size,
    now,
    expiresAt: ttl === null ? null : now + ttl,
    mode,
    expect,
    agentId,
    guarded: false,
    baseVersion: 1,
    ...(fence === undefined ? {} : { fence }),
  };
}

/** The backend write of a prepared set. */
export function specOf(p: PreparedSet, guarded: boolean, baseVersion = 1): WriteSpec {
  return {
    namespace: p.namespace,
    key: p.key,
    dataType: p.dataType,
    value: p.value,
    metadata: p.metadata,
    size: p.size,
    now: p.now,
    expiresAt: p.expiresAt,
    mode: p.mode,
    ...(p.expect === undefined ? {} : { expect: p.expect }),
    guarded,
    baseVersion,
    ...(p.fence === undefined ? {} : { fence: p.fence }),
  };
}

/** Whether a prepared write's condition holds against `current` (the live version, or `null`). */
export function conditionHolds(p: PreparedSet, current: number | null): WriteOutcome | undefined {
  if (p.mode === 'cas' && current !== p.expect) return { ok: false, reason: 'version', current };
  if (p.mode === 'create' && current !== null) return { ok: false, reason: 'exists', current };
  return undefined;
}

/** Stores a transient entry in memory with `version`, keeping what the entry it replaces had. */
export function putTransient(
  ctx: StoreContext,
  p: PreparedSet,
  version: number,
  previous: TransientEntry | undefined,
): void {
  const row: EntryRow = {
    value: p.value,
    dataType: p.dataType,
    version,
    expiresAt: p.expiresAt,
    metadata: p.metadata,
    createdAt: previous === undefined ? p.now : previous.row.createdAt,
    updatedAt: previous === undefined ? p.now : Math.max(p.now, previous.row.createdAt),
    size: p.size,
    accessCount: 0,
    lastAccessed: null,
  };
  ctx.transient.put(p.ck, {
    namespace: p.namespace,
    key: p.key,
    row,
    value: deepFreeze(JSON.parse(p.value)),
    reads: previous?.reads ?? 0,
    lastRead: previous?.lastRead ?? null,
  });
}

/**
 * A `transient` write: the entry lives in this store's memory. An entry of the same key on disk
 * is replaced, i.e. deleted (only if it is still the version the condition was checked against).
 */
async function writeTransient(ctx: StoreContext, p: PreparedSet): Promise<WriteOutcome> {
  const previous = ctx.transient.live(p.ck, p.now);
  if (previous !== undefined) {
    const refused = conditionHolds(p, previous.row.version);
    if (refused !== undefined) return refused;
    putTransient(ctx, p, previous.row.version + 1, previous);
    return { ok: true, version: previous.row.version + 1, created: false };
  }
  const row = await ctx.backend.read(p.namespace, p.key);
  const live = row !== undefined && (row.expiresAt === null || row.expiresAt > p.now);
  const current = live ? row.version : null;
  const refused = conditionHolds(p, current);
  if (refused !== undefined) return refused;
  if (row !== undefined) {
    if (live && row.dataType === 'locked' && p.mode === 'upsert')
      return { ok: false, reason: 'locked', current };
    const out = await ctx.backend.remove({
      namespace: p.namespace,
      key: p.key,
      now: p.now,
      ...(live ? { expect: row.version } : {}),
      guarded: true,
    });
    if (!out.ok) return out;
  }
  const version = current === null ? 1 : current + 1;
  putTransient(ctx, p, version, undefined);
  return { ok: true, version, created: current === null };
}

/** Writes a prepared set wherever it belongs: memory (transient) or disk. */
export function writePrepared(ctx: StoreContext, p: PreparedSet): Promise<WriteOutcome> {
  if (p.dataType === 'transient') return writeTransient(ctx, p);
  if (ctx.transient.size > 0) {
    const t = ctx.transient.any(p.ck);
    if (t !== undefined) {
      if (t.row.expiresAt === null || t.row.expiresAt > p.now) return moveToDisk(ctx, p, t);
      ctx.transient.remove(p.ck);
    }
  }
  // The common case: a prepared set is its own backend write, no copy made.
  return ctx.backend.write(p);
}

/**
 * A transient entry becomes an entry on disk: its condition is checked here, and the version
 * goes on from the transient one.
 */
async function moveToDisk(
  ctx: StoreContext,
  p: PreparedSet,
  t: TransientEntry,
): Promise<WriteOutcome> {
  const refused = conditionHolds(p, t.row.version);
  if (refused !== undefined) return refused;
  const out = await ctx.backend.write({ ...specOf(p, false, t.row.version + 1), mode: 'upsert' });
  if (out.ok && ctx.transient.any(p.ck) === t) ctx.transient.remove(p.ck);
  return out;
}

/** What a successful write reports, and the `set` event it makes. */
export function afterWrite(
  ctx: StoreContext,
  p: PreparedSet,
  out: { version: number; created: boolean } | { version: null; created: null },
  source: WriteSource,
  startedAt: number,
): SetResult | undefined {
  ctx.wrote(p.ck);
  ctx.counters.writes++;
  if (p.agentId !== undefined) ctx.log(p.agentId, p.namespace, p.key, 'write', startedAt, true);
  // A write without its version read back is one no listener asked for (setBulk()).
  if (out.version === null) return undefined;
  if (ctx.events.listening('set')) {
    ctx.events.emit('set', {
      namespace: p.namespace,
      key: p.key,
      dataType: p.dataType,
      version: out.version,
      size: p.size,
      created: out.created,
      source,
      ...(p.agentId === undefined ? {} : { agentId: p.agentId }),
      durationMs: performance.now() - startedAt,
    });
  }
  return { success: true, version: out.version, size: p.size, expiresAt: p.expiresAt };
}

/** `set()`, and `atomic()`'s write (with its attempt number for the conflict event). */
export function set(
  ctx: StoreContext,
  key: unknown,
  value: unknown,
  options: SetOptions | undefined,
  source: WriteSource = 'set',
  attempt?: number,
): Promise<SetResult> {
  const startedAt = performance.now();
  const p = prepareSet(ctx, key, value, options);
  return writePrepared(ctx, p).then((out) => {
    if (out.ok) return afterWrite(ctx, p, out, source, startedAt)!;
    if (p.agentId !== undefined) ctx.log(p.agentId, p.namespace, p.key, 'write', startedAt, false);
    throw ctx.refused(
      p.namespace,
      p.key,
      out,
      source === 'atomic' ? 'atomic' : 'set',
      p.mode === 'cas' ? p.expect : p.mode === 'create' ? null : undefined,
      attempt === undefined ? undefined : { attempt },
    );
  });
}
