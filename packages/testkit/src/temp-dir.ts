import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A temp folder; `remove()` deletes it with everything in it (idempotent). */
export interface TempDir {
  /** The folder's real path (symlinks resolved, so path-safety checks see it as it is). */
  readonly path: string;
  remove(): void;
}

/**
 * Makes a fresh folder under the OS temp folder.
 *
 * @example
 * const dir = createTempDir();
 * try { const store = await openTestStore(dir.path); … } finally { dir.remove(); }
 */
export function createTempDir(prefix = 'hivedb-testkit-'): TempDir {
  const path = realpathSync(mkdtempSync(join(tmpdir(), prefix)));
  let removed = false;
  return {
    path,
    remove() {
      if (removed) return;
      removed = true;
      rmSync(path, { recursive: true, force: true, maxRetries: 3 });
    },
  };
}
