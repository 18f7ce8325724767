import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { run } from '@hivedb/cli';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { capture, tempDir } from './helpers.js';

// Issue 16, item 10: run() never ends the host process; bad input is a coded result.
describe('run() in the host process', () => {
  const t = tempDir();
  const root = path.join(t.dir, '.hive-mind');
  afterAll(t.cleanup);
  beforeAll(async () => {
    expect(await run(['init', '--root', root], capture())).toBe(0);
    expect(await run(['set', 'k', '1', '--root', root], capture())).toBe(0);
  });

  it('a NUL byte in a file argument is CLI_USAGE (exit status 2), not a crash', async () => {
    for (const args of [
      ['export', 'bad\0path'],
      ['export', 'bad\0path', '--force'],
      ['backup', 'bad\0path'],
      ['report', '--html', 'bad\0path'],
      ['restore', 'bad\0path'],
      ['import', 'bad\0path'],
      ['demo', '--html', 'bad\0path'],
    ]) {
      const o = capture();
      const code = await run([...args, '--root', root], o);
      expect(code, args.join(' ')).toBe(2);
      expect(o.err, args.join(' ')).toMatch(/^hivedb: CLI_USAGE: .*NUL/);
      expect(o.err, args.join(' ')).not.toContain('\0');
    }
    expect(readdirSync(t.dir).filter((f) => f.startsWith('bad'))).toEqual([]);
  });

  it('export to stdout goes through the given output, not process.stdout', async () => {
    const o = capture();
    expect(await run(['export', '--root', root], o)).toBe(0);
    expect(JSON.parse(o.out.trim())).toMatchObject({
      namespace: 'shared_state',
      key: 'k',
      value: 1,
    });
  });

  it('an output whose reader went away stops an export early, quietly, with 0', async () => {
    const lines = Array.from({ length: 3000 }, (_, i) =>
      JSON.stringify({ namespace: 'bulk', key: `k${i}`, value: 'x'.repeat(100) }),
    );
    writeFileSync(path.join(t.dir, 'bulk.jsonl'), `${lines.join('\n')}\n`);
    expect(await run(['import', path.join(t.dir, 'bulk.jsonl'), '--root', root], capture())).toBe(
      0,
    );
    // like a pipe whose reader exits after the first chunk (`hivedb export | head -1`)
    const o = { ...capture(), writes: 0, closed: false };
    o.write = () => {
      o.writes++;
      o.closed = true;
    };
    expect(await run(['export', '--root', root], o)).toBe(0);
    expect(o.err).toBe('');
    expect(o.writes).toBeLessThanOrEqual(2);
  });

  it('a lone surrogate in a namespace is CLI_USAGE', async () => {
    const o = capture();
    expect(await run(['list', '-n', 'a\ud800b', '--root', root], o)).toBe(2);
    expect(o.err).toMatch(/^hivedb: CLI_USAGE: -n: .*\\ud800/);
    expect(existsSync(root)).toBe(true);
  });
});
