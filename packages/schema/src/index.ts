/**
 * @hivedb/schema — the Drizzle tables of hivedb's two databases (`memory.db`, `hive.db`), the
 * drizzle-kit migrations that create them, and a migration runner that is safe for SQLite.
 * @packageDocumentation
 */
export { sharedMemory } from './tables/memory.js';
export { agentMemory, queryPerformance } from './tables/hive.js';
export { schemaFor, memoryTables, hiveTables } from './schema-for.js';
export type { SchemaDefinition, SchemaDefinitions } from './schema-for.js';
export { packagedMigrationsFolder } from './migrations-folder.js';
export type { DatabaseName } from './migrations-folder.js';
export { readMigrationFiles, readMigrationScript } from './migration-files.js';
export type { MigrationFile, MigrationScript } from './migration-files.js';
export { MIGRATIONS_TABLE } from './migration-record.js';
export { Migrator } from './migrator.js';
export { validateIntegrity } from './validate-integrity.js';
export { inspectDatabase } from './inspect-database.js';
export { optimize } from './optimize.js';
export { DatabaseSchemaManager } from './database-schema-manager.js';
export type {
  SchemaIntegrityReport,
  SchemaMigration,
  SchemaTargets,
} from './database-schema-manager.js';
export { SchemaError } from './errors.js';
export type { SchemaErrorCode } from './errors.js';
export {
  DEFAULT_SCHEMA_OPTIONS,
  resolveInspectOptions,
  resolveIntegrityOptions,
  resolveMigratorOptions,
  resolveOptimizeOptions,
  resolveSchemaManagerOptions,
} from './options.js';
export type {
  BackupOption,
  DefinitionsOption,
  InspectOptions,
  IntegrityOptions,
  MigrateOptions,
  MigrationTarget,
  MigratorOptions,
  OptimizeOptions,
  RollbackOptions,
  SchemaManagerOptions,
} from './options.js';
export type {
  DriftedMigration,
  FileSizes,
  ForeignKeyViolation,
  InspectionProblem,
  InspectionProblemCode,
  InspectionReport,
  IntegrityReport,
  MigrateResult,
  MigrationInfo,
  MigrationStatus,
  OptimizeReport,
  PendingMigration,
  RollbackResult,
  SchemaIssue,
  UnknownMigration,
} from './types.js';
