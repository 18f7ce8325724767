import type { SharedMemoryStore } from '@hivedb/store';
import { CliError } from './errors.js';

/** The store methods of the #7 contract the CLI uses when the installed store has them. */
export type StoreFeature =
  | 'backup'
  | 'restore'
  | 'export'
  | 'import'
  | 'acquireLock'
  | 'releaseLock'
  | 'subscribe';

/** Whether the installed `@hivedb/store` provides `method`. */
export function hasFeature(store: SharedMemoryStore, method: StoreFeature): boolean {
  return typeof (store as unknown as Record<string, unknown>)[method] === 'function';
}

/** `store[method]`, bound, or `CLI_NOT_AVAILABLE` (exit 1) when this store version lacks it. */
export function feature<F extends (...args: never[]) => unknown>(
  store: SharedMemoryStore,
  method: StoreFeature,
): F {
  const fn = (store as unknown as Record<string, unknown>)[method];
  if (typeof fn !== 'function')
    throw new CliError(
      'CLI_NOT_AVAILABLE',
      `${method} is not available in this @hivedb/store version`,
    );
  return (fn as F).bind(store) as F;
}
