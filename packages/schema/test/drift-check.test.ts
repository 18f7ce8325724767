import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { tempDir } from './helpers.js';

const pkg = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const script = path.join(pkg, 'scripts', 'check-drift.mjs');

function check(migrations?: string) {
  const args = migrations ? [script, '--migrations', migrations] : [script];
  const result = spawnSync(process.execPath, args, { cwd: pkg, encoding: 'utf8' });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

/** A copy of the committed migrations to tamper with. */
function copyOfMigrations(): string {
  const copy = path.join(tempDir(), 'migrations');
  fs.cpSync(path.join(pkg, 'migrations'), copy, { recursive: true });
  return copy;
}

describe('scripts/check-drift.mjs (the CI check that definitions and migrations agree)', () => {
  it('passes on the committed migrations', () => {
    const { status, output } = check();
    expect(output).toContain('definitions and migrations agree');
    expect(status).toBe(0);
  });

  it('fails when a committed migration was edited by hand', () => {
    const copy = copyOfMigrations();
    const file = path.join(copy, 'memory', '0000_shared_memory.sql');
    const sql = fs.readFileSync(file, 'utf8');
    fs.writeFileSync(
      file,
      sql.replace(/--> statement-breakpoint\nCREATE INDEX `idx_last_accessed_desc`[^\n]*/, ''),
    );
    const { status, output } = check(copy);
    expect(status).toBe(1);
    expect(output).toMatch(/memory: shared_memory from the committed migrations differs/);
  });

  it('fails when the definitions changed without a generated migration', () => {
    // Equivalent to editing src/tables: the newest snapshot no longer describes the definitions.
    const copy = copyOfMigrations();
    const file = path.join(copy, 'hive', 'meta', '0000_snapshot.json');
    const snapshot = JSON.parse(fs.readFileSync(file, 'utf8'));
    delete snapshot.tables.query_performance.columns.cache_hit;
    fs.writeFileSync(file, JSON.stringify(snapshot, null, 2));
    const { status, output } = check(copy);
    expect(status).toBe(1);
    expect(output).toMatch(/hive: the definitions changed without a migration/);
    expect(output).toMatch(/ADD `cache_hit`/);
  });

  it('fails when a migration has no down file', () => {
    const copy = copyOfMigrations();
    fs.rmSync(path.join(copy, 'memory', '0000_shared_memory.down.sql'));
    const { status, output } = check(copy);
    expect(status).toBe(1);
    expect(output).toMatch(/0000_shared_memory\.down\.sql is missing/);
  });
});
