import type { StoreContext } from './context.js';
import { invalidArgument, StoreError } from './errors.js';
import { deepFreeze } from './read-cache.js';
import type { DeleteOptions, IncrementOptions, NamespaceOptions, TouchResult } from './types.js';
import { checkDataType, checkTtl, checkVersion } from './validate.js';

function optionsObject<T>(options: T | undefined): Partial<T> {
  if (options === undefined) return {};
  if (options === null || typeof options !== 'object')
    throw invalidArgument('options', options, 'an object');
  return options;
}

/** `delete()`: true when a live entry was deleted. */
export async function remove(
  ctx: StoreContext,
  keyInput: unknown,
  options: DeleteOptions | undefined,
): Promise<boolean> {
  const startedAt = performance.now();
  const o = optionsObject(options);
  const namespace = ctx.namespace(o.namespace);
  const key = ctx.key(keyInput);
  const agentId = o.agentId === undefined ? undefined : ctx.agent(o.agentId);
  const expect = o.version === undefined ? undefined : checkVersion(o.version);
  const now = ctx.now();
  const ck = `${namespace}\0${key}`;
  let existed: boolean;
  const t = ctx.transient.size > 0 ? ctx.transient.live(ck, now) : undefined;
  if (t !== undefined) {
    if (expect !== undefined && t.row.version !== expect)
      throw ctx.refused(
        namespace,
        key,
        { ok: false, reason: 'version', current: t.row.version },
        'delete',
        expect,
      );
    ctx.transient.remove(ck);
    existed = true;
  } else {
    const out = await ctx.backend.remove({
      namespace,
      key,
      now,
      ...(expect === undefined ? {} : { expect }),
      guarded: false,
    });
    if (!out.ok) {
      if (agentId !== undefined) ctx.log(agentId, namespace, key, 'delete', startedAt, false);
      throw ctx.refused(namespace, key, out, 'delete', expect);
    }
    existed = out.existed;
  }
  ctx.wrote(ck);
  if (existed) ctx.counters.deletes++;
  if (agentId !== undefined) ctx.log(agentId, namespace, key, 'delete', startedAt, true);
  if (ctx.events.listening('delete')) {
    ctx.events.emit('delete', {
      namespace,
      key,
      existed,
      source: 'delete',
      ...(agentId === undefined ? {} : { agentId }),
      durationMs: performance.now() - startedAt,
    });
  }
  return existed;
}

/** `touch()`: gives a live entry a new TTL (`null`: none). Its value and version stay. */
export async function touch(
  ctx: StoreContext,
  keyInput: unknown,
  ttlInput: unknown,
  options: NamespaceOptions | undefined,
): Promise<TouchResult> {
  const o = optionsObject(options);
  const namespace = ctx.namespace(o.namespace);
  const key = ctx.key(keyInput);
  const ttl = checkTtl(ttlInput);
  const now = ctx.now();
  const expiresAt = ttl === null ? null : now + ttl;
  const ck = `${namespace}\0${key}`;
  const t = ctx.transient.size > 0 ? ctx.transient.live(ck, now) : undefined;
  if (t !== undefined) {
    t.row = { ...t.row, expiresAt };
    ctx.wrote(ck);
    return { found: true, expiresAt };
  }
  const found = await ctx.backend.touch(namespace, key, expiresAt, now);
  ctx.wrote(ck);
  return { found, expiresAt: found ? expiresAt : null };
}

const MAX_SAFE = Number.MAX_SAFE_INTEGER;

