import {
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { createPool } from '@hivedb/pool';
import { SharedMemoryStore } from '@hivedb/store';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { digestRoot, fileDigest, hivedb, type RootDigest, seedRoot, tempDir } from './helpers.js';

// Issue 16, item 1: no command writes over an existing file without --force, and none writes
// over a database file, its -wal/-shm/-journal or a file of the open root, even with --force.
describe('commands that write a file refuse unsafe targets', () => {
  const t = tempDir();
  const root = path.join(t.dir, '.hive-mind');
  const memory = path.join(root, 'memory.db');
  // A live root: a store stays open in this process, so memory.db-wal and -shm exist.
  let live: SharedMemoryStore;
  let before: RootDigest;
  const files = () =>
    Object.fromEntries(
      ['memory.db', 'memory.db-wal', 'memory.db-shm', 'hive.db'].map((f) => [
        f,
        fileDigest(path.join(root, f)),
      ]),
    );
  let sidecarsBefore: Record<string, string | null>;

  beforeAll(async () => {
    expect((await hivedb(t.dir, ['init'])).code).toBe(0);
    await seedRoot(t.dir, 20);
    live = await SharedMemoryStore.open({ projectRoot: t.dir, gcInterval: 0 });
    symlinkSync(memory, path.join(t.dir, 'link-to-memory.db'));
    before = await digestRoot(root);
    sidecarsBefore = files();
  });
  afterAll(async () => {
    await live.shutdown();
    t.cleanup();
  });

  const targets = () => [
    memory,
    `${memory}-wal`,
    `${memory}-shm`,
    `${memory}-journal`,
    path.join(root, 'hive.db'),
    path.join(t.dir, 'link-to-memory.db'),
  ];
  const writers = (file: string): string[][] => [
    ['export', file],
    ['report', '--html', file],
    ['backup', file],
    // the demo checks its --html target before it starts anything
    ...(file.endsWith('.db')
      ? [['demo', '--agents', '1', '--duration', '1s', '--html', file]]
      : []),
  ];

  it('refuses the root own files and a symlink to memory.db, even with --force', async () => {
    expect(existsSync(`${memory}-wal`)).toBe(true);
    for (const file of targets())
      for (const args of writers(file))
        for (const force of file.endsWith('.db') ? [[], ['--force']] : [['--force']]) {
          const r = await hivedb(t.dir, [...args, ...force]);
          const what = `${args.join(' ')} ${force.join(' ')}`;
          expect(r.code, `${what}\n${r.stderr}`).toBe(1);
          expect(r.stderr, what).toMatch(/^hivedb: CLI_UNSAFE_OUTPUT: /);
          expect(r.stderr, what).toContain(path.basename(file));
        }
    expect(await digestRoot(root)).toEqual(before);
    expect(files()['memory.db']).toBe(sidecarsBefore['memory.db']);
    expect(files()['hive.db']).toBe(sidecarsBefore['hive.db']);
    expect(existsSync(`${memory}-journal`)).toBe(false);
    const get = await hivedb(t.dir, ['get', 'key-1', '-n', 'alpha']);
    expect(get.code, get.stderr).toBe(0);
  }, 180_000);

  it('refuses any other SQLite file, even with --force', async () => {
    const copy = path.join(t.dir, 'copy.db');
    expect((await hivedb(t.dir, ['backup', copy])).code).toBe(0);
    const sha = fileDigest(copy);
    for (const args of [
      ['export', copy, '--force'],
      ['report', '--html', copy, '--force'],
      ['backup', copy, '--force'],
    ]) {
      const r = await hivedb(t.dir, args);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr).toMatch(/^hivedb: CLI_UNSAFE_OUTPUT: .*copy\.db.*SQLite database/);
    }
    expect(fileDigest(copy)).toBe(sha);
  });

  // The pool keeps <db>-checkpointer beside each database (its checkpointer election's lock):
  // a sidecar like -wal and -shm, never written, whether it exists yet or not.
  it('refuses the -checkpointer file of the root and of any SQLite file, even with --force', async () => {
    const copy = path.join(t.dir, 'copy-2.db');
    expect((await hivedb(t.dir, ['backup', copy])).code).toBe(0);
    writeFileSync(`${copy}-checkpointer`, '');
    writeFileSync(path.join(t.dir, 'new.db'), readFileSync(copy));
    for (const file of [
      `${memory}-checkpointer`,
      `${copy}-checkpointer`,
      path.join(t.dir, 'new.db-checkpointer'),
    ])
      for (const args of [
        ['export', file, '--force'],
        ['report', '--html', file, '--force'],
        ['backup', file, '--force'],
      ]) {
        const r = await hivedb(t.dir, args);
        const what = args.join(' ');
        expect(r.code, `${what}\n${r.stderr}`).toBe(1);
        expect(r.stderr, what).toMatch(
          file.startsWith(root)
            ? /^hivedb: CLI_UNSAFE_OUTPUT: .*-checkpointer.*inside the root/
            : /^hivedb: CLI_UNSAFE_OUTPUT: .*is the -checkpointer file of the SQLite database/,
        );
      }
    // The root's own lock file exists once a pool of the root elected its checkpointer (it holds
    // a lock on the empty file and never writes to it): nothing was written into it.
    expect(existsSync(`${memory}-checkpointer`) ? statSync(`${memory}-checkpointer`).size : 0).toBe(
      0,
    );
    expect(readFileSync(`${copy}-checkpointer`, 'utf8')).toBe('');
    expect(existsSync(path.join(t.dir, 'new.db-checkpointer'))).toBe(false);
    // …and neither is an input: restore and import refuse the root's as a live database file
    writeFileSync(`${memory}-checkpointer`, '');
    try {
      for (const cmd of ['restore', 'import']) {
        const r = await hivedb(t.dir, [cmd, `${memory}-checkpointer`]);
        expect(r.code, cmd).toBe(2);
        expect(r.stderr, cmd).toMatch(/^hivedb: CLI_USAGE: .*live database file of the root/);
      }
    } finally {
      rmSync(`${memory}-checkpointer`);
    }
  });

  it('refuses an existing file without --force and replaces it with --force', async () => {
    const notes = path.join(t.dir, 'notes.txt');
    writeFileSync(notes, 'keep me\n');
    for (const args of [
      ['export', notes],
      ['report', '--html', notes],
      ['backup', notes],
    ]) {
      const r = await hivedb(t.dir, args);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr).toMatch(/^hivedb: CLI_UNSAFE_OUTPUT: .*notes\.txt exists.*--force/);
    }
    expect(readFileSync(notes, 'utf8')).toBe('keep me\n');
    const forced = await hivedb(t.dir, ['export', notes, '--force']);
    expect(forced.code, forced.stderr).toBe(0);
    expect(readFileSync(notes, 'utf8').trim().split('\n')).toHaveLength(20);
  });

  it('replaces a symlink at the target instead of writing through it', async () => {
    const elsewhere = path.join(t.dir, 'elsewhere.txt');
    writeFileSync(elsewhere, 'untouched\n');
    const link = path.join(t.dir, 'out.jsonl');
    symlinkSync(elsewhere, link);
    const refused = await hivedb(t.dir, ['export', link]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^hivedb: CLI_UNSAFE_OUTPUT: .*exists/);
    const r = await hivedb(t.dir, ['export', link, '--force']);
    expect(r.code, r.stderr).toBe(0);
    expect(lstatSync(link).isSymbolicLink()).toBe(false);
    expect(readFileSync(elsewhere, 'utf8')).toBe('untouched\n');
    expect(readFileSync(link, 'utf8').trim().split('\n')).toHaveLength(20);
  });

  it('a new file inside the root is fine; writing over one there is refused, even with --force', async () => {
    const inRoot = path.join(root, 'entries.jsonl');
    const r = await hivedb(t.dir, ['export', inRoot]);
    expect(r.code, r.stderr).toBe(0);
    const again = await hivedb(t.dir, ['export', inRoot, '--force']);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/^hivedb: CLI_UNSAFE_OUTPUT: .*entries\.jsonl.*inside the root/);
  });
});

describe('a failed write leaves no file behind', () => {
  const t = tempDir();
  const root = path.join(t.dir, '.hive-mind');
  afterAll(t.cleanup);

  it('an export that fails half-way leaves neither the target nor a temporary file', async () => {
    expect((await hivedb(t.dir, ['init'])).code).toBe(0);
    await seedRoot(t.dir, 200);
    // One stored value that is not JSON (a damaged row, with a line break, so that it must be
    // re-serialized), late in key order: the export fails there, after writing hundreds of lines.
    const pool = createPool({ filename: 'memory.db', root, healthCheckInterval: 0 });
    await pool.run(
      "UPDATE shared_memory SET value = '{not\njson' WHERE namespace = ? AND key = ?",
      ['beta', 'key-98'],
    );
    await pool.close();
    const out = path.join(t.dir, 'out', 'all.jsonl');
    mkdirSync(path.dirname(out));
    const r = await hivedb(t.dir, ['export', out]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^hivedb: (CLI_BAD_DATABASE|STORE_INVALID_VALUE): .*not valid JSON/m);
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(path.dirname(out))).toEqual([]);
  });
});
