import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { digestRoot, hivedb, json, tempDir } from './helpers.js';

describe('usage errors are caught before anything is opened', () => {
  const t = tempDir();
  const root = path.join(t.dir, '.hive-mind');
  afterAll(t.cleanup);
  beforeAll(async () => {
    expect((await hivedb(t.dir, ['init'])).code).toBe(0);
    expect((await hivedb(t.dir, ['set', 'k', '1'])).code).toBe(0);
  });

  // Issue 16, item 3.
  it('an empty or invalid namespace is exit 2 in every command that takes -n', async () => {
    const before = await digestRoot(root);
    const bad = ['', 'a\u001b[2Jb', 'line\nbreak', 'c1\u009bx', 'del\u007f', 'n'.repeat(257)];
    const commands = [['get', 'k'], ['set', 'k', '2'], ['delete', 'k'], ['list'], ['export']];
    for (const ns of bad)
      for (const args of commands) {
        const what = `${args.join(' ')} -n ${JSON.stringify(ns).slice(0, 20)}`;
        const r = await hivedb(t.dir, [...args, '-n', ns]);
        expect(r.code, `${what}\n${r.stderr}`).toBe(2);
        expect(r.stderr, what).toMatch(/^hivedb: CLI_USAGE: -n: /);
        expect(r.stdout, what).toBe('');
      }
    // …and before the root is even looked at
    for (const args of commands) {
      const missing = await hivedb(t.dir, [...args, '-n', '', '--root', path.join(t.dir, 'none')]);
      expect(missing.code, args.join(' ')).toBe(2);
    }
    expect(await digestRoot(root)).toEqual(before);
    expect(JSON.parse((await hivedb(t.dir, ['get', 'k'])).stdout)).toBe(1);
  }, 240_000);

  // Issue 16, item 12.
  it('a number JSON cannot hold exactly is refused with a hint to quote it', async () => {
    for (const value of [
      '123456789012345678901234567890',
      '9007199254740993',
      '-9007199254740993',
      '3.14159265358979323846',
      '1e400',
      '{"a":[1,{"b":12345678901234567890}]}',
      '[0.1, 0.10000000000000001]',
    ]) {
      const r = await hivedb(t.dir, ['set', 'n', value]);
      expect(r.code, `${value}\n${r.stderr}`).toBe(2);
      expect(r.stderr, value).toMatch(/^hivedb: CLI_BAD_JSON: VALUE: .*cannot be stored exactly/);
      expect(r.stderr, value).toMatch(/--string/);
    }
    expect((await hivedb(t.dir, ['get', 'n'])).code).toBe(1);
    for (const [value, stored] of [
      ['9007199254740991', 9007199254740991],
      ['0.1', 0.1],
      ['1.50', 1.5],
      ['-2.5e-3', -0.0025],
      ['"123456789012345678901234567890"', '123456789012345678901234567890'],
      ['{"text":"12345678901234567890 in a string"}', { text: '12345678901234567890 in a string' }],
    ] as const) {
      const r = await hivedb(t.dir, ['set', 'n', value]);
      expect(r.code, `${value}\n${r.stderr}`).toBe(0);
      expect(JSON.parse((await hivedb(t.dir, ['get', 'n'])).stdout)).toEqual(stored);
    }
    const text = await hivedb(t.dir, ['set', 'n', '--string', '123456789012345678901234567890']);
    expect(text.code).toBe(0);
    expect(JSON.parse((await hivedb(t.dir, ['get', 'n'])).stdout)).toBe(
      '123456789012345678901234567890',
    );
  });
});

