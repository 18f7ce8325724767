import type { SQLiteTable } from 'drizzle-orm/sqlite-core';
import { SchemaError } from './errors.js';
import type { DatabaseName } from './migrations-folder.js';

/**
 * Which migration a run goes to: a tag (`'0001_add_locks'`), its four-digit prefix (`'0001'`),
 * its journal index (`1`), or `null` for "before the first migration".
 */
export type MigrationTarget = string | number | null;

/** Where the online backup taken before a migration goes: `true` beside the database, a folder, or `false` for none. */
export type BackupOption = boolean | string;

/** Options of `new Migrator(pool, options)`. Give `database` or `migrationsFolder`. */
export interface MigratorOptions {
  /** Use this package's migrations for `memory.db` or `hive.db`. */
  readonly database?: DatabaseName;
  /** A drizzle-kit migrations folder of your own (overrides `database`'s). */
  readonly migrationsFolder?: string;
  /** Backup before a run that changes the database. Default `true`: `<file>.<time>.backup` beside it. */
  readonly backup?: BackupOption;
  /** How long to wait for another process's write lock at each `BEGIN IMMEDIATE` (ms). Default 10000. */
  readonly lockTimeoutMs?: number;
}

/** Options of `migrator.migrate()`. */
export interface MigrateOptions {
  /** The last migration to apply. Default: the newest. Migrations after it are left as they are. */
  readonly to?: MigrationTarget;
  /** Overrides the migrator's `backup` for this run. */
  readonly backup?: BackupOption;
}

/** Options of `migrator.rollback()`. */
export interface RollbackOptions {
  /** The migration to leave applied; every applied migration after it is reverted, newest first. `null`: revert all. */
  readonly to: MigrationTarget;
  /** Overrides the migrator's `backup` for this run. */
  readonly backup?: BackupOption;
}

/** The Drizzle tables a live schema is compared with: a packaged database's name, the tables, or `false` to skip. */
export type DefinitionsOption =
  | DatabaseName
  | Readonly<Record<string, SQLiteTable>>
  | readonly SQLiteTable[]
  | false;

/** Options of `validateIntegrity(pool, options)`. */
export interface IntegrityOptions {
  /** `quick_check` (O(N), skips index cross-checks) instead of `integrity_check`. Default false. */
  readonly quick?: boolean;
  /** What the live schema must match. Default `false` (no comparison). */
  readonly definitions?: DefinitionsOption;
}

/** Options of `inspectDatabase(file, database, options)`. */
export interface InspectOptions {
  /** `quick_check` (O(N), skips index cross-checks) instead of `integrity_check`. Default false. */
  readonly quick?: boolean;
  /**
   * `false` skips `integrity_check` / `quick_check` and `foreign_key_check`, which read every
   * page: only the file, its migration record and its schema are checked (a read-only open does
   * this). Default true.
   */
  readonly integrity?: boolean;
}

/** Options of `optimize(pool, options)`. */
export interface OptimizeOptions {
  /** Run `ANALYZE` (full statistics) besides `PRAGMA optimize`. Default true. */
  readonly analyze?: boolean;
  /**
   * `'full'`: `VACUUM` (rewrites the file; also turns `auto_vacuum=INCREMENTAL` on);
   * `'incremental'`: `PRAGMA incremental_vacuum` (frees the freelist; needs `auto_vacuum=INCREMENTAL`);
   * `false`: neither. Default `'incremental'`.
   */
  readonly vacuum?: 'full' | 'incremental' | false;
  /** `PRAGMA wal_checkpoint(TRUNCATE)` at the end, so the file sizes reported are on disk. Default true. */
  readonly checkpoint?: boolean;
}

/** Options of `new DatabaseSchemaManager(connectionManager, options)`. */
export interface SchemaManagerOptions {
  /** Folder of `memory.db` and `hive.db`; passed to the connection manager's `createPool`. Default: the manager's own. */
  readonly root?: string;
  /** Names of the connection manager's pools for the two databases. Default `{ memory: 'memory', hive: 'hive' }`. */
  readonly pools?: { readonly memory?: string; readonly hive?: string };
  /** Backup before migrating (see `MigratorOptions.backup`). Default true. */
  readonly backup?: BackupOption;
  /** See `MigratorOptions.lockTimeoutMs`. Default 10000. */
  readonly lockTimeoutMs?: number;
}

