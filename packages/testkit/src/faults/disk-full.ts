import { statSync } from 'node:fs';
import { TestkitError } from '../errors.js';
import { pageSizeOf } from './files.js';

/**
 * Pool pragmas that cap a database at its current size plus `headroomPages` pages, with
 * SQLite's `max_page_count`: a write that needs more fails with `SQLITE_FULL`, as on a full
 * disk. Checkpoint first (the size is read from the main file); pass the result as
 * `pragmas` (of a pool) or `pool: { pragmas }` (of a store).
 *
 * @example
 * const pragmas = diskFullPragmas(join(root, '.hive-mind', 'memory.db'), 4);
 * const store = await openTestStore(root, { pool: { pragmas } });
 */
export function diskFullPragmas(dbPath: string, headroomPages = 0): { max_page_count: number } {
  if (!Number.isSafeInteger(headroomPages) || headroomPages < 0)
    throw new TestkitError(
      'TESTKIT_INVALID_ARGUMENT',
      `diskFullPragmas: headroomPages ${headroomPages} is not an integer ≥ 0`,
    );
  const pages = Math.ceil(statSync(dbPath).size / pageSizeOf(dbPath));
  return { max_page_count: pages + headroomPages };
}
