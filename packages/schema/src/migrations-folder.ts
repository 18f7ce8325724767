import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The two databases whose definitions and migrations this package ships. */
export type DatabaseName = 'memory' | 'hive';

/**
 * The folder that holds drizzle-kit's output for `database` inside this package
 * (`<package>/migrations/<database>`), found relative to the running module so that it works from
 * `src/` (tests), `dist/index.js` (ESM) and `dist/index.cjs` (CJS; tsup's `shims` supplies
 * `import.meta.url` there), including when the package is installed from npm.
 *
 * @example
 * packagedMigrationsFolder('memory'); // → /…/node_modules/@hivedb/schema/migrations/memory
 */
export function packagedMigrationsFolder(database: DatabaseName): string {
  // Both src/ and dist/ sit one level below the package root, beside migrations/.
  const here = path.dirname(fileURLToPath(import.meta.url));
  return path.resolve(here, '..', 'migrations', database);
}
