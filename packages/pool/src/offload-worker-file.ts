import { existsSync } from 'node:fs';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HiveDbError } from './errors.js';

let resolved: string | undefined;

/** This module's own file: dist/*.js (ESM), dist/*.cjs (CJS), src/*.ts under vitest. */
function selfFile(): string {
  // The CJS build has __filename; ESM (the build and vitest) has import.meta.url.
  return typeof __filename === 'string' ? __filename : fileURLToPath(import.meta.url);
}

/**
 * The offload worker's script, beside the running module and in its format: dist/offload-worker.js
 * for the ESM build, dist/offload-worker.cjs for the CJS build. From the TypeScript sources (the
 * package's own tests), the built dist/offload-worker.js: Node cannot start a .ts worker, and the
 * test task builds the package first. Throws POOL_OPEN_FAILED when the file is missing.
 */
export function offloadWorkerFile(): string {
  if (resolved !== undefined) return resolved;
  const self = selfFile();
  const dir = dirname(self);
  const ext = extname(self);
  const file =
    ext === '.cjs'
      ? join(dir, 'offload-worker.cjs')
      : ext === '.js' || ext === '.mjs'
        ? join(dir, 'offload-worker.js')
        : join(dir, '..', 'dist', 'offload-worker.js');
  if (!existsSync(file)) {
    throw new HiveDbError(
      'POOL_OPEN_FAILED',
      `the offload worker's script ${file} is missing${ext === '.ts' ? ': build the package first (pnpm --filter @hivedb/pool build)' : ''}`,
    );
  }
  resolved = file;
  return file;
}
