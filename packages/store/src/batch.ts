import { invalidArgument } from './errors.js';
import type { BatchCheck, BatchResult, DeleteOptions, SetOptions } from './types.js';

/** A queued batch operation, before validation. */
export type QueuedOp =
  | {
      readonly op: 'set';
      readonly key: unknown;
      readonly value: unknown;
      readonly options: SetOptions | undefined;
    }
  | { readonly op: 'delete'; readonly key: unknown; readonly options: DeleteOptions | undefined };

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
