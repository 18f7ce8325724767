import { existsSync } from 'node:fs';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HiveDbError } from './errors.js';

const resolved = new Map<string, string>();

/** This module's own file: dist/*.js (ESM), dist/*.cjs (CJS), src/*.ts under vitest. */
function selfFile(): string {
  // The CJS build has __filename; ESM (the build and vitest) has import.meta.url.
  return typeof __filename === 'string' ? __filename : fileURLToPath(import.meta.url);
}

/** The package's worker threads, each built as its own file (tsup.config.ts). */
export type WorkerName = 'offload-worker' | 'checkpointer-worker';

/**
 * A worker thread's script, beside the running module and in its format: dist/<name>.js for the
 * ESM build, dist/<name>.cjs for the CJS build. From the TypeScript sources (the package's own
 * tests), the built dist/<name>.js: Node cannot start a .ts worker, and the test task builds the
 * package first. Throws POOL_OPEN_FAILED when the file is missing.
 */
export function workerFile(name: WorkerName): string {
  const known = resolved.get(name);
  if (known !== undefined) return known;
  const self = selfFile();
  const dir = dirname(self);
  const ext = extname(self);
  const file =
    ext === '.cjs'
      ? join(dir, `${name}.cjs`)
      : ext === '.js' || ext === '.mjs'
        ? join(dir, `${name}.js`)
        : join(dir, '..', 'dist', `${name}.js`);
  if (!existsSync(file)) {
    throw new HiveDbError(
      'POOL_OPEN_FAILED',
      `the ${name} script ${file} is missing${ext === '.ts' ? ': build the package first (pnpm --filter @hivedb/pool build)' : ''}`,
    );
  }
  resolved.set(name, file);
  return file;
}
