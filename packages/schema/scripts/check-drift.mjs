#!/usr/bin/env node
// Fails (exit 1) when the Drizzle definitions and the committed migrations disagree.
//
// For each database (memory, hive):
//   1. `drizzle-kit check` finds the snapshots consistent; every journal entry has its <tag>.sql
//      and a hand-written <tag>.down.sql, and no .sql file is missing from the journal;
//   2. `drizzle-kit generate` run over a copy of the committed folder produces nothing new
//      (a definition changed without a generated migration → drift);
//   3. the committed migrations, applied in order to an empty database, give the same schema as
//      the SQL drizzle-kit generates from the definitions into an empty folder (a committed
//      migration edited by hand → drift).
//   Custom migrations (`drizzle-kit generate --custom`, the header below) hold what Drizzle cannot
//   express: they may only create or drop triggers, and their triggers are expected as written.
//
// Usage: node scripts/check-drift.mjs [--migrations <folder holding memory/ and hive/>]
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const pkg = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const Database = createRequire(path.join(pkg, 'package.json'))('better-sqlite3');
const args = process.argv.slice(2);
const at = args.indexOf('--migrations');
const migrationsRoot = path.resolve(at >= 0 ? args[at + 1] : path.join(pkg, 'migrations'));
const drizzleKit = path.join(pkg, 'node_modules', '.bin', 'drizzle-kit');
const BREAKPOINT = '--> statement-breakpoint';
const problems = [];

function drizzleKitCheck(database) {
  const result = spawnSync(drizzleKit, ['check', '--config', `drizzle.${database}.config.ts`], {
    cwd: pkg,
    env: {
      ...process.env,
      HIVEDB_MIGRATIONS_OUT: path.relative(pkg, path.join(migrationsRoot, database)),
    },
    encoding: 'utf8',
  });
  if (result.status !== 0 || !/Everything's fine/.test(result.stdout)) {
    problems.push(`${database}: drizzle-kit check failed:\n${result.stdout}${result.stderr}`);
  }
}

function generate(database, out) {
  // drizzle-kit prefixes `out` with './': it must be relative to the package.
  const result = spawnSync(drizzleKit, ['generate', '--config', `drizzle.${database}.config.ts`], {
    cwd: pkg,
    env: { ...process.env, HIVEDB_MIGRATIONS_OUT: path.relative(pkg, out) },
    encoding: 'utf8',
  });
  if (result.status !== 0 || /error/i.test(result.stderr)) {
    throw new Error(
      `drizzle-kit generate failed for ${database}:\n${result.stdout}\n${result.stderr}`,
    );
  }
}

const journalOf = (folder) =>
  JSON.parse(fs.readFileSync(path.join(folder, 'meta', '_journal.json'), 'utf8')).entries;

const CUSTOM = '-- Custom SQL migration file';

/** The committed custom migrations' statements; anything but CREATE TRIGGER is a problem. */
function customStatements(database, folder) {
  const out = [];
  for (const entry of journalOf(folder)) {
    const sql = fs.readFileSync(path.join(folder, `${entry.tag}.sql`), 'utf8');
    if (!sql.startsWith(CUSTOM)) continue;
    for (const statement of sql.split(BREAKPOINT)) {
      const code = statement.replace(/^\s*--[^\n]*\n/gm, '').trim();
      if (!code) continue;
      if (!/^(CREATE|DROP)\s+TRIGGER\b/i.test(code))
        problems.push(
          `${database}: ${entry.tag}.sql is a custom migration and may only create or drop triggers:\n${code}`,
        );
      else out.push(code);
    }
  }
  return out;
}

function applyFolder(folder, extra = []) {
  const db = new Database(':memory:');
  for (const entry of journalOf(folder)) {
    const sql = fs.readFileSync(path.join(folder, `${entry.tag}.sql`), 'utf8');
    for (const statement of sql.split(BREAKPOINT)) if (statement.trim()) db.exec(statement);
  }
  for (const statement of extra) db.exec(statement);
  return db;
}

