import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { tempDir } from './helpers.js';

const packageDir = fileURLToPath(new URL('..', import.meta.url));

/** Migrates a database that has a table, with `backup` set, in a child killed after 5 s. */
function migrateWithBackupInChild(dir: string, backup: string) {
  const script = `
    import { createPool } from '@hivedb/pool';
    import { Migrator } from '@hivedb/schema';
    const pool = createPool({ filename: 'memory.db', root: ${JSON.stringify(dir)}, healthCheckInterval: 0 });
    await pool.run('CREATE TABLE keep (v TEXT)');
    try {
      await new Migrator(pool, { database: 'memory', backup: ${JSON.stringify(backup)} }).migrate();
      console.log(JSON.stringify({ migrated: true }));
    } catch (err) {
      console.log(JSON.stringify({ code: err.code, message: err.message, cause: err.cause?.code }));
    } finally {
      await pool.close();
    }`;
  const started = Date.now();
  const res = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: packageDir,
    encoding: 'utf8',
    timeout: 5000,
  });
  return { ms: Date.now() - started, timedOut: res.error !== undefined, out: res.stdout.trim() };
}

describe('the backup folder', () => {
  it('a backup folder on /proc fails at once with SCHEMA_BACKUP_FAILED (the recursive mkdir spun forever)', () => {
    const dir = tempDir();
    const { ms, timedOut, out } = migrateWithBackupInChild(dir, '/proc/hivedb-backups');
    expect(timedOut, 'the migration hung making the backup folder').toBe(false);
    expect(ms).toBeLessThan(5000);
    const result = JSON.parse(out) as { code: string; message: string; cause: string };
    expect(result.code).toBe('SCHEMA_BACKUP_FAILED');
    expect(result.cause).toBe('POOL_UNSAFE_PATH');
    expect(result.message).toContain('/proc');
    expect(fs.readdirSync(dir).filter((f) => f.includes('backup'))).toEqual([]);
  });

  it('a missing backup folder is created, parents included', () => {
    const dir = tempDir();
    const { out } = migrateWithBackupInChild(dir, path.join(dir, 'a', 'b'));
    expect(JSON.parse(out)).toEqual({ migrated: true });
    expect(fs.readdirSync(path.join(dir, 'a', 'b'))).toHaveLength(1);
  });
});
