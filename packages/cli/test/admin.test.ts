import { openSync, writeSync, closeSync, existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hivedb, json, tempDir } from './helpers.js';

describe('init, status, migrate, rollback, check, optimize', () => {
  const t = tempDir();
  const root = path.join(t.dir, 'proj', '.hive-mind');
  afterAll(t.cleanup);

  beforeAll(async () => {
    const r = await hivedb(t.dir, ['init', '--root', root]);
    expect(r.code, r.stderr).toBe(0);
  });

  it('init creates both databases, migrated', async () => {
    expect(existsSync(path.join(root, 'memory.db'))).toBe(true);
    expect(existsSync(path.join(root, 'hive.db'))).toBe(true);
    const again = await hivedb(t.dir, ['init', '--root', root, '--json']);
    expect(again.code).toBe(0);
    const doc = json<{ databases: { database: string; applied: string[] }[] }>(again);
    expect(doc.databases.map((d) => d.applied.length)).toEqual([0, 0]);
  });

  it('status reports sizes, migrations, namespaces and a quick check', async () => {
    expect((await hivedb(t.dir, ['set', 'a', '1', '-n', 'alpha', '--root', root])).code).toBe(0);
    expect((await hivedb(t.dir, ['set', 'b', '2', '-n', 'alpha', '--root', root])).code).toBe(0);
    expect((await hivedb(t.dir, ['set', 'c', '"x"', '-n', 'beta', '--root', root])).code).toBe(0);
    const r = await hivedb(t.dir, ['--root', root, 'status', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const s = json<{
      ok: boolean;
      databases: {
        database: string;
        bytes: number;
        migrations: { applied: string[]; pending: string[]; drifted: string[] };
        quickCheck: { ok: boolean };
      }[];
      entries: { total: number; namespaces: Record<string, number> };
    }>(r);
    expect(s.ok).toBe(true);
    expect(s.entries).toEqual({ total: 3, namespaces: { alpha: 2, beta: 1 } });
    for (const d of s.databases) {
      expect(d.bytes).toBeGreaterThan(0);
      expect(d.migrations.applied.length).toBeGreaterThan(0);
      expect(d.migrations.pending).toEqual([]);
      expect(d.quickCheck.ok).toBe(true);
    }
    const text = await hivedb(t.dir, ['status', '--root', root]);
    expect(text.stdout).toMatch(/memory\.db\s+\S+ \S+\s+\S+ ?\S*\s+\d+\s+0\s+0\s+ok/);
    expect(text.stdout).toContain('alpha');
  });

  it('rollback --to none reverts hive.db, migrate re-applies it', async () => {
    const rb = await hivedb(t.dir, [
      'rollback',
      '--to',
      'none',
      '--database',
      'hive',
      '--root',
      root,
      '--json',
    ]);
    expect(rb.code, rb.stderr).toBe(0);
    expect(json<{ rolledBack: string[] }>(rb).rolledBack.length).toBe(1);
    const st = json<{ databases: { database: string; migrations: { pending: string[] } }[] }>(
      await hivedb(t.dir, ['status', '--root', root, '--json']),
    );
    expect(st.databases.find((d) => d.database === 'hive')?.migrations.pending.length).toBe(1);
    const m = await hivedb(t.dir, ['migrate', '--root', root]);
    expect(m.code, m.stderr).toBe(0);
    expect(m.stdout).toMatch(/hive\.db: applied 0000_/);
  });

  it('check passes on a healthy root; optimize reports sizes', async () => {
    const c = await hivedb(t.dir, ['check', '--root', root]);
    expect(c.code, c.stderr).toBe(0);
    expect(c.stdout).toMatch(/memory\.db: ok/);
    const o = await hivedb(t.dir, ['optimize', '--root', root, '--json']);
    expect(o.code, o.stderr).toBe(0);
    expect(json<{ databases: unknown[] }>(o).databases).toHaveLength(2);
  });

  it('bad usage exits 2 with one clear line', async () => {
    const noTo = await hivedb(t.dir, ['rollback', '--root', root]);
    expect(noTo.code).toBe(2);
    expect(noTo.stderr).toMatch(/^hivedb: CLI_USAGE: rollback needs --to/);
    const badDb = await hivedb(t.dir, ['migrate', '--database', 'nope', '--root', root]);
    expect(badDb.code).toBe(2);
    expect(badDb.stderr).toContain('--database: expected memory, hive or all');
    const unknownOpt = await hivedb(t.dir, ['status', '--bogus']);
    expect(unknownOpt.code).toBe(2);
    expect(unknownOpt.stderr).toMatch(/unknown option '--bogus'/);
    const unknownTag = await hivedb(t.dir, ['rollback', '--to', '0042', '--root', root]);
    expect(unknownTag.code).toBe(2);
    expect(unknownTag.stderr).toMatch(/SCHEMA_UNKNOWN_TARGET/);
  });

  it('a missing root exits 1 and creates nothing', async () => {
    const missing = path.join(t.dir, 'nowhere', '.hive-mind');
    for (const cmd of ['status', 'check', 'optimize', 'migrate', 'report']) {
      const r = await hivedb(t.dir, [cmd, '--root', missing]);
      expect(r.code, cmd).toBe(1);
      expect(r.stderr, cmd).toMatch(/^hivedb: CLI_NO_ROOT: no hivedb root at .*nowhere/);
    }
    expect(existsSync(path.join(t.dir, 'nowhere'))).toBe(false);
    const j = await hivedb(t.dir, ['status', '--root', missing, '--json']);
    expect(json<{ ok: boolean; error: { code: string } }>(j)).toMatchObject({
      ok: false,
      error: { code: 'CLI_NO_ROOT' },
    });
  });

  it('a corrupt memory.db fails check and status with exit 1', async () => {
    const bad = tempDir();
    try {
      const r = path.join(bad.dir, '.hive-mind');
      expect((await hivedb(bad.dir, ['init'])).code).toBe(0);
      expect((await hivedb(bad.dir, ['set', 'big', '--string', 'x'.repeat(100_000)])).code).toBe(0);
      expect((await hivedb(bad.dir, ['optimize'])).code).toBe(0);
      const file = path.join(r, 'memory.db');
      const size = statSync(file).size;
      // garbage over the second half of the file (the value's overflow pages and what follows)
      const fd = openSync(file, 'r+');
      const junk = Buffer.alloc(4096, 0xa5);
      for (let off = Math.floor(size / 2 / 4096) * 4096; off < size; off += 4096)
        writeSync(fd, junk, 0, 4096, off);
      closeSync(fd);
      const c = await hivedb(bad.dir, ['check']);
      expect(c.code).toBe(1);
      expect(c.stdout).toMatch(/memory\.db: FAILED/);
      expect(c.stdout).toMatch(/hive\.db: ok/);
      expect(c.stderr).toMatch(/^hivedb: CLI_CHECK_FAILED/m);
      const s = await hivedb(bad.dir, ['status', '--json']);
      expect(s.code).toBe(1);
      expect(json<{ ok: boolean }>(s).ok).toBe(false);
    } finally {
      bad.cleanup();
    }
  });
});
