import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hivedb, json, tempDir } from './helpers.js';

describe('get, set, delete, list, stats', () => {
  const t = tempDir();
  const root = path.join(t.dir, '.hive-mind');
  afterAll(t.cleanup);
  beforeAll(async () => {
    expect((await hivedb(t.dir, ['init'])).code).toBe(0);
  });

  it('set then get returns the JSON value, per namespace', async () => {
    const s = await hivedb(t.dir, [
      'set',
      'plan',
      '{"steps":["a","b"],"n":2}',
      '-n',
      'task_results',
      '--json',
    ]);
    expect(s.code, s.stderr).toBe(0);
    expect(json(s)).toMatchObject({
      key: 'plan',
      namespace: 'task_results',
      success: true,
      version: 1,
    });
    expect((await hivedb(t.dir, ['set', 'plan', '"other"'])).code).toBe(0);
    const g = await hivedb(t.dir, ['get', 'plan', '-n', 'task_results', '--json']);
    expect(g.code, g.stderr).toBe(0);
    expect(json(g).value).toEqual({ steps: ['a', 'b'], n: 2 });
    const plain = await hivedb(t.dir, ['get', 'plan']);
    expect(JSON.parse(plain.stdout)).toBe('other');
    const str = await hivedb(t.dir, ['set', 'note', '--string', 'not json {', '--root', root]);
    expect(str.code, str.stderr).toBe(0);
    expect(JSON.parse((await hivedb(t.dir, ['get', 'note'])).stdout)).toBe('not json {');
  });

  it('a TTL expires the entry', async () => {
    const s = await hivedb(t.dir, ['set', 'flash', '1', '--ttl', '300', '--json']);
    expect(s.code, s.stderr).toBe(0);
    expect(json<{ expiresAt: number }>(s).expiresAt).toBeGreaterThan(Date.now() - 5000);
    await new Promise((r) => setTimeout(r, 400));
    const g = await hivedb(t.dir, ['get', 'flash']);
    expect(g.code).toBe(1);
    expect(g.stderr).toMatch(/CLI_NOT_FOUND/);
  });

  it('list and stats show every namespace', async () => {
    const l = await hivedb(t.dir, ['list', '--json']);
    expect(l.code, l.stderr).toBe(0);
    const keys = json<{ entries: { namespace: string; key: string }[] }>(l).entries.map(
      (e) => `${e.namespace}:${e.key}`,
    );
    expect(keys).toEqual(
      expect.arrayContaining(['task_results:plan', 'shared_state:plan', 'shared_state:note']),
    );
    const only = json<{ entries: unknown[] }>(
      await hivedb(t.dir, ['list', '-n', 'task_results', '--json']),
    );
    expect(only.entries).toHaveLength(1);
    const st = await hivedb(t.dir, ['stats', '--json']);
    expect(st.code, st.stderr).toBe(0);
    expect(json<{ namespaces: Record<string, number> }>(st).namespaces).toMatchObject({
      task_results: 1,
      shared_state: 2,
    });
    expect((await hivedb(t.dir, ['list'])).stdout).toMatch(/task_results\s+plan\s+persistent/);
  });

  it('delete removes an entry; deleting an unknown key exits 1', async () => {
    const d = await hivedb(t.dir, ['delete', 'note']);
    expect(d.code, d.stderr).toBe(0);
    const again = await hivedb(t.dir, ['delete', 'note']);
    expect(again.code).toBe(1);
    expect(again.stderr).toBe(
      'hivedb: CLI_NOT_FOUND: no entry "note" in namespace "shared_state"\n',
    );
  });

  it('bad input: bad JSON exits 2 and stores nothing; unknown key exits 1; bad options exit 2', async () => {
    const bad = await hivedb(t.dir, ['set', 'plan', '{"steps": [', '-n', 'task_results']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(
      /^hivedb: CLI_BAD_JSON: VALUE is not valid JSON: .*\(pass --string to store it as text\)\n$/,
    );
    expect(
      json(await hivedb(t.dir, ['get', 'plan', '-n', 'task_results', '--json'])).value,
    ).toEqual({ steps: ['a', 'b'], n: 2 });
    const missing = await hivedb(t.dir, ['get', 'ghost', '--json']);
    expect(missing.code).toBe(1);
    expect(json(missing)).toMatchObject({ ok: false, error: { code: 'CLI_NOT_FOUND' } });
    const ttl = await hivedb(t.dir, ['set', 'k', '1', '--ttl', 'soon']);
    expect(ttl.code).toBe(2);
    expect(ttl.stderr).toContain('--ttl: expected a whole number');
    const type = await hivedb(t.dir, ['set', 'k', '1', '--type', 'weird']);
    expect(type.code).toBe(2);
    const noValue = await hivedb(t.dir, ['set', 'k']);
    expect(noValue.code).toBe(2);
    expect(noValue.stderr).toMatch(/missing required argument 'value'/);
    const badKey = await hivedb(t.dir, ['set', 'k'.repeat(2000), '1']);
    expect(badKey.code).toBe(2);
    expect(badKey.stderr).toMatch(/^hivedb: STORE_INVALID_KEY/);
    // get reads through the store (opened read-only): the same key rules, not "not found"
    const badGet = await hivedb(t.dir, ['get', 'k'.repeat(2000)]);
    expect(badGet.code).toBe(2);
    expect(badGet.stderr).toMatch(/^hivedb: STORE_INVALID_KEY/);
  });

  it('--verbose adds the cause', async () => {
    const r = await hivedb(t.dir, ['set', 'k', '{', '--verbose']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/caused by .*JSON/);
  });

  it('a missing root exits 1 for every store command, creating nothing', async () => {
    for (const args of [
      ['get', 'x'],
      ['set', 'x', '1'],
      ['delete', 'x'],
      ['list'],
      ['stats'],
      ['backup', path.join(t.dir, 'b.db')],
      ['export', path.join(t.dir, 'e.jsonl')],
    ]) {
      const r = await hivedb(t.dir, [...args, '--root', path.join(t.dir, 'none')]);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr).toMatch(/^hivedb: CLI_NO_ROOT/);
    }
    expect(existsSync(path.join(t.dir, 'none'))).toBe(false);
    expect(existsSync(path.join(t.dir, 'b.db'))).toBe(false);
  });
});
