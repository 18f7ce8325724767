import { existsSync } from 'node:fs';
import { createPool } from '@hivedb/pool';
import { Migrator, type OptimizeReport, optimize } from '@hivedb/schema';
import type { CommandContext } from '../context.js';
import { withPool } from '../context.js';
import {
  DATABASES,
  type DatabaseName,
  type DatabaseReport,
  databaseFile,
  type IntegrityLevel,
  inspectRootDatabase,
} from '../database/inspect.js';
import { withReadOnlyStore } from '../database/read-only-store.js';
import { CliError } from '../errors.js';
import { formatBytes, table } from '../format.js';
import { ensureDir } from '../io/ensure-dir.js';
import { type HiveRoot, requireDatabase } from '../root.js';
import { printable, safe } from '../terminal-text.js';

/** Parses `--database` (`memory`, `hive` or `all`). */
export function databasesOf(value: string | undefined, allowAll = true): DatabaseName[] {
  if (value === undefined || (allowAll && value === 'all')) return [...DATABASES];
  if (value === 'memory' || value === 'hive') return [value];
  throw new CliError(
    'CLI_USAGE',
    `--database: expected memory${allowAll ? ', hive or all' : ' or hive'} (got ${JSON.stringify(value)})`,
  );
}

/** `init`: creates the root and both databases, migrated to the newest migration. */
export async function initCommand(ctx: CommandContext): Promise<void> {
  ensureDir(ctx.root.dir);
  const results: { database: DatabaseName; applied: readonly string[]; backup: string | null }[] =
    [];
  for (const db of DATABASES) {
    if (!existsSync(databaseFile(ctx.root, db))) {
      // createPool makes the file; openPool only accepts an existing one.
      await createPool({ filename: `${db}.db`, root: ctx.root.dir, minConnections: 1 }).close();
    }
    const r = await withPool(ctx, db, (pool) => new Migrator(pool, { database: db }).migrate());
    results.push({ database: db, applied: r.applied, backup: r.backup });
  }
  ctx.result({ root: ctx.root.dir, databases: results }, () =>
    [
      safe`initialised ${ctx.root.dir}`,
      ...results.map(
        (r) =>
          `  ${r.database}.db: ${r.applied.length === 0 ? 'up to date' : `applied ${r.applied.join(', ')}`}`,
      ),
    ].join('\n'),
  );
}

async function entriesByNamespace(root: HiveRoot): Promise<Record<string, number>> {
  return withReadOnlyStore(root, async (store) => (await store.getStats()).namespaces);
}

/**
 * Every database of the root inspected at `level`, one after the other (no pool of this process
 * is open meanwhile); `CLI_NO_DATABASE` when one is missing.
 */
async function inspectAll(root: HiveRoot, level: IntegrityLevel): Promise<DatabaseReport[]> {
  for (const db of DATABASES) requireDatabase(root, db);
  const reports: DatabaseReport[] = [];
  for (const db of DATABASES) reports.push(await inspectRootDatabase(root, db, level));
  return reports;
}

/**
 * `status`: sizes, WAL, migrations, entries per namespace, a quick integrity check and the schema
 * against the definitions. Read-only. Exit 1 when a database is not sound: empty, not SQLite,
 * another database's file, pending, drifted or unknown migrations, a failed check.
 */
export async function statusCommand(ctx: CommandContext): Promise<void> {
  const dbs = (await inspectAll(ctx.root, 'quick')).map((d) => ({
    ...d,
    quickCheck: { ok: d.ok, problems: d.problems },
  }));
  const namespaces = dbs[0]?.ok === true ? await entriesByNamespace(ctx.root) : {};
  const ok = dbs.every((d) => d.ok);
  const total = Object.values(namespaces).reduce((a, b) => a + b, 0);
  const count = (xs: readonly unknown[] | undefined) => (xs === undefined ? '-' : xs.length);
  ctx.result({ root: ctx.root.dir, ok, databases: dbs, entries: { total, namespaces } }, () =>
    [
      safe`root ${ctx.root.dir}`,
      '',
      table(
        ['database', 'size', 'wal', 'applied', 'pending', 'drifted', 'quick check'],
        dbs.map((d) => [
          `${d.database}.db`,
          formatBytes(d.bytes),
          formatBytes(d.walBytes),
          count(d.migrations?.applied),
          count(d.migrations?.pending),
          count(d.migrations?.drifted),
          d.ok ? 'ok' : 'FAILED',
        ]),
      ),
      ...dbs.flatMap((d) => d.problems.map((p) => `${d.database}.db: ${printable(p)}`)),
      '',
      `entries: ${total}`,
      ...(total > 0 ? [table(['namespace', 'entries'], Object.entries(namespaces))] : []),
    ].join('\n'),
  );
  if (!ok)
    throw new CliError(
      'CLI_CHECK_FAILED',
      `status: ${dbs
        .filter((d) => !d.ok)
        .map((d) => `${d.database}.db: ${d.problems[0] ?? ''}`)
        .join('; ')}`,
    );
}