const norm = (s) =>
  s == null
    ? null
    : s
        .toLowerCase()
        .replace(/[`"[\]]/g, '')
        .replace(/\b[a-z_]\w*\.(?=[a-z_])/g, '')
        .replace(/\s+/g, '');

/** The text inside the parenthesis that opens at `open`. */
function parenthesised(sql, open) {
  let depth = 0;
  for (let i = open; i < sql.length; i++) {
    if (sql[i] === '(') depth++;
    else if (sql[i] === ')' && --depth === 0) return sql.slice(open + 1, i);
  }
  return sql.slice(open + 1);
}

/** A structural dump: column order and the text of ALTERed tables do not matter, content does. */
function shape(db) {
  const out = {};
  const objects = db
    .prepare(
      "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE substr(name, 1, 7) <> 'sqlite_' ORDER BY name",
    )
    .all();
  for (const { name, sql } of objects.filter((o) => o.type === 'table')) {
    const q = `"${name.replaceAll('"', '""')}"`;
    out[name] = {
      columns: db
        .pragma(`table_xinfo(${q})`)
        .map((c) => [c.name, c.type.toUpperCase(), c.notnull, norm(c.dflt_value), c.pk])
        .sort(),
      foreignKeys: db
        .pragma(`foreign_key_list(${q})`)
        .map((f) => [f.id, f.seq, f.table, f.from, f.to, f.on_update, f.on_delete])
        .sort(),
      checks: [...sql.matchAll(/(?:CONSTRAINT\s+\S+\s+)?CHECK\s*\(/gi)]
        .map((m) => norm(m[0] + parenthesised(sql, m.index + m[0].length - 1)))
        .sort(),
      autoincrement: /\bAUTOINCREMENT\b/i.test(sql),
      indexes: objects
        .filter((o) => o.type === 'index' && o.tbl_name === name)
        .map((o) => norm(o.sql))
        .sort(),
    };
  }
  for (const o of objects.filter((x) => x.type !== 'table' && x.type !== 'index'))
    out[`${o.type}:${o.name}`] = norm(o.sql);
  return out;
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hivedb-drift-'));
try {
  for (const database of ['memory', 'hive']) {
    const committed = path.join(migrationsRoot, database);
    const entries = journalOf(committed);
    const tags = new Set(entries.map((e) => e.tag));
    for (const tag of tags) {
      if (!fs.existsSync(path.join(committed, `${tag}.sql`)))
        problems.push(`${database}: ${tag}.sql is missing`);
      if (!fs.existsSync(path.join(committed, `${tag}.down.sql`))) {
        problems.push(
          `${database}: ${tag}.down.sql is missing (write the reverse of ${tag}.sql by hand)`,
        );
      }
    }
    for (const file of fs.readdirSync(committed)) {
      const tag = file.replace(/(\.down)?\.sql$/, '');
      if (file.endsWith('.sql') && !tags.has(tag))
        problems.push(`${database}: ${file} is not in meta/_journal.json`);
    }

    drizzleKitCheck(database);

    const copy = path.join(tmp, `${database}-copy`);
    fs.cpSync(committed, copy, { recursive: true });
    generate(database, copy);
    const added = fs
      .readdirSync(copy)
      .filter((f) => f.endsWith('.sql') && !fs.existsSync(path.join(committed, f)));
    for (const file of added) {
      problems.push(
        `${database}: the definitions changed without a migration; drizzle-kit generates ${file}:\n${fs.readFileSync(path.join(copy, file), 'utf8')}\n` +
          `  → run: pnpm --filter @hivedb/schema exec drizzle-kit generate --config drizzle.${database}.config.ts, and write its .down.sql`,
      );
    }

    const fresh = path.join(tmp, `${database}-fresh`);
    fs.mkdirSync(fresh);
    generate(database, fresh);
    const want = shape(applyFolder(fresh, customStatements(database, committed)));
    const have = shape(applyFolder(committed));
    for (const name of new Set([...Object.keys(want), ...Object.keys(have)])) {
      if (JSON.stringify(want[name]) !== JSON.stringify(have[name])) {
        problems.push(
          `${database}: ${name} from the committed migrations differs from the definitions\n  definitions: ${JSON.stringify(want[name])}\n  migrations:  ${JSON.stringify(have[name])}`,
        );
      }
    }
  }
} finally {
  fs.rmSync(tmp, { recursive: true, force: true });
}

if (problems.length > 0) {
  console.error(`schema drift check failed (${migrationsRoot}):\n- ${problems.join('\n- ')}`);
  process.exit(1);
}
console.log(`schema drift check: definitions and migrations agree (${migrationsRoot})`);