/** Every option of this package with its default. */
export const DEFAULT_SCHEMA_OPTIONS = Object.freeze({
  migrator: Object.freeze({ backup: true as BackupOption, lockTimeoutMs: 10_000 }),
  integrity: Object.freeze({ quick: false, definitions: false as DefinitionsOption }),
  inspect: Object.freeze({ quick: false, integrity: true }),
  optimize: Object.freeze({
    analyze: true,
    vacuum: 'incremental' as 'full' | 'incremental' | false,
    checkpoint: true,
  }),
  manager: Object.freeze({ pools: Object.freeze({ memory: 'memory', hive: 'hive' }) }),
});

/** `MigratorOptions` with defaults applied. */
export interface ResolvedMigratorOptions {
  readonly migrationsFolder: string;
  readonly database: DatabaseName | null;
  readonly backup: BackupOption;
  readonly lockTimeoutMs: number;
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'function') return 'a function';
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return typeof value;
  }
}

/** A `SCHEMA_INVALID_OPTION` error that names the option and the value. */
export function invalidOption(option: string, value: unknown, expected: string): SchemaError {
  return new SchemaError(
    'SCHEMA_INVALID_OPTION',
    `invalid schema option ${option}: ${describe(value)} (expected ${expected})`,
    { details: { option, value } },
  );
}

function objectOf(
  name: string,
  input: unknown,
  allowed: readonly string[],
): Record<string, unknown> {
  if (input === undefined) return {};
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw invalidOption(name, input, 'an object');
  }
  for (const key of Object.keys(input)) {
    if (!allowed.includes(key))
      throw invalidOption(`${name}.${key}`, key, `one of ${allowed.join(', ')}`);
  }
  return input as Record<string, unknown>;
}

function checkBackup(name: string, value: unknown): BackupOption | undefined {
  if (value === undefined || typeof value === 'boolean') return value;
  if (typeof value === 'string' && value.length > 0 && !value.includes('\0')) return value;
  throw invalidOption(name, value, 'true, false or a folder path');
}

function checkTimeout(name: string, value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0) return value;
  throw invalidOption(name, value, 'an integer of milliseconds, 0 or more');
}

function checkDatabase(name: string, value: unknown): DatabaseName | undefined {
  if (value === undefined || value === 'memory' || value === 'hive') return value;
  throw invalidOption(name, value, "'memory' or 'hive'");
}

/** Applies defaults to `MigratorOptions`; `folderOf` maps a packaged database to its folder. */
export function resolveMigratorOptions(
  input: MigratorOptions,
  folderOf: (database: DatabaseName) => string,
): ResolvedMigratorOptions {
  const raw = objectOf('migrator', input, [
    'database',
    'migrationsFolder',
    'backup',
    'lockTimeoutMs',
  ]);
  const database = checkDatabase('database', raw.database);
  const folder = raw.migrationsFolder;
  if (folder !== undefined && (typeof folder !== 'string' || folder.length === 0)) {
    throw invalidOption('migrationsFolder', folder, 'a folder path');
  }
  const migrationsFolder =
    (folder as string | undefined) ?? (database ? folderOf(database) : undefined);
  if (migrationsFolder === undefined) {
    throw invalidOption('database', undefined, "'memory' or 'hive', or a migrationsFolder");
  }
  const d = DEFAULT_SCHEMA_OPTIONS.migrator;
  return {
    migrationsFolder,
    database: database ?? null,
    backup: checkBackup('backup', raw.backup) ?? d.backup,
    lockTimeoutMs: checkTimeout('lockTimeoutMs', raw.lockTimeoutMs) ?? d.lockTimeoutMs,
  };
}

/** Validates `migrate()` options. */
export function resolveMigrateOptions(input: MigrateOptions | undefined): MigrateOptions {
  const raw = objectOf('migrate', input, ['to', 'backup']);
  return { to: checkTarget('to', raw.to, true), backup: checkBackup('backup', raw.backup) };
}

/** Validates `rollback()` options: `to` is required (`null` reverts every migration). */
export function resolveRollbackOptions(input: RollbackOptions): RollbackOptions {
  const raw = objectOf('rollback', input, ['to', 'backup']);
  if (!('to' in raw)) throw invalidOption('to', undefined, 'a migration tag, index or null');
  const to = checkTarget('to', raw.to, false) as MigrationTarget;
  return { to, backup: checkBackup('backup', raw.backup) };
}

function checkTarget(name: string, value: unknown, optional: boolean): MigrationTarget | undefined {
  if (value === undefined && optional) return undefined;
  if (value === null || (typeof value === 'string' && value.length > 0)) return value;
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0) return value;
  throw invalidOption(name, value, 'a migration tag, its index, or null');
}

/** `IntegrityOptions` with defaults applied. */
export interface ResolvedIntegrityOptions {
  readonly quick: boolean;
  readonly definitions: DefinitionsOption;
}

