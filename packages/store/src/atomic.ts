import type { StoreContext } from './context.js';
import { StoreError } from './errors.js';
import { readEntry } from './read.js';
import type { AtomicOptions } from './types.js';
import { checkVersion } from './validate.js';
import { set } from './write.js';

/** What `atomic()`'s function is given besides the value. */
export interface AtomicInfo {
  readonly found: boolean;
  readonly version: number | null;
}

/**
 * `atomic()`: read, apply `fn` to a fresh copy, write with compare-and-set (`ifAbsent` when there
 * was no entry); on a conflict back off (full jitter) and run `fn` again, up to `maxAttempts`.
 * `stillOpen` throws when the store was shut down during a backoff.
 */
export async function atomic<T>(
  ctx: StoreContext,
  keyInput: string,
  fn: (current: T | null, info: AtomicInfo) => T | Promise<T>,
  options: AtomicOptions | undefined,
  stillOpen: () => void,
): Promise<T> {
  if (typeof fn !== 'function')
    throw new StoreError('STORE_INVALID_ARGUMENT', 'atomic() needs a function');
  const { maxAttempts: maxInput, ...setOptions } = options ?? {};
  const maxAttempts =
    maxInput === undefined ? ctx.opts.atomic.maxAttempts : checkVersion(maxInput, 'maxAttempts');
  const namespace = ctx.namespace(setOptions.namespace);
  const key = ctx.key(keyInput);
  const { initialDelayMs, maxDelayMs } = ctx.opts.atomic;
  for (let attempt = 1; ; attempt++) {
    const found = await readEntry(ctx, namespace, key, `${namespace}\0${key}`, ctx.now(), false);
    // A fresh copy: `fn` may change it in place (the cached value is frozen).
    const current = found === null ? null : (JSON.parse(found.row.value) as T);
    const version = found === null ? null : found.row.version;
    const next = await fn(current, { found: found !== null, version });
    if (next === undefined) return next;
    const condition = version === null ? { ifAbsent: true } : { version };
    try {
      await set(ctx, key, next, { ...setOptions, namespace, ...condition }, 'atomic', attempt);
      return next;
    } catch (err) {
      if ((err as StoreError).code !== 'STORE_VERSION_CONFLICT') throw err;
      if (attempt >= maxAttempts) {
        throw new StoreError(
          'STORE_VERSION_CONFLICT',
          `atomic() gave up after ${attempt} attempts: ${(err as Error).message}`,
          { cause: err, details: { ...(err as StoreError).details, attempts: attempt } },
        );
      }
      const ceiling = Math.min(maxDelayMs, initialDelayMs * 2 ** (attempt - 1));
      // Not unref'd: the caller awaits it, and it ends within maxDelayMs.
      await new Promise((resolve) => setTimeout(resolve, Math.random() * ceiling));
      stillOpen();
    }
  }
}
