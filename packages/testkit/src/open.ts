import { createPool, type Pool, type PoolOptions } from '@hivedb/pool';
import { Migrator } from '@hivedb/schema';
import { SharedMemoryStore, type StoreOptions } from '@hivedb/store';

/** Options of `openTestPool`: any pool option; `filename` defaults to `test.db`. */
export type OpenTestPoolOptions = Omit<PoolOptions, 'root' | 'filename'> & {
  readonly filename?: string;
  /** Migrate the file to the newest migration of this database first. Default: no migration. */
  readonly migrate?: 'memory' | 'hive';
};

/**
 * A pool on `<root>/<filename>` (default `test.db`), with the health timer off unless given.
 *
 * @example
 * const pool = await openTestPool(dir.path, { filename: 'memory.db', migrate: 'memory' });
 */
export async function openTestPool(root: string, options: OpenTestPoolOptions = {}): Promise<Pool> {
  const { migrate, filename = 'test.db', ...rest } = options;
  const pool = createPool({ healthCheckInterval: 0, ...rest, filename, root });
  if (migrate !== undefined) {
    try {
      await new Migrator(pool, { database: migrate, backup: false }).migrate();
    } catch (err) {
      await pool.close();
      throw err;
    }
  }
  return pool;
}

/**
 * A store whose project root is `root`: both `memory.db` and `hive.db` are created and migrated
 * to the newest migration under `<root>/.hive-mind/`. The sweeper is off unless given.
 *
 * @example
 * const store = await openTestStore(dir.path, { clock: clock.now });
 */
export function openTestStore(
  root: string,
  options: Omit<StoreOptions, 'projectRoot'> = {},
): Promise<SharedMemoryStore> {
  return SharedMemoryStore.open({ gcInterval: 0, ...options, projectRoot: root });
}
