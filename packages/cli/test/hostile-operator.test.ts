import { existsSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createPool } from '@hivedb/pool';
import { SharedMemoryStore } from '@hivedb/store';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { digestRoot, fileDigest, hivedb, type RootDigest, seedRoot, tempDir } from './helpers.js';

/** One command an operator types, what it must end with, and the coded line it must print. */
interface Case {
  readonly args: readonly string[];
  readonly code: number;
  /** The first line of stderr (`hivedb: CODE: …`); `null` for a command that succeeds. */
  readonly error: RegExp | null;
}

/**
 * Issue 16, "what must be shown": every command that writes a file or changes data, run against
 * a live root holding 20 entries (a store stays open in this process), aimed at the root's own
 * files, at existing files, at empty and invalid namespaces and at /proc. After each: the exit
 * status, the coded message, and the sha256 of every `shared_memory` row and the change-log
 * count, unchanged.
 */
describe('a hostile operator against a live root', () => {
  const t = tempDir();
  const root = path.join(t.dir, '.hive-mind');
  const memory = path.join(root, 'memory.db');
  const hive = path.join(root, 'hive.db');
  const notes = path.join(t.dir, 'notes.txt');
  const link = path.join(t.dir, 'looks-harmless.html');
  const ownFiles = [memory, `${memory}-wal`, `${memory}-shm`, hive];
  let live: SharedMemoryStore;
  let before: RootDigest;
  let hiveBefore: string | null;
  let notesBefore: string | null;

  beforeAll(async () => {
    expect((await hivedb(t.dir, ['init'])).code).toBe(0);
    await seedRoot(t.dir, 20);
    live = await SharedMemoryStore.open({ projectRoot: t.dir, gcInterval: 0 });
    writeFileSync(notes, 'an operator file\n');
    symlinkSync(memory, link);
    before = await digestRoot(root);
    hiveBefore = fileDigest(hive);
    notesBefore = fileDigest(notes);
    expect(before.rows).toHaveLength(20);
    expect(existsSync(`${memory}-wal`)).toBe(true);
  });
  afterAll(async () => {
    await live.shutdown();
    t.cleanup();
  });

  async function expectSurvives(cases: readonly Case[]): Promise<void> {
    for (const c of cases) {
      const what = `hivedb ${c.args.join(' ')}`;
      const r = await hivedb(t.dir, c.args, 20_000);
      expect(r.code, `${what}\n${r.stderr}`).toBe(c.code);
      if (c.error !== null)
        expect(
          r.stderr.split('\n').find((l) => l.startsWith('hivedb: ')),
          what,
        ).toMatch(c.error);
      expect(await digestRoot(root), what).toEqual(before);
      expect(fileDigest(notes), what).toBe(notesBefore);
    }
  }

  const unsafe = /^hivedb: CLI_UNSAFE_OUTPUT: /;
  const usage = /^hivedb: CLI_USAGE: /;
  const badNamespaces = ['', 'a\u001b[2Jb', 'tab\there', 'n'.repeat(300)];
  /** Every way of aiming `write(target)` at a file it must not write, with and without --force. */
  const aimed = (write: (file: string) => string[]): Case[] => [
    ...ownFiles.flatMap((f) => [
      { args: write(f), code: 1, error: unsafe },
      { args: [...write(f), '--force'], code: 1, error: unsafe },
    ]),
    { args: write(link), code: 1, error: unsafe },
    { args: [...write(link), '--force'], code: 1, error: unsafe },
    { args: write(notes), code: 1, error: /^hivedb: CLI_UNSAFE_OUTPUT: .*exists already/ },
  ];

  it('init', async () => {
    await expectSurvives([
      { args: ['init'], code: 0, error: null },
      {
        args: ['init', '--root', '/proc'],
        code: 1,
        error: /^hivedb: CLI_IO: .*\/proc\/\.hive-mind/,
      },
      {
        args: ['init', '--root', memory],
        code: 1,
        error: /^hivedb: CLI_IO: .*memory\.db is a file/,
      },
    ]);
  });

  it('set', async () => {
    await expectSurvives([
      ...badNamespaces.map((ns) => ({
        args: ['set', 'key-1', '1', '-n', ns],
        code: 2,
        error: usage,
      })),
      {
        args: ['set', 'key-1', '123456789012345678901234567890', '-n', 'alpha'],
        code: 2,
        error: /^hivedb: CLI_BAD_JSON: /,
      },
      { args: ['set', 'key-1', '{"a":', '-n', 'alpha'], code: 2, error: /^hivedb: CLI_BAD_JSON: / },
      { args: ['set', 'k', '1', '--root', '/proc'], code: 1, error: /^hivedb: CLI_NO_ROOT: / },
    ]);
  });

  it('delete', async () => {
    await expectSurvives([
      ...badNamespaces.map((ns) => ({
        args: ['delete', 'key-1', '-n', ns],
        code: 2,
        error: usage,
      })),
      { args: ['delete', 'key-1', '--root', '/proc'], code: 1, error: /^hivedb: CLI_NO_ROOT: / },
    ]);
  });

  it('import', async () => {
    await expectSurvives([
      ...ownFiles.map((f) => ({
        args: ['import', f],
        code: 2,
        error: /^hivedb: CLI_USAGE: import: .*live database/,
      })),
      { args: ['import', notes], code: 1, error: /^hivedb: STORE_IMPORT_INVALID: / },
      { args: ['import', '/proc/self/status'], code: 1, error: /^hivedb: STORE_IMPORT_INVALID: / },
    ]);
  });

  it('restore', async () => {
    await expectSurvives([
      ...ownFiles.map((f) => ({
        args: ['restore', f],
        code: 2,
        error: /^hivedb: CLI_USAGE: restore: .*live database/,
      })),
      { args: ['restore', notes], code: 1, error: /^hivedb: STORE_RESTORE_REFUSED: / },
      {
        args: ['restore', '/proc/self/status'],
        code: 1,
        error: /^hivedb: STORE_RESTORE_REFUSED: /,
      },
    ]);
  });

  it('backup', async () => {
    await expectSurvives([
      ...aimed((f) => ['backup', f]),
      { args: ['backup', '/proc/hivedb-backup.db'], code: 1, error: /^hivedb: [A-Z_]+: / },
    ]);
    expect(existsSync('/proc/hivedb-backup.db')).toBe(false);
  });

  it('export', async () => {
    await expectSurvives([
      ...aimed((f) => ['export', f]),
      ...badNamespaces.map((ns) => ({ args: ['export', '-n', ns], code: 2, error: usage })),
      { args: ['export', '/proc/entries.jsonl'], code: 1, error: /^hivedb: CLI_IO: / },
      { args: ['export', '/proc/version', '--force'], code: 1, error: /^hivedb: CLI_IO: / },
    ]);
  });

  it('report --html', async () => {
    await expectSurvives([
      ...aimed((f) => ['report', '--html', f]),
      { args: ['report', '--html', '/proc/report.html'], code: 1, error: /^hivedb: CLI_IO: / },
    ]);
    expect(fileDigest(hive)).toBe(hiveBefore);
  });

  it('demo', async () => {
    const demo = ['demo', '--agents', '1', '--duration', '1s'];
    await expectSurvives([
      ...aimed((f) => [...demo, '--html', f]),
      { args: demo, code: 1, error: /^hivedb: CLI_ROOT_HAS_DATA: / },
      { args: [...demo, '--fresh'], code: 1, error: /^hivedb: CLI_ROOT_HAS_DATA: / },
      {
        args: [...demo, '--root', '/proc'],
        code: 1,
        error: /^hivedb: CLI_IO: .*\/proc\/\.hive-mind/,
      },
    ]);
  });

  it('migrate', async () => {
    await expectSurvives([
      { args: ['migrate'], code: 0, error: null },
      {
        args: ['migrate', '--database', 'memory', '--to', 'bogus'],
        code: 2,
        error: /^hivedb: SCHEMA_UNKNOWN_TARGET: /,
      },
      { args: ['migrate', '--database', 'nope'], code: 2, error: usage },
      { args: ['migrate', '--root', '/proc'], code: 1, error: /^hivedb: CLI_NO_ROOT: / },
    ]);
  });

  it('rollback', async () => {
    await expectSurvives([
      { args: ['rollback'], code: 2, error: usage },
      { args: ['rollback', '--to', 'bogus'], code: 2, error: /^hivedb: SCHEMA_UNKNOWN_TARGET: / },
      { args: ['rollback', '--to', '0002_change_triggers'], code: 0, error: null },
      {
        args: ['rollback', '--to', 'none', '--root', '/proc'],
        code: 1,
        error: /^hivedb: CLI_NO_ROOT: /,
      },
    ]);
  });

  it('optimize', async () => {
    await expectSurvives([
      { args: ['optimize'], code: 0, error: null },
      { args: ['optimize', '--full'], code: 0, error: null },
      { args: ['optimize', '--root', '/proc'], code: 1, error: /^hivedb: CLI_NO_ROOT: / },
    ]);
  });
});

/**
 * Cases whose refusal is the library's (`@hivedb/store`'s `restore()`, issue 16 item 2): on a
 * branch without the library's fix they fail, and say so.
 */
describe('a hostile operator against a live root: refusals the library makes', () => {
  const t = tempDir();
  const root = path.join(t.dir, '.hive-mind');
  afterAll(t.cleanup);

  it('restore of a foreign SQLite file holding an empty shared_memory(key, value) is refused', async () => {
    expect((await hivedb(t.dir, ['init'])).code).toBe(0);
    await seedRoot(t.dir, 20);
    const before = await digestRoot(root);
    const wrong = createPool({ filename: 'wrong.db', root: t.dir, healthCheckInterval: 0 });
    await wrong.run('CREATE TABLE shared_memory (key TEXT, value TEXT)');
    await wrong.close();
    const r = await hivedb(t.dir, ['restore', path.join(t.dir, 'wrong.db')]);
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stderr).toMatch(/^hivedb: STORE_RESTORE_REFUSED: /m);
    expect(await digestRoot(root)).toEqual(before);
  });
});
