import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, hivedb, tempDir } from './helpers.js';

/**
 * Runs the CLI with stdout on a real pipe, reads `bytes` of it and closes the pipe, as `head`
 * does; resolves with the exit status and stderr.
 */
function readThenClose(
  cwd: string,
  args: readonly string[],
  bytes: number,
): Promise<{ code: number | null; signal: string | null; stderr: string; got: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let got = '';
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.stdout.on('data', (d: Buffer) => {
      if (got.length >= bytes) return;
      got += d.toString().slice(0, bytes - got.length);
      // like `head`: stop reading and close the read end of the pipe
      if (got.length >= bytes) child.stdout.destroy();
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`hung: ${args.join(' ')}\n${stderr}`));
    }, 60_000);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stderr, got });
    });
  });
}

// Issue 16, item 9: a closed stdout ends the command quietly with exit 0.
describe('stdout closed by the reader (| head)', () => {
  const t = tempDir();
  afterAll(t.cleanup);
  beforeAll(async () => {
    expect((await hivedb(t.dir, ['init'])).code).toBe(0);
    const lines = Array.from({ length: 3000 }, (_, i) =>
      JSON.stringify({ namespace: 'bulk', key: `k${i}`, value: { i, pad: 'x'.repeat(200) } }),
    );
    // a value far larger than a pipe's buffer (and than a command line may be)
    lines.push(
      JSON.stringify({ namespace: 'shared_state', key: 'big', value: 'y'.repeat(900_000) }),
    );
    writeFileSync(path.join(t.dir, 'in.jsonl'), `${lines.join('\n')}\n`);
    expect((await hivedb(t.dir, ['import', 'in.jsonl'])).code).toBe(0);
  });

  for (const [args, bytes] of [
    [['list', '--json', '--limit', '3000'], 40],
    [['list', '--limit', '3000'], 40],
    [['get', 'big'], 10],
    [['export'], 100],
    [['export', '-n', 'bulk'], 100],
  ] as const)
    it(`hivedb ${args.join(' ')} | head -c ${bytes}`, async () => {
      const r = await readThenClose(t.dir, args, bytes);
      expect(r.got.length).toBe(bytes);
      expect(r.stderr).toBe('');
      expect(r.signal).toBe(null);
      expect(r.code).toBe(0);
    });
});
