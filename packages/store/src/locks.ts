import type { LockState } from './backend.js';
import type { StoreContext } from './context.js';
import { invalidArgument, StoreError } from './errors.js';
import type { AcquireLockOptions, LockLease, RenewLockOptions } from './types.js';

function optionsObject<T>(options: T | undefined): Partial<T> {
  if (options === undefined) return {};
  if (options === null || typeof options !== 'object')
    throw invalidArgument('options', options, 'an object');
  return options;
}

function positiveMs(name: string, value: unknown, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= min) return value;
  throw invalidArgument(name, value, `an integer number of ms ≥ ${min}`);
}

function holderOf(ctx: StoreContext, agentId: unknown): string {
  if (agentId === undefined) throw invalidArgument('agentId', agentId, 'the agent taking the lock');
  return ctx.agent(agentId)!;
}

function held(
  namespace: string,
  key: string,
  state: LockState,
  code: 'STORE_LOCK_HELD' | 'STORE_LOCK_TIMEOUT',
  waited?: number,
) {
  const where = `${JSON.stringify(key)} in namespace ${JSON.stringify(namespace)}`;
  const message =
    code === 'STORE_LOCK_HELD'
      ? `the lock of ${where} is held by ${JSON.stringify(state.holder)} until ${state.expiresAt}`
      : `the lock of ${where} was still held by ${JSON.stringify(state.holder)} (until ${state.expiresAt}) after waiting ${waited} ms`;
  return new StoreError(code, message, {
    details: {
      namespace,
      key,
      holder: state.holder,
      expiresAt: state.expiresAt,
      ...(waited === undefined ? {} : { waited }),
    },
  });
}

/**
 * `acquireLock()`: takes the key's lease for `agentId` (a fresh fencing token, strictly larger
 * than any issued for the key before, by any process). A lock whose holder died is free once its
 * `expiresAt` passes. With `wait`, tries again after a backoff (doubling from `locks.retryMinMs`
 * to `locks.retryMaxMs`, full jitter) until `wait` ms have passed.
 */
export async function acquireLock(
  ctx: StoreContext,
  keyInput: unknown,
  agentId: unknown,
  options: AcquireLockOptions | undefined,
  stillOpen: () => void,
): Promise<LockLease> {
  const o = optionsObject(options);
  const namespace = ctx.namespace(o.namespace);
  const key = ctx.key(keyInput);
  const holder = holderOf(ctx, agentId);
  const ttl = positiveMs('ttl', o.ttl, ctx.opts.locks.ttl, 1);
  const wait = positiveMs('wait', o.wait, 0, 0);
  const { retryMinMs, retryMaxMs } = ctx.opts.locks;
  const started = performance.now();
  for (let attempt = 0; ; attempt++) {
    const now = ctx.now();
    const out = await ctx.backend.acquireLock(namespace, key, holder, now, now + ttl);
    if (out.ok) return { token: out.token, expiresAt: out.expiresAt };
    const waited = performance.now() - started;
    if (wait === 0) throw held(namespace, key, out, 'STORE_LOCK_HELD');
    if (waited >= wait) throw held(namespace, key, out, 'STORE_LOCK_TIMEOUT', Math.round(waited));
    const ceiling = Math.min(retryMaxMs, retryMinMs * 2 ** attempt);
    // Never past the holder's expiry or the end of `wait` by more than one step.
    const delay = Math.min(wait - waited, Math.max(1, Math.random() * ceiling));
    // Not unref'd: the caller awaits it, and it ends within `wait`.
    await new Promise((resolve) => setTimeout(resolve, delay));
    stillOpen();
  }
}

/** `releaseLock()`: true when `agentId` held the key's live lock and released it. */
export function releaseLock(
  ctx: StoreContext,
  keyInput: unknown,
  agentId: unknown,
  options: { readonly namespace?: string } | undefined,
): Promise<boolean> {
  const o = optionsObject(options);
  const namespace = ctx.namespace(o.namespace);
  const key = ctx.key(keyInput);
  const holder = holderOf(ctx, agentId);
  return ctx.backend.releaseLock(namespace, key, holder, ctx.now());
}

/** `renewLock()`: the same token, expiring `ttl` from now; `STORE_LOCK_NOT_HELD` when the lease is gone. */
export async function renewLock(
  ctx: StoreContext,
  keyInput: unknown,
  agentId: unknown,
  options: RenewLockOptions | undefined,
): Promise<LockLease> {
  const o = optionsObject(options);
  const namespace = ctx.namespace(o.namespace);
  const key = ctx.key(keyInput);
  const holder = holderOf(ctx, agentId);
  const ttl = positiveMs('ttl', o.ttl, ctx.opts.locks.ttl, 1);
  const now = ctx.now();
  const out = await ctx.backend.renewLock(namespace, key, holder, now, now + ttl);
  if (out.ok) return { token: out.token, expiresAt: out.expiresAt };
  throw new StoreError(
    'STORE_LOCK_NOT_HELD',
    `${JSON.stringify(holder)} does not hold the lock of ${JSON.stringify(key)} in namespace ${JSON.stringify(namespace)} (it expired or was released${out.holder !== null && (out.expiresAt ?? 0) > now ? `; ${JSON.stringify(out.holder)} holds it now` : ''})`,
    { details: { namespace, key, holder: out.holder, expiresAt: out.expiresAt } },
  );
}
