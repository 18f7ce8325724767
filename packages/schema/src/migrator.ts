import { performance } from 'node:perf_hooks';
import { type Pool, type SyncQueryable, sqliteCodeOf } from '@hivedb/pool';
import { backupDatabase } from './backup.js';
import { SchemaError } from './errors.js';
import { type MigrationFile, type MigrationScript, readMigrationFiles } from './migration-files.js';
import { migrationRecord } from './migration-record.js';
import { type MigrationState, readMigrationState, toStatus } from './migration-state.js';
import { packagedMigrationsFolder } from './migrations-folder.js';
import {
  type BackupOption,
  type MigrateOptions,
  type MigrationTarget,
  type MigratorOptions,
  type ResolvedMigratorOptions,
  type RollbackOptions,
  resolveMigrateOptions,
  resolveMigratorOptions,
  resolveRollbackOptions,
} from './options.js';
import { queryableOf, type RawDatabase } from './raw-connection.js';
import { inWriteTransaction } from './write-transaction.js';
import { enableIncrementalAutoVacuum } from './auto-vacuum.js';
import { adoptSeedLayout } from './seed-adoption.js';
import type { MigrateResult, MigrationStatus, RollbackResult } from './types.js';

/**
 * Applies, reverts and reports drizzle-kit migrations on one database of a `@hivedb/pool` pool.
 *
 * What it adds to drizzle-orm's own migrator, on the same `__drizzle_migrations` record:
 * - identity, not a high-water mark: every migration with no row is applied, even when a later
 *   one is there (merged out of order); a row whose file hash changed is drift and stops the run;
 * - one `BEGIN IMMEDIATE` transaction per migration: a failing one is rolled back whole and the
 *   database stays at the previous migration;
 * - table rebuilds (`PRAGMA foreign_keys=OFF` in the file) run with foreign keys switched off
 *   outside the transaction and `foreign_key_check` before commit;
 * - an online backup before changing a database that has data (unless `backup: false`);
 * - `rollback({ to })` with hand-written `<tag>.down.sql` files;
 * - adoption of a database in the seed's original layout, keeping every row.
 *
 * The run holds the pool's writer for its whole length, so no write of this process interleaves.
 *
 * @example
 * const pool = createPool({ filename: 'memory.db', root: '.hive-mind' });
 * const migrator = new Migrator(pool, { database: 'memory' });
 * await migrator.migrate();             // to the newest migration
 * (await migrator.status()).upToDate;   // true
 */
export class Migrator {
  readonly #pool: Pool;
  readonly #options: ResolvedMigratorOptions;

  constructor(pool: Pool, options: MigratorOptions) {
    this.#pool = pool;
    this.#options = resolveMigratorOptions(options, packagedMigrationsFolder);
  }

  /** The drizzle-kit migrations folder this migrator reads. */
  get migrationsFolder(): string {
    return this.#options.migrationsFolder;
  }

