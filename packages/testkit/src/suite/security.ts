import { existsSync, mkdirSync, readdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { createPool } from '@hivedb/pool';
import { SharedMemoryStore } from '@hivedb/store';
import { expect, it } from 'vitest';
import type { CaseEnv } from './context.js';

/** Keys, values and namespaces shaped like SQL injection, LIKE wildcards and regex-looking text. */
export const HOSTILE_TEXT: readonly string[] = [
  "'; DROP TABLE shared_memory; --",
  "x' OR '1'='1",
  '" OR ""="',
  '%',
  '_',
  'a%b_c',
  '\\',
  '*',
  '?',
  '[abc]',
  "Robert'); DELETE FROM shared_memory WHERE ('1'='1",
  '/* comment */ SELECT 1',
  "ATTACH DATABASE '/tmp/x.db' AS x",
  'key\nwith\nnewlines',
  '\u202Eright-to-left',
  'emoji 🐝',
];

/** A key as a glob that matches exactly it (`*`, `?` and `\\` escaped). */
function escapeGlob(s: string): string {
  return s.replace(/[*?\\]/g, '\\$&');
}

/** Case 10: security — hostile paths refused; injection-shaped input stored and matched literally. */
export function securityCase(env: () => CaseEnv): void {
  it('refuses hostile database paths before touching any file', async () => {
    const e = env();
    const outside = join(e.root, '..', `${e.root.split('/').at(-1)}-outside`);
    mkdirSync(join(e.root, 'inside'));
    mkdirSync(outside, { recursive: true });
    e.defer(() =>
      import('node:fs').then((fs) => fs.rmSync(outside, { recursive: true, force: true })),
    );
    symlinkSync(outside, join(e.root, 'inside', 'escape'));
    const hostile = [
      '../escaped.db',
      'inside/../../escaped.db',
      join(outside, 'abs.db'),
      'inside/escape/link.db',
      'nul\0.db',
      'file:uri.db?mode=rwc',
      'file:///tmp/uri.db',
      ':memory:',
    ];
    for (const filename of hostile) {
      let caught: { code?: string } | undefined;
      try {
        const pool = createPool({ ...e.config.pool, filename, root: e.root });
        await pool.close();
      } catch (err) {
        caught = err as { code?: string };
      }
      expect(caught?.code, `path ${JSON.stringify(filename)}`).toBe('POOL_UNSAFE_PATH');
    }
    expect(readdirSync(outside)).toEqual([]);
    expect(existsSync(join(e.root, '..', 'escaped.db'))).toBe(false);
    await expect(
      SharedMemoryStore.open({ ...e.config.store, projectRoot: `${e.root}/nul\0` }),
    ).rejects.toMatchObject({ code: 'STORE_INVALID_OPTION' });
  });

  it('stores injection-shaped keys, values and namespaces verbatim, and matches patterns and prefixes literally', async () => {
    const e = env();
    const store = await e.store();
    await store.set('plain', 'plain value');
    for (const [i, text] of HOSTILE_TEXT.entries()) {
      await store.set(text, { text, i });
      await store.set(`k${i}`, text, { namespace: text });
    }
    // The table survived every statement, and every entry reads back exactly.
    for (const [i, text] of HOSTILE_TEXT.entries()) {
      expect(await store.get(text, { bypassCache: true })).toEqual({ text, i });
      expect(await store.get(`k${i}`, { namespace: text, bypassCache: true })).toBe(text);
      expect(await store.keys({ namespace: text })).toEqual([`k${i}`]);
      expect(await store.keys({ pattern: escapeGlob(text), namespace: 'shared_state' })).toEqual([
        text,
      ]);
    }
    expect(await store.get('plain')).toBe('plain value');
    expect(await store.count({ namespace: 'shared_state' })).toBe(HOSTILE_TEXT.length + 1);
    // LIKE wildcards in a prefix are literal characters, not wildcards.
    const prefixed = async (prefix: string) =>
      (await store.list({ namespace: 'shared_state', prefix, limit: 1000 })).entries.map(
        (x) => x.key,
      );
    expect(await prefixed('%')).toEqual(['%']);
    expect(await prefixed('_')).toEqual(['_']);
    expect(await prefixed('a%')).toEqual(['a%b_c']);
    expect(await prefixed("'")).toEqual(["'; DROP TABLE shared_memory; --"]);
    expect(await store.count({ namespace: 'shared_state', prefix: '%' })).toBe(1);
    // A namespace that looks like a condition matches itself only.
    expect(await store.count({ namespace: "x' OR '1'='1" })).toBe(1);
    expect(await store.clear({ namespace: "x' OR '1'='1" })).toBe(1);
    expect(await store.get('plain')).toBe('plain value');
  });
}
