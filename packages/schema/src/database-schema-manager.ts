import type { DatabaseConnectionManager, Pool } from '@hivedb/pool';
import type { DatabaseName } from './migrations-folder.js';
import { Migrator } from './migrator.js';
import { optimize } from './optimize.js';
import {
  type MigrationTarget,
  type OptimizeOptions,
  type ResolvedSchemaManagerOptions,
  resolveSchemaManagerOptions,
  type SchemaManagerOptions,
} from './options.js';
import { schemaFor } from './schema-for.js';
import type {
  IntegrityReport,
  MigrateResult,
  MigrationStatus,
  OptimizeReport,
  RollbackResult,
} from './types.js';
import { validateIntegrity } from './validate-integrity.js';

const DATABASES: readonly DatabaseName[] = ['memory', 'hive'];

/** Targets of `DatabaseSchemaManager.migrate`, per database; a database left out goes to its newest migration. */
export interface SchemaTargets {
  readonly memory?: MigrationTarget;
  readonly hive?: MigrationTarget;
}

/** What `migrate()` did to one database: migrations applied (`up`) or reverted (`down`). */
export type SchemaMigration =
  | ({ readonly direction: 'up' } & MigrateResult)
  | ({ readonly direction: 'down' } & RollbackResult);

/** `validateIntegrity()` of both databases. */
export interface SchemaIntegrityReport {
  /** Both reports are clean. */
  readonly ok: boolean;
  readonly memory: IntegrityReport;
  readonly hive: IntegrityReport;
}

/**
 * The seed's `DatabaseSchemaManager`: `memory.db` and `hive.db` under one root, through the pools
 * of a `DatabaseConnectionManager` (named `memory` and `hive`; created with the manager's defaults
 * when they do not exist yet). A thin facade over `Migrator`, `validateIntegrity` and `optimize`.
 *
 * @example
 * const connections = new DatabaseConnectionManager({ root: '.hive-mind' });
 * const schemas = new DatabaseSchemaManager(connections);
 * await schemas.initializeSchemas();                 // creates or migrates both databases
 * const report = await schemas.validateIntegrity();  // report.ok
 * await schemas.optimize();
 * await connections.shutdown();
 */
export class DatabaseSchemaManager {
  readonly #connections: DatabaseConnectionManager;
  readonly #options: ResolvedSchemaManagerOptions;
  readonly #migrators = new Map<DatabaseName, Migrator>();

  constructor(connectionManager: DatabaseConnectionManager, options?: SchemaManagerOptions) {
    this.#connections = connectionManager;
    this.#options = resolveSchemaManagerOptions(options);
  }

  /** The pool of `memory.db` or `hive.db`, created on first use. */
  pool(database: DatabaseName): Pool {
    const name = this.#options.pools[database];
    if (this.#connections.hasPool(name)) return this.#connections.getPool(name);
    const root = this.#options.root;
    return this.#connections.createPool(name, {
      filename: schemaFor(database).filename,
      ...(root === undefined ? {} : { root }),
    });
  }

  /** The `Migrator` of one database, for `status()` and `rollback()`. */
  migrator(database: DatabaseName): Migrator {
    let migrator = this.#migrators.get(database);
    if (!migrator) {
      migrator = new Migrator(this.pool(database), {
        database,
        backup: this.#options.backup,
        lockTimeoutMs: this.#options.lockTimeoutMs,
      });
      this.#migrators.set(database, migrator);
    }
    return migrator;
  }

  /** Creates `memory.db` and `hive.db` if needed and migrates both to their newest migration (adopting the seed's layout). */
  async initializeSchemas(): Promise<Record<DatabaseName, MigrateResult>> {
    const memory = await this.migrator('memory').migrate();
    const hive = await this.migrator('hive').migrate();
    return { memory, hive };
  }

  /**
   * Moves each database to its target: forward with `migrate`, or back with the down files when
   * the target is older than what is applied. Without targets: both to their newest migration.
   */
  async migrate(target: SchemaTargets = {}): Promise<Record<DatabaseName, SchemaMigration>> {
    const out = {} as Record<DatabaseName, SchemaMigration>;
    for (const database of DATABASES) {
      const migrator = this.migrator(database);
      const to = target[database];
      const current = (await migrator.status()).applied.at(-1)?.index ?? -1;
      const goal = to === undefined ? Number.POSITIVE_INFINITY : migrator.indexOf(to);
      out[database] =
        goal < current
          ? { direction: 'down', ...(await migrator.rollback({ to: to ?? null })) }
          : { direction: 'up', ...(await migrator.migrate(to === undefined ? {} : { to })) };
    }
    return out;
  }

  /** Where each database stands: applied, pending, drifted. */
  async status(): Promise<Record<DatabaseName, MigrationStatus>> {
    return {
      memory: await this.migrator('memory').status(),
      hive: await this.migrator('hive').status(),
    };
  }

  /** `validateIntegrity` of both databases, each against its own definitions. */
  async validateIntegrity(
    options: { readonly quick?: boolean } = {},
  ): Promise<SchemaIntegrityReport> {
    const memory = await validateIntegrity(this.pool('memory'), {
      ...options,
      definitions: 'memory',
    });
    const hive = await validateIntegrity(this.pool('hive'), { ...options, definitions: 'hive' });
    return { ok: memory.ok && hive.ok, memory, hive };
  }

  /** `optimize` of both databases (default: ANALYZE, incremental vacuum, WAL checkpoint). */
  async optimize(options?: OptimizeOptions): Promise<Record<DatabaseName, OptimizeReport>> {
    return {
      memory: await optimize(this.pool('memory'), options),
      hive: await optimize(this.pool('hive'), options),
    };
  }
}
