import { closeSync, existsSync, openSync, readFileSync, statSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { run } from '@hivedb/cli';
import { SharedMemoryStore } from '@hivedb/store';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { capture, digestRoot, seedRoot, tempDir } from './helpers.js';

/** This process's POSIX locks on `file` (by inode), from /proc/locks. */
function locksOn(file: string): number {
  const ino = statSync(file).ino;
  return readFileSync('/proc/locks', 'utf8')
    .split('\n')
    .filter((l) => {
      const f = l.trim().split(/\s+/);
      // 1: POSIX  ADVISORY  READ 1234 fd:00:2146415 128 128
      return f[1] === 'POSIX' && f[4] === String(process.pid) && f[5]?.endsWith(`:${ino}`);
    }).length;
}

/**
 * POSIX record locks belong to the process, and closing ANY descriptor of a file drops every
 * lock the process holds on it — SQLite's too (its shared lock on the database, which keeps
 * another process's last close from deleting the WAL, and the -shm's). So `run()` in a program
 * that has a database open must never open and close a descriptor of its own on that database
 * or its sidecars: not to read a header (the output-file check), not to inspect it (status,
 * the read-only store), not to read it as an input (restore, import).
 */
describe.runIf(existsSync('/proc/locks'))('run() in a process that has the database open', () => {
  const t = tempDir();
  const a = path.join(t.dir, 'a');
  const b = path.join(t.dir, 'b');
  const memory = path.join(a, '.hive-mind', 'memory.db');
  let live: SharedMemoryStore;
  afterAll(async () => {
    await live?.shutdown();
    t.cleanup();
  });
  beforeAll(async () => {
    expect(await run(['init', '--root', b], capture())).toBe(0);
    await seedRoot(a, 20);
    live = await SharedMemoryStore.open({ projectRoot: a, gcInterval: 0 });
    await live.get('key-1', { namespace: 'alpha' });
    symlinkSync(memory, path.join(t.dir, 'entries.jsonl'));
    symlinkSync(memory, path.join(t.dir, 'other.db'));
  });

  const held = () => ({ db: locksOn(memory) > 0, shm: locksOn(`${memory}-shm`) > 0 });

  it('holds SQLite locks on memory.db and its -shm to begin with', () => {
    expect(held()).toEqual({ db: true, shm: true });
  });

  it('keeps them through every command aimed at the open database', async () => {
    const before = await digestRoot(path.join(a, '.hive-mind'));
    const cases: [string[], number, RegExp][] = [
      // output targets whose check would read the open file's header
      [
        ['export', path.join(t.dir, 'entries.jsonl'), '--force'],
        1,
        /CLI_UNSAFE_OUTPUT: .*open in this process/,
      ],
      [
        ['report', '--html', path.join(t.dir, 'other.db-wal')],
        1,
        /CLI_UNSAFE_OUTPUT: .*-wal file of/,
      ],
      [['backup', path.join(t.dir, 'other.db-shm'), '--force'], 1, /CLI_UNSAFE_OUTPUT: /],
      // inputs the command or the store would read
      [['restore', memory], 1, /CLI_FILE_IN_USE: restore: .*memory\.db is open in this process/],
      [['import', memory], 1, /CLI_FILE_IN_USE: import: .*memory\.db is open in this process/],
      // the root itself: inspecting it reads its header
      [['status', '--root', a], 1, /CLI_FILE_IN_USE: .*memory\.db is open in this process/],
      [['check', '--root', a], 1, /CLI_FILE_IN_USE: /],
      [['get', 'key-1', '-n', 'alpha', '--root', a], 1, /CLI_FILE_IN_USE: /],
      [['list', '--root', a], 1, /CLI_FILE_IN_USE: /],
      [['export', '--root', a], 1, /CLI_FILE_IN_USE: /],
    ];
    for (const [args, code, error] of cases) {
      const o = capture();
      const what = args.join(' ');
      const withRoot = args.includes('--root') ? args : [...args, '--root', b];
      expect(await run(withRoot, o), `${what}\n${o.err}`).toBe(code);
      expect(o.err, what).toMatch(new RegExp(`^hivedb: ${error.source}`, 'm'));
      expect(held(), what).toEqual({ db: true, shm: true });
    }
    expect(await digestRoot(path.join(a, '.hive-mind'))).toEqual(before);
    // the other root's commands are not affected
    expect(await run(['status', '--root', b], capture())).toBe(0);
    expect(held()).toEqual({ db: true, shm: true });
  });

  it('(the check above can fail: a plain open and close drops them)', () => {
    closeSync(openSync(memory, 'r'));
    expect(held().db).toBe(false);
  });
});
