import {
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  realpathSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join, sep } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { createPool } from '../src/index.js';
import type { PoolOptions } from '../src/index.js';
import { type Sandbox, expectThrowCode, useSandbox } from './helpers/index.js';

const sb = useSandbox();

/** Every entry under `dir` (symlinks not followed) with its size and mtime: a fingerprint of the tree. */
function tree(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      const st = lstatSync(p);
      out.push(
        `${p} ${st.isSymbolicLink() ? 'link' : st.isDirectory() ? 'dir' : 'file'} ${st.size} ${st.mtimeMs}`,
      );
      if (e.isDirectory()) walk(p);
    }
  };
  walk(dir);
  return out.sort();
}

/** A real SQLite database outside the root, to check that it is never opened for writing. */
function outsideDatabase(s: Sandbox): string {
  const file = join(s.outside, 'target.db');
  const db = new Database(file);
  db.exec('CREATE TABLE secret (v TEXT); INSERT INTO secret VALUES (1)');
  db.close();
  return file;
}

type Case = [string, (s: Sandbox) => string | Partial<PoolOptions>];

const hostile: Case[] = [
  ['a parent traversal', () => '../x.db'],
  ['a traversal through a subfolder', () => 'a/../../x.db'],
  ['a traversal after ./', () => './../x.db'],
  ['the parent folder itself', () => '..'],
  ['a deep traversal landing in the sibling folder', () => 'a/b/c/../../../../outside/x.db'],
  ['an absolute path outside root', (s) => join(s.outside, 'x.db')],
  [
    "an absolute path in a sibling folder whose name extends root's",
    (s) => {
      mkdirSync(`${s.root}-evil`);
      return `${s.root}-evil${sep}x.db`;
    },
  ],
  [
    'a symlinked folder pointing outside',
    (s) => {
      symlinkSync(s.outside, join(s.root, 'out'));
      return 'out/x.db';
    },
  ],
  [
    'a relative symlinked folder pointing outside',
    (s) => {
      symlinkSync('../outside', join(s.root, 'rel'));
      return 'rel/x.db';
    },
  ],
  [
    'a nested path under a symlinked parent that leaves root',
    (s) => {
      mkdirSync(join(s.outside, 'b'));
      symlinkSync(s.outside, join(s.root, 'a'));
      return 'a/b/x.db';
    },
  ],
  [
    'an absolute path inside root through a symlink that leaves it',
    (s) => {
      symlinkSync(s.outside, join(s.root, 'out'));
      return join(s.root, 'out', 'x.db');
    },
  ],
  [
    'a chain of symlinks that ends outside',
    (s) => {
      symlinkSync(s.outside, join(s.root, 'l2'));
      symlinkSync(join(s.root, 'l2'), join(s.root, 'l1'));
      return 'l1/x.db';
    },
  ],
  [
    'a file symlink to an existing database outside',
    (s) => {
      symlinkSync(outsideDatabase(s), join(s.root, 'link.db'));
      return 'link.db';
    },
  ],
  [
    'a dangling file symlink whose target would be created outside',
    (s) => {
      symlinkSync(join(s.outside, 'new.db'), join(s.root, 'dangling.db'));
      return 'dangling.db';
    },
  ],
  ['a NUL byte', () => 'x.db\0'],
  ['a NUL byte hiding a traversal', () => 'x.db\0/../../x.db'],
  ['a file: URI with a query', () => 'file:x.db?mode=ro'],
  ['a file: URI with an absolute path outside', (s) => `file://${join(s.outside, 'x.db')}`],
  ['a file: URI asking for a shared cache', () => 'file:x.db?cache=shared'],
  ['file::memory:', () => 'file::memory:'],
  [
    'file::memory: even with memory: true',
    () => ({ filename: 'file::memory:?cache=shared', memory: true }),
  ],
  [':memory: without memory: true', () => ':memory:'],
];