/** Applies defaults to `IntegrityOptions`. */
export function resolveIntegrityOptions(
  input: IntegrityOptions | undefined,
): ResolvedIntegrityOptions {
  const raw = objectOf('validateIntegrity', input, ['quick', 'definitions']);
  const d = DEFAULT_SCHEMA_OPTIONS.integrity;
  if (raw.quick !== undefined && typeof raw.quick !== 'boolean')
    throw invalidOption('quick', raw.quick, 'true or false');
  const defs = raw.definitions;
  if (
    defs !== undefined &&
    defs !== false &&
    defs !== 'memory' &&
    defs !== 'hive' &&
    (defs === null || typeof defs !== 'object')
  ) {
    throw invalidOption('definitions', defs, "'memory', 'hive', Drizzle tables, or false");
  }
  return {
    quick: (raw.quick as boolean | undefined) ?? d.quick,
    definitions: (defs as DefinitionsOption | undefined) ?? d.definitions,
  };
}

/** Applies defaults to `InspectOptions`. */
export function resolveInspectOptions(input: InspectOptions | undefined): Required<InspectOptions> {
  const raw = objectOf('inspectDatabase', input, ['quick', 'integrity']);
  for (const key of ['quick', 'integrity'] as const)
    if (raw[key] !== undefined && typeof raw[key] !== 'boolean')
      throw invalidOption(key, raw[key], 'true or false');
  const d = DEFAULT_SCHEMA_OPTIONS.inspect;
  return {
    quick: (raw.quick as boolean | undefined) ?? d.quick,
    integrity: (raw.integrity as boolean | undefined) ?? d.integrity,
  };
}

/** `OptimizeOptions` with defaults applied. */
export type ResolvedOptimizeOptions = Required<OptimizeOptions>;

/** Applies defaults to `OptimizeOptions`. */
export function resolveOptimizeOptions(
  input: OptimizeOptions | undefined,
): ResolvedOptimizeOptions {
  const raw = objectOf('optimize', input, ['analyze', 'vacuum', 'checkpoint']);
  const d = DEFAULT_SCHEMA_OPTIONS.optimize;
  for (const key of ['analyze', 'checkpoint'] as const) {
    if (raw[key] !== undefined && typeof raw[key] !== 'boolean')
      throw invalidOption(key, raw[key], 'true or false');
  }
  if (
    raw.vacuum !== undefined &&
    raw.vacuum !== false &&
    raw.vacuum !== 'full' &&
    raw.vacuum !== 'incremental'
  ) {
    throw invalidOption('vacuum', raw.vacuum, "'full', 'incremental' or false");
  }
  return {
    analyze: (raw.analyze as boolean | undefined) ?? d.analyze,
    vacuum: (raw.vacuum as 'full' | 'incremental' | false | undefined) ?? d.vacuum,
    checkpoint: (raw.checkpoint as boolean | undefined) ?? d.checkpoint,
  };
}

/** `SchemaManagerOptions` with defaults applied. */
export interface ResolvedSchemaManagerOptions {
  readonly root: string | undefined;
  readonly pools: { readonly memory: string; readonly hive: string };
  readonly backup: BackupOption;
  readonly lockTimeoutMs: number;
}

/** Applies defaults to `SchemaManagerOptions`. */
export function resolveSchemaManagerOptions(
  input: SchemaManagerOptions | undefined,
): ResolvedSchemaManagerOptions {
  const raw = objectOf('DatabaseSchemaManager', input, [
    'root',
    'pools',
    'backup',
    'lockTimeoutMs',
  ]);
  if (raw.root !== undefined && (typeof raw.root !== 'string' || raw.root.length === 0)) {
    throw invalidOption('root', raw.root, 'a folder path');
  }
  const pools = objectOf('pools', raw.pools, ['memory', 'hive']);
  for (const key of ['memory', 'hive'] as const) {
    if (pools[key] !== undefined && (typeof pools[key] !== 'string' || pools[key] === '')) {
      throw invalidOption(`pools.${key}`, pools[key], 'a pool name');
    }
  }
  const d = DEFAULT_SCHEMA_OPTIONS;
  return {
    root: raw.root as string | undefined,
    pools: {
      memory: (pools.memory as string | undefined) ?? d.manager.pools.memory,
      hive: (pools.hive as string | undefined) ?? d.manager.pools.hive,
    },
    backup: checkBackup('backup', raw.backup) ?? d.migrator.backup,
    lockTimeoutMs: checkTimeout('lockTimeoutMs', raw.lockTimeoutMs) ?? d.migrator.lockTimeoutMs,
  };
}
