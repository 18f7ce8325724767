import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createPool, type Pool, type PoolOptions } from '@hivedb/pool';
import { afterAll } from 'vitest';

const dirs: string[] = [];
const pools: Pool[] = [];

afterAll(async () => {
  await Promise.all(pools.map((p) => p.close()));
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});

/** A fresh temp folder, removed after the file's tests. */
export function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hivedb-schema-'));
  dirs.push(dir);
  return dir;
}

/** A pool on `root/filename` (WAL, foreign keys on: the pool's defaults), closed after the file's tests. */
export function openPool(
  root: string,
  filename = 'test.db',
  options: Partial<PoolOptions> = {},
): Pool {
  const pool = createPool({ filename, root, healthCheckInterval: 0, ...options });
  pools.push(pool);
  return pool;
}

/** One migration of a fixture folder, in drizzle-kit's layout. */
export interface FixtureMigration {
  readonly tag: string;
  readonly up: string;
  readonly down?: string;
  /** The journal's `when`; default 1_700_000_000_000 + position × 1000. */
  readonly when?: number;
}

/** Writes (or rewrites) a drizzle-kit migrations folder: meta/_journal.json, <tag>.sql, <tag>.down.sql. */
export function writeMigrations(folder: string, migrations: readonly FixtureMigration[]): string {
  fs.mkdirSync(path.join(folder, 'meta'), { recursive: true });
  for (const file of fs.readdirSync(folder))
    if (file.endsWith('.sql')) fs.rmSync(path.join(folder, file));
  const entries = migrations.map((m, idx) => ({
    idx,
    version: '6',
    when: m.when ?? 1_700_000_000_000 + idx * 1000,
    tag: m.tag,
    breakpoints: true,
  }));
  fs.writeFileSync(
    path.join(folder, 'meta', '_journal.json'),
    JSON.stringify({ version: '7', dialect: 'sqlite', entries }, null, 2),
  );
  for (const m of migrations) {
    fs.writeFileSync(path.join(folder, `${m.tag}.sql`), m.up);
    if (m.down !== undefined) fs.writeFileSync(path.join(folder, `${m.tag}.down.sql`), m.down);
  }
  return folder;
}

/** `sqlite_master` as rows, in a stable order (sqlite_sequence left out: SQLite never drops it). */
export async function masterOf(pool: Pool): Promise<unknown[]> {
  return pool.all(
    "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name <> 'sqlite_sequence' ORDER BY type, name",
  );
}

/** The drizzle-kit style fixture used by the runner tests: a parent/child pair and a rebuild of the parent. */
export const PARENT_CHILD: readonly FixtureMigration[] = [
  {
    tag: '0000_parent_child',
    up: [
      'CREATE TABLE `parent` (\n\t`id` integer PRIMARY KEY NOT NULL,\n\t`name` text NOT NULL\n);',
      'CREATE TABLE `child` (\n\t`id` integer PRIMARY KEY NOT NULL,\n\t`parent_id` integer NOT NULL,\n\tFOREIGN KEY (`parent_id`) REFERENCES `parent`(`id`) ON UPDATE no action ON DELETE cascade\n);',
    ].join('\n--> statement-breakpoint\n'),
    down: 'DROP TABLE `child`;--> statement-breakpoint\nDROP TABLE `parent`;',
  },
  {
    tag: '0001_parent_note',
    up: 'ALTER TABLE `parent` ADD `note` text;',
    down: 'ALTER TABLE `parent` DROP COLUMN `note`;',
  },
  {
    // What drizzle-kit generates when a column loses NOT NULL: a rebuild of the parent table.
    tag: '0002_parent_name_nullable',
    up: [
      'PRAGMA foreign_keys=OFF;',
      'CREATE TABLE `__new_parent` (\n\t`id` integer PRIMARY KEY NOT NULL,\n\t`name` text,\n\t`note` text\n);',
      'INSERT INTO `__new_parent`("id", "name", "note") SELECT "id", "name", "note" FROM `parent`;',
      'DROP TABLE `parent`;',
      'ALTER TABLE `__new_parent` RENAME TO `parent`;',
      'PRAGMA foreign_keys=ON;',
    ].join('--> statement-breakpoint\n'),
    down: [
      'PRAGMA foreign_keys=OFF;',
      'CREATE TABLE `__new_parent` (\n\t`id` integer PRIMARY KEY NOT NULL,\n\t`name` text NOT NULL,\n\t`note` text\n);',
      'INSERT INTO `__new_parent`("id", "name", "note") SELECT "id", coalesce("name", \'\'), "note" FROM `parent`;',
      'DROP TABLE `parent`;',
      'ALTER TABLE `__new_parent` RENAME TO `parent`;',
      'PRAGMA foreign_keys=ON;',
    ].join('--> statement-breakpoint\n'),
  },
  {
    tag: '0003_child_parent_index',
    up: 'CREATE INDEX `child_parent_id_idx` ON `child` (`parent_id`);',
    down: 'DROP INDEX `child_parent_id_idx`;',
  },
];