/** `migrate [--to TAG] [--database]`: applies pending migrations. */
export async function migrateCommand(
  ctx: CommandContext,
  opts: { to?: string; database?: string },
): Promise<void> {
  const dbs = databasesOf(opts.database);
  if (opts.to !== undefined && dbs.length > 1)
    throw new CliError('CLI_USAGE', 'migrate --to needs --database memory or --database hive');
  const results: {
    database: DatabaseName;
    applied: readonly string[];
    backup: string | null;
    durationMs: number;
  }[] = [];
  for (const db of dbs) {
    const r = await withPool(ctx, db, (pool) =>
      new Migrator(pool, { database: db }).migrate(opts.to === undefined ? {} : { to: opts.to }),
    );
    results.push({ database: db, applied: r.applied, backup: r.backup, durationMs: r.durationMs });
  }
  ctx.result({ databases: results }, () =>
    results
      .map(
        (r) =>
          `${r.database}.db: ${r.applied.length === 0 ? 'nothing to apply' : `applied ${r.applied.join(', ')}`}${r.backup ? ` (backup ${r.backup})` : ''}`,
      )
      .join('\n'),
  );
}

/** `rollback --to TAG|none [--database memory|hive]`: reverts migrations after TAG. */
export async function rollbackCommand(
  ctx: CommandContext,
  opts: { to?: string; database?: string },
): Promise<void> {
  if (opts.to === undefined)
    throw new CliError(
      'CLI_USAGE',
      'rollback needs --to <tag> (or --to none to revert every migration)',
    );
  const [db] = databasesOf(opts.database ?? 'memory', false) as [DatabaseName];
  const to = opts.to === 'none' ? null : opts.to;
  const r = await withPool(ctx, db, (pool) =>
    new Migrator(pool, { database: db }).rollback({ to }),
  );
  ctx.result(
    { database: db, rolledBack: r.rolledBack, backup: r.backup },
    () =>
      `${db}.db: ${r.rolledBack.length === 0 ? 'nothing to roll back' : `rolled back ${r.rolledBack.join(', ')}`}${r.backup ? ` (backup ${r.backup})` : ''}`,
  );
}

/** `check`: the full integrity report of both databases. Read-only. Exit 1 when anything is wrong. */
export async function checkCommand(ctx: CommandContext): Promise<void> {
  const reports = await inspectAll(ctx.root, 'full');
  const ok = reports.every((r) => r.ok);
  ctx.result({ ok, databases: reports }, () =>
    reports
      .map(
        (r) =>
          `${r.database}.db: ${r.ok ? 'ok' : 'FAILED'} (migrations, integrity_check, foreign_key_check, schema; ${r.durationMs.toFixed(0)} ms)${r.problems.map((p) => `\n  - ${printable(p)}`).join('')}`,
      )
      .join('\n'),
  );
  if (!ok) throw new CliError('CLI_CHECK_FAILED', 'check: problems found (listed above)');
}

/** `grew by 8.0 KiB`, `8.0 KiB freed` or `no change`. */
function sizeChange(delta: number): string {
  if (delta === 0) return 'no change';
  return delta > 0 ? `grew by ${formatBytes(delta)}` : `${formatBytes(-delta)} freed`;
}

/** `optimize [--full]`: ANALYZE, vacuum, WAL checkpoint on both databases. */
export async function optimizeCommand(
  ctx: CommandContext,
  opts: { full?: boolean },
): Promise<void> {
  const reports: OptimizeReport[] = [];
  for (const db of DATABASES)
    reports.push(
      await withPool(ctx, db, (pool) =>
        optimize(pool, { vacuum: opts.full === true ? 'full' : 'incremental' }),
      ),
    );
  ctx.result({ databases: reports }, () =>
    reports
      .map(
        (r, i) =>
          `${DATABASES[i]}.db: ${formatBytes(r.before.total)} → ${formatBytes(r.after.total)} (${sizeChange(r.after.total - r.before.total)}; vacuum ${r.vacuumed || 'skipped'})`,
      )
      .join('\n'),
  );
}
