import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { createPool } from '@hivedb/pool';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hivedb, json, tempDir } from './helpers.js';

const ESC = '\u001b';
/** A terminal control sequence or a line break anywhere in human output. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding them is the point
const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/;

// Issue 16, item 13: control characters in keys, namespaces and agent names are shown escaped
// in human-readable output; --json stays exact.
describe('control characters in human-readable output', () => {
  const t = tempDir();
  const root = path.join(t.dir, '.hive-mind');
  const evilKey = `${ESC}[2J${ESC}]0;owned\u0007line\nbreak\u009b31m\u007f`;
  const evilNs = `ns${ESC}[31m`;
  const evilAgent = `agent${ESC}[1A\r\n`;
  afterAll(t.cleanup);
  beforeAll(async () => {
    expect((await hivedb(t.dir, ['init'])).code).toBe(0);
    writeFileSync(
      path.join(t.dir, 'in.jsonl'),
      `${JSON.stringify({ namespace: evilNs, key: evilKey, value: `v${ESC}[0m` })}\n`,
    );
    expect((await hivedb(t.dir, ['import', 'in.jsonl'])).code).toBe(0);
    const hive = createPool({ filename: 'hive.db', root, healthCheckInterval: 0 });
    await hive.run(
      'INSERT INTO query_performance (query_type, execution_time_ms, memory_key, agent_id, timestamp, rows_affected, cache_hit) VALUES (?, ?, ?, ?, ?, 0, 0)',
      [`store.get${ESC}[5m`, 500, evilKey, evilAgent, Date.now()],
    );
    await hive.close();
  });

  it('set, get, list, stats, status and report escape them', async () => {
    const set = await hivedb(t.dir, ['set', evilKey, '"x\u009b"', '--agent', evilAgent]);
    expect(set.code, set.stderr).toBe(0);
    expect(set.stdout.trimEnd()).not.toMatch(RAW_CONTROL);
    expect(set.stdout).toContain('\\x1b[2J\\x1b]0;owned\\x07line\\nbreak\\u009b31m\\x7f');
    const get = await hivedb(t.dir, ['get', evilKey]);
    expect(get.stdout.trimEnd()).not.toMatch(RAW_CONTROL);
    expect(JSON.parse(get.stdout)).toBe('x\u009b');
    for (const args of [['list'], ['stats'], ['status'], ['report']]) {
      const r = await hivedb(t.dir, args);
      expect(r.code, `${args.join(' ')}\n${r.stderr}`).toBe(0);
      for (const line of r.stdout.split('\n'))
        expect(line, `${args.join(' ')}: ${JSON.stringify(line)}`).not.toMatch(RAW_CONTROL);
    }
    expect((await hivedb(t.dir, ['list'])).stdout).toContain('ns\\x1b[31m');
    expect((await hivedb(t.dir, ['report'])).stdout).toContain('agent\\x1b[1A\\r\\n');
  });

  it('error messages escape them too', async () => {
    const r = await hivedb(t.dir, ['get', `missing${ESC}[2J\nkey`]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      'hivedb: CLI_NOT_FOUND: no entry "missing\\x1b[2J\\nkey" in namespace "shared_state"\n',
    );
    const u = await hivedb(t.dir, ['list', `--bogus${ESC}[2J`]);
    expect(u.code).toBe(2);
    expect(u.stderr.split('\n')[0]).not.toMatch(RAW_CONTROL);
  });

  it('--json output stays exact', async () => {
    const l = json<{ entries: { namespace: string; key: string; value: unknown }[] }>(
      await hivedb(t.dir, ['list', '--json', '-n', 'shared_state']),
    );
    expect(l.entries.map((e) => e.key)).toEqual([evilKey]);
    const all = json<{ entries: { namespace: string; key: string; value: unknown }[] }>(
      await hivedb(t.dir, ['list', '--json']),
    );
    expect(all.entries.find((e) => e.namespace === evilNs)).toMatchObject({
      key: evilKey,
      value: `v${ESC}[0m`,
    });
  });
});
