import { type Child, runChild, type SpawnChildOptions, spawnChild } from './child-process.js';
import type { TestStoreOptions } from './config.js';

/** The operations a store worker (another process on the same configuration) can run. */
export type StoreWorkerOp =
  | 'set'
  | 'delete'
  | 'get'
  | 'increment'
  | 'atomic'
  | 'crash-writer'
  | 'readonly-probe';

/** Arguments of a store worker's operation (plain JSON). */
export interface StoreWorkerArgs {
  readonly key?: string;
  readonly namespace?: string;
  readonly value?: unknown;
  readonly times?: number;
  readonly by?: number;
  readonly batchSize?: number;
  readonly first?: number;
  readonly keys?: readonly string[];
}

function argv(
  root: string,
  store: TestStoreOptions | undefined,
  op: StoreWorkerOp,
  args: StoreWorkerArgs,
) {
  return [root, JSON.stringify(store ?? {}), op, JSON.stringify(args)];
}

/**
 * Starts another process that opens a store on `root` with the same options and runs `op`
 * (`crash-writer` runs until killed, printing `committed <i>` after each batch's commit).
 */
export function startStoreWorker(
  root: string,
  store: TestStoreOptions | undefined,
  op: StoreWorkerOp,
  args: StoreWorkerArgs = {},
  options: SpawnChildOptions = {},
): Child {
  return spawnChild('store-worker', argv(root, store, op, args), options);
}

/** Runs `op` in another process to its end and resolves with its result. */
export function runStoreWorker<T = Record<string, unknown>>(
  root: string,
  store: TestStoreOptions | undefined,
  op: StoreWorkerOp,
  args: StoreWorkerArgs = {},
  options: SpawnChildOptions = {},
): Promise<T> {
  return runChild<T>('store-worker', argv(root, store, op, args), options);
}
