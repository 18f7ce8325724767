import { existsSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import type { Transaction } from '@hivedb/pool';
import { spawnChild } from '../child-process.js';
import type { TestPoolOptions } from '../config.js';
import { TestkitError } from '../errors.js';

/** Options of `killDuring`. */
export interface KillDuringOptions<A> {
  /** The database the child writes to (absolute path; the folder is the pool's root). */
  readonly dbPath: string;
  /** JSON arguments handed to `fn` in the child. */
  readonly args?: A;
  /** Pool options of the child's pool (plain JSON). */
  readonly pool?: TestPoolOptions;
}

/** What happened to the child `killDuring` started. */
export interface KillDuringResult {
  readonly pid: number;
  readonly signal: NodeJS.Signals | null;
}

/**
 * Runs `fn(tx, args)` inside a write transaction (`BEGIN IMMEDIATE`) in a child process, and
 * SIGKILLs the child once `fn` has returned and before the transaction commits: the crash lands
 * in the middle of a write transaction, for sure. `fn` is sent as source text, so it must not
 * use anything from its closure (pass data through `args`); it may be async.
 *
 * @example
 * await killDuring((tx, { n }) => { for (let i = 0; i < n; i++) tx.run('INSERT INTO t VALUES (?)', [i]); },
 *   { dbPath, args: { n: 1000 } });
 * // nothing of the 1000 rows is visible; integrity_check is ok
 */
export async function killDuring<A = unknown>(
  fn: (tx: Transaction, args: A) => unknown,
  options: KillDuringOptions<A>,
): Promise<KillDuringResult> {
  if (typeof fn !== 'function')
    throw new TestkitError('TESTKIT_INVALID_ARGUMENT', 'killDuring: fn must be a function');
  if (!isAbsolute(options.dbPath) || !existsSync(options.dbPath))
    throw new TestkitError(
      'TESTKIT_INVALID_ARGUMENT',
      `killDuring: ${options.dbPath} is not an absolute path to an existing database`,
    );
  const child = spawnChild('kill-during', [
    options.dbPath,
    fn.toString(),
    JSON.stringify(options.args ?? null),
    JSON.stringify(options.pool ?? {}),
  ]);
  try {
    await child.waitForLine((l) => l === 'in-transaction', 30_000);
  } finally {
    await child.kill();
  }
  const { signal } = await child.exited;
  return { pid: child.pid, signal };
}
