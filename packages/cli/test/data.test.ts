import {
  copyFileSync,
  existsSync,
  openSync,
  readFileSync,
  statSync,
  writeFileSync,
  writeSync,
  closeSync,
} from 'node:fs';
import path from 'node:path';
import { SharedMemoryStore } from '@hivedb/store';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hivedb, json, tempDir } from './helpers.js';

// The store's backup / restore / export / import (#7). Against an older @hivedb/store without
// them, each command exits 1 with `CLI_NOT_AVAILABLE` (src/store-features.ts).
const proto = SharedMemoryStore.prototype as unknown as Record<string, unknown>;
const available = ['backup', 'restore', 'export', 'import'].every(
  (m) => typeof proto[m] === 'function',
);

async function count(cwd: string): Promise<number> {
  const r = await hivedb(cwd, ['stats', '--json']);
  expect(r.code, r.stderr).toBe(0);
  return json<{ entryCount: number }>(r).entryCount;
}

it('the installed @hivedb/store has backup, restore, export and import', () => {
  expect(available).toBe(true);
});

describe('backup, restore, export, import', () => {
  const t = tempDir();
  afterAll(t.cleanup);
  beforeAll(async () => {
    expect((await hivedb(t.dir, ['init'])).code).toBe(0);
    for (const [k, v, ns] of [
      ['a', '{"n":1}', 'alpha'],
      ['b', '[1,2,3]', 'alpha'],
      ['c', '"text"', 'beta'],
    ] as const)
      expect((await hivedb(t.dir, ['set', k, v, '-n', ns])).code).toBe(0);
  });

  it('backup writes a copy; restore brings it back', async () => {
    const b = await hivedb(t.dir, ['backup', 'snap.db', '--json']);
    expect(b.code, b.stderr).toBe(0);
    expect(json<{ bytes: number }>(b).bytes).toBeGreaterThan(0);
    expect(b.stderr).toMatch(/backup: .*done/);
    expect(statSync(path.join(t.dir, 'snap.db')).size).toBeGreaterThan(0);
    expect((await hivedb(t.dir, ['set', 'later', '1'])).code).toBe(0);
    expect(await count(t.dir)).toBe(4);
    const r = await hivedb(t.dir, ['restore', 'snap.db']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/restored 3 entries/);
    expect((await hivedb(t.dir, ['get', 'later'])).code).toBe(1);
    expect(JSON.parse((await hivedb(t.dir, ['get', 'a', '-n', 'alpha'])).stdout)).toEqual({ n: 1 });
  });

  // Issue 16, item 2: the data a restore replaced is kept, and the operator is told where.
  it('restore prints where the previous data was saved, and --json carries it', async () => {
    expect((await hivedb(t.dir, ['set', 'kept', '"before the restore"'])).code).toBe(0);
    const text = await hivedb(t.dir, ['restore', 'snap.db']);
    expect(text.code, text.stderr).toBe(0);
    const saved =
      /^restored 3 entries from .*snap\.db \(the previous data was saved to (\S+)\)$/m.exec(
        text.stdout,
      )?.[1];
    expect(saved, text.stdout).toBeDefined();
    expect(path.dirname(saved as string)).toBe(path.join(t.dir, '.hive-mind'));
    expect((await hivedb(t.dir, ['get', 'kept'])).code).toBe(1);
    // the safety backup is a hivedb memory.db holding what was there: restoring it brings it back
    const back = await hivedb(t.dir, ['restore', saved as string, '--json']);
    expect(back.code, back.stderr).toBe(0);
    const doc = json<{ entries: number; safetyBackup: string }>(back);
    expect(doc.entries).toBe(4);
    expect(doc.safetyBackup).not.toBe(saved);
    expect(existsSync(doc.safetyBackup)).toBe(true);
    expect(JSON.parse((await hivedb(t.dir, ['get', 'kept'])).stdout)).toBe('before the restore');
    expect((await hivedb(t.dir, ['restore', 'snap.db'])).code).toBe(0);
  });

  it('backup refuses to overwrite a file, a database even with --force', async () => {
    const r = await hivedb(t.dir, ['backup', 'snap.db']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^hivedb: CLI_UNSAFE_OUTPUT: backup: .*snap\.db is a SQLite database/);
    const forced = await hivedb(t.dir, ['backup', 'snap.db', '--force']);
    expect(forced.code).toBe(1);
    expect(forced.stderr).toMatch(/^hivedb: CLI_UNSAFE_OUTPUT: /);
  });

  it('restore refuses a corrupt backup, a non-SQLite file and a missing file, changing nothing', async () => {
    const bad = path.join(t.dir, 'corrupt.db');
    copyFileSync(path.join(t.dir, 'snap.db'), bad);
    const size = statSync(bad).size;
    const fd = openSync(bad, 'r+');
    const junk = Buffer.alloc(4096, 0x5a);
    for (let off = 4096; off < size; off += 4096) writeSync(fd, junk, 0, 4096, off);
    closeSync(fd);
    const before = await count(t.dir);
    const r = await hivedb(t.dir, ['restore', bad]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^hivedb: STORE_RESTORE_REFUSED: /);
    writeFileSync(path.join(t.dir, 'notes.txt'), 'hello, not a database\n'.repeat(300));
    const txt = await hivedb(t.dir, ['restore', 'notes.txt']);
    expect(txt.code).toBe(1);
    expect(txt.stderr).toMatch(/^hivedb: STORE_RESTORE_REFUSED: /);
    const none = await hivedb(t.dir, ['restore', 'nope.db']);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/^hivedb: CLI_IO: restore: no such file: .*nope\.db/);
    expect(await count(t.dir)).toBe(before);
  });

  it('export writes JSON Lines that import loads into another root', async () => {
    const e = await hivedb(t.dir, ['export', 'all.jsonl']);
    expect(e.code, e.stderr).toBe(0);
    const lines = readFileSync(path.join(t.dir, 'all.jsonl'), 'utf8').trim().split('\n');
    expect(lines).toHaveLength(3);
    for (const l of lines) expect(() => JSON.parse(l)).not.toThrow();
    const stdout = await hivedb(t.dir, ['export', '-n', 'alpha']);
    expect(stdout.code).toBe(0);
    expect(stdout.stdout.trim().split('\n')).toHaveLength(2);

    const other = tempDir();
    try {
      expect((await hivedb(other.dir, ['init'])).code).toBe(0);
      const i = await hivedb(other.dir, ['import', path.join(t.dir, 'all.jsonl'), '--json']);
      expect(i.code, i.stderr).toBe(0);
      expect(json(i)).toMatchObject({ lines: 3, entries: 3 });
      expect(i.stderr).toMatch(/import: .*done/);
      expect(JSON.parse((await hivedb(other.dir, ['get', 'c', '-n', 'beta'])).stdout)).toBe('text');
    } finally {
      other.cleanup();
    }
  });

  it('import refuses a file with a bad line, naming it, and imports nothing', async () => {
    const good = readFileSync(path.join(t.dir, 'all.jsonl'), 'utf8').trim().split('\n');
    const file = path.join(t.dir, 'bad.jsonl');
    writeFileSync(file, `${good[0]}\n${good[1]}\n{"key": broken\n`);
    const other = tempDir();
    try {
      expect((await hivedb(other.dir, ['init'])).code).toBe(0);
      const r = await hivedb(other.dir, ['import', file]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/^hivedb: STORE_IMPORT_INVALID: .*line 3/m);
      expect(await count(other.dir)).toBe(0);
      expect(existsSync(path.join(other.dir, '.hive-mind', 'memory.db'))).toBe(true);
    } finally {
      other.cleanup();
    }
  });
});