/** `increment()`: adds `by` to an integer counter atomically (creating it at `by`); resolves to the new value. */
export async function increment(
  ctx: StoreContext,
  keyInput: unknown,
  byInput: unknown,
  options: IncrementOptions | undefined,
): Promise<number> {
  const startedAt = performance.now();
  const o = optionsObject(options);
  const namespace = ctx.namespace(o.namespace);
  const key = ctx.key(keyInput);
  const by = byInput === undefined ? 1 : byInput;
  if (typeof by !== 'number' || !Number.isSafeInteger(by))
    throw invalidArgument('by', by, 'a safe integer');
  const dataType = o.dataType === undefined ? 'persistent' : checkDataType(o.dataType);
  const ttl = checkTtl(o.ttl);
  const agentId = o.agentId === undefined ? undefined : ctx.agent(o.agentId);
  const now = ctx.now();
  const expiresAt = ttl === null ? null : now + ttl;
  const ck = `${namespace}\0${key}`;

  let value: number;
  let version: number;
  let created: boolean;
  let type: string = dataType;
  let t = ctx.transient.size > 0 ? ctx.transient.live(ck, now) : undefined;
  if (t === undefined && dataType === 'transient') {
    const row = await ctx.backend.read(namespace, key);
    const live = row !== undefined && (row.expiresAt === null || row.expiresAt > now);
    // An existing counter on disk stays where it is; only a new one is created in memory.
    if (!live) {
      ctx.transient.put(ck, {
        namespace,
        key,
        row: {
          value: '0',
          dataType: 'transient',
          version: 0,
          expiresAt,
          metadata: null,
          createdAt: now,
          updatedAt: now,
          size: 1,
          accessCount: 0,
          lastAccessed: null,
        },
        value: 0,
        reads: 0,
        lastRead: null,
      });
      t = ctx.transient.live(ck, now);
    }
  }
  if (t !== undefined) {
    const current = t.value;
    if (
      typeof current !== 'number' ||
      !Number.isSafeInteger(current) ||
      Math.abs(current + by) > MAX_SAFE
    )
      throw notANumber(namespace, key, t.row.value);
    value = current + by;
    version = t.row.version + 1;
    created = t.row.version === 0;
    type = t.row.dataType;
    const text = String(value);
    t.row = {
      ...t.row,
      value: text,
      version,
      size: text.length,
      updatedAt: Math.max(now, t.row.createdAt),
      expiresAt: ttl === null ? t.row.expiresAt : expiresAt,
    };
    t.value = deepFreeze(value);
  } else {
    const out = await ctx.backend.increment(namespace, key, by, {
      dataType,
      now,
      expiresAt,
      setExpiry: ttl !== null,
      baseVersion: 1,
    });
    if (!out.ok) throw notANumber(namespace, key, out.current);
    value = out.value;
    version = out.version;
    created = out.created;
  }
  ctx.wrote(ck);
  ctx.counters.writes++;
  if (agentId !== undefined) ctx.log(agentId, namespace, key, 'write', startedAt, true);
  if (ctx.events.listening('set')) {
    ctx.events.emit('set', {
      namespace,
      key,
      dataType: (created ? dataType : type) as typeof dataType,
      version,
      size: String(value).length,
      created,
      source: 'increment',
      ...(agentId === undefined ? {} : { agentId }),
      durationMs: performance.now() - startedAt,
    });
  }
  return value;
}

function notANumber(namespace: string, key: string, current: string): StoreError {
  const shown = current.length > 60 ? `${current.slice(0, 60)}…` : current;
  return new StoreError(
    'STORE_NOT_A_NUMBER',
    `${JSON.stringify(key)} in namespace ${JSON.stringify(namespace)} holds ${shown}: increment() needs an integer, and a result within ±Number.MAX_SAFE_INTEGER`,
    { details: { namespace, key } },
  );
}

/** `clear()`: deletes every entry of a namespace (of every namespace when none is given). */
export async function clear(
  ctx: StoreContext,
  options: NamespaceOptions | undefined,
): Promise<number> {
  const startedAt = performance.now();
  const o = optionsObject(options);
  const namespace = o.namespace === undefined ? undefined : ctx.namespace(o.namespace);
  const now = ctx.now();
  const onDisk = await ctx.backend.clear(namespace, now);
  const inMemory = ctx.transient.clear(namespace, now);
  ctx.epoch++;
  ctx.cache?.dropNamespace(namespace);
  const deleted = onDisk + inMemory;
  ctx.counters.deletes += deleted;
  if (ctx.events.listening('clear'))
    ctx.events.emit('clear', {
      namespace: namespace ?? null,
      deleted,
      durationMs: performance.now() - startedAt,
    });
  return deleted;
}