  /** The journal index of a target (`-1` for `null`); throws `SCHEMA_UNKNOWN_TARGET` when the folder has no such migration. */
  indexOf(to: MigrationTarget): number {
    return resolveTarget(readMigrationFiles(this.#options.migrationsFolder), to);
  }

  /** Applied, pending (out of order or not), drifted and unknown migrations, and whether the seed's layout awaits adoption. */
  async status(): Promise<MigrationStatus> {
    const files = readMigrationFiles(this.#options.migrationsFolder);
    const state = await this.#pool.read((db) => readMigrationState(db, files));
    return toStatus(state, files, this.#pool.filename, this.#options.migrationsFolder);
  }

  /**
   * Applies every pending migration up to `to` (default: all), in journal order, each in its own
   * transaction; adopts the seed's layout first when it finds it. Throws `SCHEMA_DRIFT` before
   * changing anything when a recorded migration's file changed or is gone.
   */
  async migrate(options?: MigrateOptions): Promise<MigrateResult> {
    const started = performance.now();
    const opts = resolveMigrateOptions(options);
    const files = readMigrationFiles(this.#options.migrationsFolder);
    const last = opts.to === undefined ? files.length - 1 : resolveTarget(files, opts.to);
    const lease = await this.#pool.acquire({ mode: 'write' });
    const applied: string[] = [];
    try {
      const raw = lease.raw;
      const state = readMigrationState(queryableOf(raw), files);
      this.#assertNoDrift(state);
      const adopt = state.seedLayout && last >= 0;
      const plan = state.pending.filter((f) => f.index <= last && !(adopt && f === files[0]));
      const result = {
        filename: this.#pool.filename,
        applied,
        adopted: false,
        adoptedRows: {} as Record<string, number>,
        backup: null as string | null,
        autoVacuumEnabled: false,
      };
      if (plan.length === 0 && !adopt)
        return { ...result, durationMs: performance.now() - started };
      if (!state.empty) result.backup = await this.#backup(raw, opts.backup);
      else
        result.autoVacuumEnabled = await enableIncrementalAutoVacuum(
          raw,
          this.#options.lockTimeoutMs,
        );
      if (adopt) {
        const baseline = files[0]!;
        const copied = await inWriteTransaction(
          raw,
          {
            foreignKeysOff: true,
            lockTimeoutMs: this.#options.lockTimeoutMs,
            label: `adoption by ${baseline.tag}`,
          },
          // Another process may have adopted it since the state was read: then there is a record.
          (db) => (migrationRecord.exists(db) ? null : adoptSeedLayout(db, baseline)),
        );
        result.adopted = copied !== null;
        result.adoptedRows = copied ?? {};
      }
      for (const file of plan) {
        const done = await this.#run(raw, file, file.up, applied, (db) => {
          migrationRecord.ensure(db);
          if (migrationRecord.has(db, file.when)) return false;
          runScript(db, file, file.up);
          migrationRecord.add(db, file.up.hash, file.when);
          return true;
        });
        if (done) applied.push(file.tag);
      }
      return { ...result, durationMs: performance.now() - started };
    } finally {
      lease.release();
    }
  }

  /**
   * Reverts every applied migration after `to` (`null`: all of them), newest first, each with its
   * `<tag>.down.sql` in its own transaction. Throws `SCHEMA_MISSING_DOWN` before changing anything
   * when one of them has no down file.
   */
  async rollback(options: RollbackOptions): Promise<RollbackResult> {
    const started = performance.now();
    const opts = resolveRollbackOptions(options);
    const files = readMigrationFiles(this.#options.migrationsFolder);
    const keep = resolveTarget(files, opts.to ?? null);
    const lease = await this.#pool.acquire({ mode: 'write' });
    const rolledBack: string[] = [];
    try {
      const raw = lease.raw;
      const state = readMigrationState(queryableOf(raw), files);
      this.#assertNoDrift(state);
      const revert = state.applied.filter((f) => f.index > keep).reverse();
      const missing = revert.filter((f) => f.down === null).map((f) => f.tag);
      if (missing.length > 0) {
        throw new SchemaError(
          'SCHEMA_MISSING_DOWN',
          `cannot roll back: no down file for ${missing.join(', ')} (write <tag>.down.sql beside it); nothing was changed`,
          { details: { tags: missing } },
        );
      }
      const result = { filename: this.#pool.filename, rolledBack, backup: null as string | null };
      if (revert.length === 0) return { ...result, durationMs: performance.now() - started };
      result.backup = await this.#backup(raw, opts.backup);
      for (const file of revert) {
        const down = file.down!;
        const done = await this.#run(raw, file, down, rolledBack, (db) => {
          if (!migrationRecord.has(db, file.when)) return false;
          runScript(db, file, down);
          migrationRecord.remove(db, file.when);
          return true;
        });
        if (done) rolledBack.push(file.tag);
      }
      return { ...result, durationMs: performance.now() - started };
    } finally {
      lease.release();
    }
  }

  async #run(
    raw: RawDatabase,
    file: MigrationFile,
    script: MigrationScript,
    doneSoFar: readonly string[],
    work: (db: SyncQueryable) => boolean,
  ): Promise<boolean> {
    const label = script === file.up ? file.tag : `${file.tag} (down)`;
    try {
      return await inWriteTransaction(
        raw,
        {
          foreignKeysOff: script.foreignKeysOff,
          lockTimeoutMs: this.#options.lockTimeoutMs,
          label,
        },
        work,
      );
    } catch (err) {
      if (err instanceof SchemaError && err.code !== 'SCHEMA_MIGRATION_FAILED') {
        throw err;
      }
      const base = err instanceof SchemaError ? err.details : undefined;
      const sqliteCode = sqliteCodeOf(err) ?? (err as SchemaError).sqliteCode;
      throw new SchemaError(
        'SCHEMA_MIGRATION_FAILED',
        `${label} failed and was rolled back: ${(err as Error).message}`,
        {
          cause: (err as { cause?: unknown }).cause ?? err,
          ...(sqliteCode ? { sqliteCode } : {}),
          details: {
            ...base,
            tag: file.tag,
            direction: script === file.up ? 'up' : 'down',
            completed: [...doneSoFar],
          },
        },
      );
    }
  }

  #assertNoDrift(state: MigrationState): void {
    if (state.drifted.length === 0 && state.unknown.length === 0) return;
    const parts = [
      ...state.drifted.map((d) => `${d.file.tag} changed since it was applied`),
      ...state.unknown.map((u) => `a migration recorded at ${u.createdAt} has no file`),
    ];
    throw new SchemaError(
      'SCHEMA_DRIFT',
      `migrations drifted: ${parts.join('; ')}; nothing was changed`,
      {
        details: {
          drifted: state.drifted.map((d) => ({
            tag: d.file.tag,
            hash: d.file.up.hash,
            recordedHash: d.recordedHash,
          })),
          unknown: state.unknown,
        },
      },
    );
  }

  async #backup(raw: RawDatabase, override: BackupOption | undefined): Promise<string | null> {
    const target = override ?? this.#options.backup;
    if (target === false || this.#pool.filename === ':memory:') return null;
    return backupDatabase(raw, this.#pool.filename, target);
  }
}

function runScript(db: SyncQueryable, file: MigrationFile, script: MigrationScript): void {
  for (const [i, statement] of script.statements.entries()) {
    try {
      db.exec(statement);
    } catch (err) {
      const sqliteCode = sqliteCodeOf(err);
      throw new SchemaError(
        'SCHEMA_MIGRATION_FAILED',
        `statement ${i + 1}: ${(err as Error).message}`,
        {
          cause: err,
          ...(sqliteCode ? { sqliteCode } : {}),
          details: { tag: file.tag, statement: i + 1, sql: statement.slice(0, 500) },
        },
      );
    }
  }
}

/** The journal index of `to` (-1 for `null`); throws `SCHEMA_UNKNOWN_TARGET`. */
export function resolveTarget(files: readonly MigrationFile[], to: MigrationTarget): number {
  if (to === null) return -1;
  const found =
    typeof to === 'number'
      ? files[to]
      : (files.find((f) => f.tag === to) ?? files.find((f) => f.tag.split('_')[0] === to));
  if (!found) {
    throw new SchemaError(
      'SCHEMA_UNKNOWN_TARGET',
      `no migration ${JSON.stringify(to)} (known: ${files.map((f) => f.tag).join(', ') || 'none'})`,
      { details: { to, known: files.map((f) => f.tag) } },
    );
  }
  return found.index;
}
