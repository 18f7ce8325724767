import { describe, expect, it } from 'vitest';
import type { SharedMemoryStore } from '../src/index.js';
import { expectRejectCode, useSandbox } from './helpers/sandbox.js';

const sb = useSandbox();

const KEYS = [
  'a',
  'ab',
  'abc',
  'b',
  'task:1',
  'task:17',
  'task:x',
  '100*',
  '100%',
  'what?',
  'a.c',
  'a\\b',
  '^x$',
  '(g)',
  'é',
  '😀',
];

/** Every pattern, what it must match (in key order), and why. */
const CASES: ReadonlyArray<[pattern: string, matches: string[]]> = [
  ['*', [...KEYS]],
  ['', [...KEYS]],
  ['a*', ['a', 'a.c', 'a\\b', 'ab', 'abc']], // a regular expression would match every key
  ['a', ['a']], // anchored: the whole key
  ['task:?', ['task:1', 'task:x']],
  ['task:*', ['task:1', 'task:17', 'task:x']],
  ['?', ['a', 'b', 'é', '😀']], // one character, a code point
  ['*c', ['a.c', 'abc']],
  ['a.c', ['a.c']], // . is literal
  ['^x$', ['^x$']], // so are ^ and $
  ['(g)', ['(g)']],
  ['100\\*', ['100*']], // \* is a literal *
  ['what\\?', ['what?']],
  ['a\\\\b', ['a\\b']], // \\ is a literal backslash
  ['100%', ['100%']],
  ['*:1*', ['task:1', 'task:17']],
];

async function seeded(): Promise<SharedMemoryStore> {
  const store = await sb().open({ changeFeed: { pollIntervalMs: 5 } });
  for (const key of KEYS) await store.set(key, 1);
  return store;
}

describe('key patterns: one glob language for keys() and subscribe()', () => {
  it('keys({ pattern }) matches the whole key with *, ? and \\ escapes', async () => {
    const store = await seeded();
    for (const [pattern, expected] of CASES)
      expect(await store.keys({ pattern }), JSON.stringify(pattern)).toEqual(
        [...expected].sort(byCodePoint),
      );
  });

  it('subscribe(pattern) selects exactly the keys keys({ pattern }) lists', async () => {
    const store = await seeded();
    const seen = new Map<string, Set<string>>();
    for (const [pattern] of CASES) {
      const got = new Set<string>();
      seen.set(pattern, got);
      store.subscribe(pattern, (c) => void got.add(c.key), { since: 0 });
    }
    const deadline = Date.now() + 10_000;
    while ([...seen.values()].reduce((n, s) => n + s.size, 0) < total() && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 10));
    for (const [pattern] of CASES)
      expect([...seen.get(pattern)!].sort(byCodePoint), JSON.stringify(pattern)).toEqual(
        await store.keys({ pattern }),
      );
  });

  it('a RegExp or a non-string is refused with STORE_INVALID_ARGUMENT saying it takes a glob', async () => {
    const store = await seeded();
    const err = await expectRejectCode(
      store.keys({ pattern: /task/ as never }),
      'STORE_INVALID_ARGUMENT',
    );
    expect(err.message).toContain('glob');
    await expectRejectCode(store.keys({ pattern: 7 as never }), 'STORE_INVALID_ARGUMENT');
    expect(() => store.subscribe(/task/ as never, () => {})).toThrow(/glob/);
  });
});

function total(): number {
  return CASES.reduce((n, [, m]) => n + m.length, 0);
}

function byCodePoint(a: string, b: string): number {
  const x = [...a].map((c) => c.codePointAt(0)!);
  const y = [...b].map((c) => c.codePointAt(0)!);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return x.length - y.length;
}