describe('path safety', () => {
  it('covers at least 15 hostile paths', () => {
    expect(hostile.length).toBeGreaterThanOrEqual(15);
  });

  it.each(hostile)('refuses %s with POOL_UNSAFE_PATH before touching any file', (_, make) => {
    const s = sb();
    const made = make(s);
    const options = typeof made === 'string' ? { filename: made } : made;
    const before = tree(s.base);
    expectThrowCode(
      () => createPool({ root: s.root, ...options } as PoolOptions),
      'POOL_UNSAFE_PATH',
    );
    expect(tree(s.base)).toEqual(before);
  });

  // Names that look odd but are not escapes on this platform (a backslash is a plain character on
  // POSIX, `%2e` is not decoded by the file system). Refusing them is allowed; opening anything
  // outside root is not.
  const odd: Case[] = [
    ['a backslash traversal', () => '..\\x.db'],
    ['a percent-encoded traversal', () => '%2e%2e/x.db'],
    ['a percent-encoded traversal with an encoded slash', () => '%2e%2e%2fx.db'],
    ['an uppercase FILE: prefix', () => 'FILE:x.db'],
    ['three dots', () => '.../x.db'],
    ['a name ending in /..', () => 'x.db/..'],
    ['a very long name', () => `${'a'.repeat(5000)}.db`],
    ['a very deep path', () => `${'d/'.repeat(2000)}x.db`],
    [
      'a symlink loop',
      (s) => {
        symlinkSync(join(s.root, 'loop'), join(s.root, 'loop'));
        return 'loop/x.db';
      },
    ],
  ];

  it.each(odd)('either refuses %s or opens it inside root, never outside', async (_, make) => {
    const s = sb();
    const made = make(s);
    const options = typeof made === 'string' ? { filename: made } : made;
    const outsideBefore = tree(s.outside);
    const baseBefore = readdirSync(s.base).sort();
    let pool: ReturnType<typeof createPool> | undefined;
    try {
      pool = createPool({ root: s.root, ...options } as PoolOptions);
    } catch (err) {
      expect((err as Error).name).toBe('HiveDbError');
      expect(['POOL_UNSAFE_PATH', 'POOL_OPEN_FAILED', 'POOL_INVALID_OPTION']).toContain(
        (err as { code: string }).code,
      );
    }
    if (pool) {
      try {
        await pool.run('CREATE TABLE t (id INTEGER PRIMARY KEY)');
        expect(realpathSync(pool.filename).startsWith(s.root + sep)).toBe(true);
      } finally {
        await pool.close();
      }
    }
    expect(tree(s.outside)).toEqual(outsideBefore);
    expect(readdirSync(s.base).sort()).toEqual(baseBefore);
  });

  it('refuses a root that is a file, and leaves the file alone', () => {
    const s = sb();
    const file = join(s.base, 'not-a-folder');
    writeFileSync(file, 'hello');
    const before = tree(s.base);
    let caught: unknown;
    try {
      createPool({ root: file, filename: 'x.db' });
    } catch (err) {
      caught = err;
    }
    expect((caught as Error | undefined)?.name).toBe('HiveDbError');
    expect(tree(s.base)).toEqual(before);
  });

  describe('allowed paths', () => {
    it('a nested folder inside root', async () => {
      const s = sb();
      mkdirSync(join(s.root, 'data', 'nested'), { recursive: true });
      const pool = s.pool({ filename: 'data/nested/x.db' });
      expect(pool.filename).toBe(join(s.root, 'data', 'nested', 'x.db'));
      await pool.run('CREATE TABLE t (id INTEGER PRIMARY KEY)');
      expect(existsSync(join(s.root, 'data', 'nested', 'x.db'))).toBe(true);
    });

    it('a traversal that stays inside root', async () => {
      const s = sb();
      mkdirSync(join(s.root, 'sub'));
      const pool = s.pool({ filename: 'sub/../x.db' });
      expect(pool.filename).toBe(join(s.root, 'x.db'));
    });

    it('an absolute path inside root', async () => {
      const s = sb();
      const pool = s.pool({ filename: join(s.root, 'abs.db') });
      await pool.run('CREATE TABLE t (id INTEGER PRIMARY KEY)');
      expect(existsSync(join(s.root, 'abs.db'))).toBe(true);
    });

    it('a symlinked folder inside root that points inside root', async () => {
      const s = sb();
      mkdirSync(join(s.root, 'real'));
      symlinkSync(join(s.root, 'real'), join(s.root, 'alias'));
      const pool = s.pool({ filename: 'alias/x.db' });
      await pool.run('CREATE TABLE t (id INTEGER PRIMARY KEY)');
      expect(existsSync(join(s.root, 'real', 'x.db'))).toBe(true);
    });

    it('a file symlink inside root to a database inside root', async () => {
      const s = sb();
      const setup = s.raw('real.db');
      setup.exec("CREATE TABLE t (v TEXT); INSERT INTO t VALUES ('through the link')");
      setup.close();
      symlinkSync(join(s.root, 'real.db'), join(s.root, 'alias.db'));
      const pool = s.pool({ filename: 'alias.db' });
      expect(await pool.get('SELECT v FROM t')).toEqual({ v: 'through the link' });
    });

    it('a root given through a symlink', async () => {
      const s = sb();
      const linkedRoot = join(s.base, 'root-link');
      symlinkSync(s.root, linkedRoot);
      const pool = s.pool({ root: linkedRoot, filename: 'x.db' });
      await pool.run('CREATE TABLE t (id INTEGER PRIMARY KEY)');
      expect(existsSync(join(s.root, 'x.db'))).toBe(true);
    });

    it(':memory: with memory: true serves its own writes to its reads, and touches no file', async () => {
      const s = sb();
      const pool = s.pool({ filename: ':memory:', memory: true });
      expect(pool.filename).toBe(':memory:');
      await pool.run('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)');
      await Promise.all([
        pool.run("INSERT INTO t (v) VALUES ('a')"),
        pool.run("INSERT INTO t (v) VALUES ('b')"),
      ]);
      expect(await pool.all('SELECT v FROM t ORDER BY id')).toEqual([{ v: 'a' }, { v: 'b' }]);
      expect(await pool.read((tx) => tx.get('SELECT count(*) AS n FROM t'))).toEqual({ n: 2 });
      expect(readdirSync(s.root)).toEqual([]);
    });
  });
});