describe('smaller faults', () => {
  const t = tempDir();
  afterAll(t.cleanup);
  beforeAll(async () => {
    expect((await hivedb(t.dir, ['init'])).code).toBe(0);
  });

  it('bare hivedb prints help on stderr and exits 2', async () => {
    const r = await hivedb(t.dir, []);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^Usage: hivedb /);
    const help = await hivedb(t.dir, ['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: hivedb /);
  });

  it('the help of -n says what a command without -n covers', async () => {
    for (const cmd of ['list', 'export']) {
      const r = await hivedb(t.dir, [cmd, '--help']);
      expect(r.stdout, cmd).toMatch(
        /-n, --namespace <ns>\s+only this namespace \(default: every\s+namespace\)/,
      );
      expect(r.stdout, cmd).not.toMatch(/default shared_state/);
    }
    for (const cmd of ['get', 'set', 'delete']) {
      const r = await hivedb(t.dir, [cmd, '--help']);
      expect(r.stdout, cmd).toMatch(/-n, --namespace <ns>\s+namespace \(default: shared_state\)/);
    }
  });

  it('optimize says "grew by" when a file grew', async () => {
    // A fresh file grows on its first optimize (ANALYZE writes sqlite_stat1): the case.
    const other = tempDir();
    try {
      expect((await hivedb(other.dir, ['init'])).code).toBe(0);
      const text = await hivedb(other.dir, ['optimize']);
      expect(text.code, text.stderr).toBe(0);
      expect(text.stdout).not.toMatch(/\(-[\d.]+ \S+ freed/);
      expect(text.stdout).toMatch(/^memory\.db: \S+ \S+ → \S+ \S+ \(grew by [\d.]+ \S+; /m);
      for (const line of text.stdout.trim().split('\n'))
        expect(line).toMatch(/^\w+\.db: \S+ \S+ → \S+ \S+ \((grew by|[\d.]+ \S+ freed|no change)/);
    } finally {
      other.cleanup();
    }
  });
});

describe('list pages with a cursor and says how many more there are', () => {
  const t = tempDir();
  afterAll(t.cleanup);
  const all: string[] = [];
  beforeAll(async () => {
    expect((await hivedb(t.dir, ['init'])).code).toBe(0);
    const lines: string[] = [];
    for (const ns of ['alpha', 'beta', 'gamma'])
      for (let i = 0; i < 9; i++) {
        const key = `k${String(i).padStart(2, '0')}`;
        lines.push(JSON.stringify({ namespace: ns, key, value: i }));
        all.push(`${ns}:${key}`);
      }
    const { writeFileSync } = await import('node:fs');
    writeFileSync(path.join(t.dir, 'in.jsonl'), `${lines.join('\n')}\n`);
    expect((await hivedb(t.dir, ['import', 'in.jsonl'])).code).toBe(0);
  });

  type Page = {
    entries: { namespace: string; key: string }[];
    cursor: string | null;
    more: number;
  };

  it('every namespace: pages of --limit, the next --cursor and the count left', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    const mores: number[] = [];
    for (let i = 0; i < 10; i++) {
      const r = await hivedb(t.dir, [
        'list',
        '--limit',
        '10',
        '--json',
        ...(cursor === null ? [] : ['--cursor', cursor]),
      ]);
      expect(r.code, r.stderr).toBe(0);
      const page = json<Page>(r);
      seen.push(...page.entries.map((e) => `${e.namespace}:${e.key}`));
      mores.push(page.more);
      cursor = page.cursor;
      if (cursor === null) break;
    }
    expect(seen).toEqual(all);
    expect(mores).toEqual([17, 7, 0]);
    const text = await hivedb(t.dir, ['list', '--limit', '5']);
    expect(text.stdout).toMatch(/22 more entries: hivedb list --limit 5 --cursor \S+/);
  });

  it('one namespace pages the same way; a bad cursor or limit is exit 2', async () => {
    const first = json<Page>(await hivedb(t.dir, ['list', '-n', 'beta', '--limit', '4', '--json']));
    expect(first.entries.map((e) => e.key)).toEqual(['k00', 'k01', 'k02', 'k03']);
    expect(first.more).toBe(5);
    const next = json<Page>(
      await hivedb(t.dir, [
        'list',
        '-n',
        'beta',
        '--limit',
        '4',
        '--json',
        '--cursor',
        first.cursor ?? '',
      ]),
    );
    expect(next.entries.map((e) => e.key)).toEqual(['k04', 'k05', 'k06', 'k07']);
    expect(next.more).toBe(1);
    const bad = await hivedb(t.dir, ['list', '--cursor', 'nonsense']);
    expect(bad.code).toBe(2);
    const big = await hivedb(t.dir, ['list', '--limit', '10001']);
    expect(big.code).toBe(2);
    expect(big.stderr).toMatch(/--limit: expected a whole number from 1 to 10000/);
  });
});
