import { existsSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { type Child, spawnChild } from '../child-process.js';
import { TestkitError } from '../errors.js';

/** A child process holding SQLite's write lock on a database. */
export interface WriteLockHolder {
  readonly child: Child;
  /** Resolves with `Date.now()` in the child just after its COMMIT (never, for `'forever'`). */
  readonly committed: Promise<number>;
  /** SIGKILLs the holder: the lock is gone with it, nothing it wrote is committed. */
  release(): Promise<void>;
}

/**
 * Starts a child process that opens `dbPath` through `@hivedb/pool`, runs `BEGIN IMMEDIATE` and
 * holds the write lock for `ms` milliseconds (then commits and exits), or until released when
 * `ms` is `'forever'`. Resolves once the lock is held.
 *
 * @example
 * const holder = await holdWriteLock(join(root, '.hive-mind', 'memory.db'), 500);
 * await store.set('k', 1); // waits (busy_timeout + retries) and succeeds after the holder commits
 */
export async function holdWriteLock(
  dbPath: string,
  ms: number | 'forever',
): Promise<WriteLockHolder> {
  if (!isAbsolute(dbPath) || !existsSync(dbPath))
    throw new TestkitError(
      'TESTKIT_INVALID_ARGUMENT',
      `holdWriteLock: ${dbPath} is not an absolute path to an existing database`,
    );
  if (ms !== 'forever' && !(Number.isSafeInteger(ms) && ms >= 0))
    throw new TestkitError(
      'TESTKIT_INVALID_ARGUMENT',
      `holdWriteLock: ms ${ms} is not an integer ≥ 0`,
    );
  const child = spawnChild('lock-holder', [dbPath, String(ms)]);
  try {
    await child.waitForLine((l) => l === 'ready');
  } catch (err) {
    await child.kill();
    throw err;
  }
  const committed =
    ms === 'forever'
      ? new Promise<number>(() => {})
      : child
          .waitForLine((l) => l.startsWith('committed '), ms + 20_000)
          .then((l) => Number(l.split(' ')[1]));
  // An unobserved rejection (the holder killed by `release()`) must not fail the test run.
  committed.catch(() => {});
  return { child, committed, release: () => child.kill() };
}
