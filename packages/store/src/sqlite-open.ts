import path from 'node:path';
import { createPool, type Pool } from '@hivedb/pool';
import { inspectDatabase, Migrator } from '@hivedb/schema';
import type { StoreBackend } from './backend.js';
import { StoreError } from './errors.js';
import { HIVE_POOL } from './option-checks.js';
import type { StorePoolOptions } from './options.js';
import { SqliteBackend } from './sqlite-backend.js';

/** What `openSqliteBackend` needs. */
export interface SqliteBackendOptions {
  /** The `.hive-mind` folder. */
  readonly root: string;
  readonly pool: StorePoolOptions;
  readonly migrationBackup: boolean | string;
  /** Open `memory.db` read-only and `hive.db` not at all; create, migrate and write nothing. */
  readonly readonly: boolean;
}

/**
 * Opens `memory.db` and `hive.db` under `root` through `@hivedb/pool` and migrates both with
 * `@hivedb/schema`'s runner; or, `readonly`, opens an existing `memory.db` at this version's
 * migrations read-only (`STORE_NO_DATABASE`, `STORE_SCHEMA_MISMATCH`). Throws `STORE_OPEN_FAILED`
 * (with the cause) for anything else, and leaves nothing open.
 */
export async function openSqliteBackend(opts: SqliteBackendOptions): Promise<StoreBackend> {
  const pools: Pool[] = [];
  try {
    if (opts.readonly) {
      await checkReadonly(path.join(opts.root, 'memory.db'));
      const memory = createPool({
        ...opts.pool,
        filename: 'memory.db',
        root: opts.root,
        readonly: true,
      });
      return new SqliteBackend(memory, null);
    }
    const memory = createPool({ ...opts.pool, filename: 'memory.db', root: opts.root });
    pools.push(memory);
    // hive.db takes only the buffered access log: a writer and one reader are plenty.
    const hive = createPool({ ...opts.pool, ...HIVE_POOL, filename: 'hive.db', root: opts.root });
    pools.push(hive);
    await new Migrator(memory, { database: 'memory', backup: opts.migrationBackup }).migrate();
    await new Migrator(hive, { database: 'hive', backup: opts.migrationBackup }).migrate();
    return new SqliteBackend(memory, hive);
  } catch (err) {
    await Promise.allSettled(pools.map((p) => p.close()));
    if (err instanceof StoreError) throw err;
    const code = (err as { code?: unknown }).code;
    throw new StoreError(
      'STORE_OPEN_FAILED',
      `could not open the store's databases in ${opts.root}: ${err instanceof Error ? err.message : String(err)}`,
      { cause: err, details: { root: opts.root, ...(typeof code === 'string' ? { code } : {}) } },
    );
  }
}

/**
 * A read-only store opens only a `memory.db` that exists and is at this version's migrations:
 * it can neither create nor migrate one. The file is inspected read-only, without the checks
 * that read every page (`@hivedb/schema`'s `inspectDatabase`, `integrity: false`).
 */
async function checkReadonly(file: string): Promise<void> {
  const report = await inspectDatabase(file, 'memory', { integrity: false });
  const problems = report.problems.map((p) => ({ code: p.code, message: p.message }));
  if (problems.some((p) => p.code === 'missing'))
    throw new StoreError(
      'STORE_NO_DATABASE',
      `there is no database at ${file} (a readonly store never creates one)`,
      { details: { path: file } },
    );
  if (problems.some((p) => p.code === 'unreadable'))
    throw new StoreError(
      'STORE_OPEN_FAILED',
      `could not open ${file} read-only: ${problems.map((p) => p.message).join('; ')}`,
      { details: { path: file, problems } },
    );
  const pending = report.migrations?.pending.map((p) => p.tag) ?? [];
  if (problems.length === 0 && pending.length > 0)
    problems.push({
      code: 'schema-mismatch',
      message: `it needs migration(s) ${pending.join(', ')}, which a readonly store cannot apply (open it once read-write)`,
    });
  if (problems.length > 0)
    throw new StoreError(
      'STORE_SCHEMA_MISMATCH',
      `${file} is not a memory.db of this version: ${problems.map((p) => p.message).join('; ')}; it was not changed`,
      { details: { path: file, problems, pending } },
    );
}
