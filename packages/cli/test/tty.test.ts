import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, hivedb, tempDir } from './helpers.js';

/** Runs the CLI under a pseudo-terminal (util-linux `script`), so stderr is a TTY. */
function inTerminal(
  cwd: string,
  args: readonly string[],
): Promise<{ code: number; output: string }> {
  const command = [process.execPath, BIN, ...args]
    .map((a) => `'${a.replaceAll("'", "'\\''")}'`)
    .join(' ');
  return new Promise((resolve, reject) => {
    execFile('script', ['-qec', command, '/dev/null'], { cwd, timeout: 60_000 }, (err, stdout) => {
      if (err !== null && typeof err.code !== 'number') return reject(err);
      resolve({ code: err === null ? 0 : (err.code as number), output: stdout });
    });
  });
}

describe('on a terminal', () => {
  const t = tempDir();
  afterAll(t.cleanup);
  beforeAll(async () => {
    expect((await hivedb(t.dir, ['init'])).code).toBe(0);
  });

  it('import draws a progress bar (plain lines are for pipes)', async () => {
    const file = path.join(t.dir, 'in.jsonl');
    writeFileSync(
      file,
      Array.from({ length: 500 }, (_, i) =>
        JSON.stringify({ namespace: 'n', key: `k${i}`, value: i }),
      ).join('\n'),
    );
    const tty = await inTerminal(t.dir, ['import', file]);
    expect(tty.code, tty.output).toBe(0);
    expect(tty.output).toMatch(/import \[[█░]+\] 100% 500\/500 lines/);
    const piped = await hivedb(t.dir, ['import', file]);
    expect(piped.code).toBe(0);
    expect(piped.stderr).toMatch(/^import: 500\/500 lines done$/m);
    expect(piped.stderr).not.toMatch(/[█░]/);
  });

  it('demo keeps one live progress line, rewritten in place', async () => {
    // a root of its own: the demo refuses one that holds other data (the import above)
    const own = path.join(t.dir, 'demo-root');
    const tty = await inTerminal(t.dir, [
      'demo',
      '--agents',
      '2',
      '--duration',
      '2500ms',
      '--root',
      own,
    ]);
    expect(tty.code, tty.output).toBe(0);
    // each update returns to the line start and clears the rest: \r[demo] … ESC[K
    const clearLine = `${String.fromCharCode(27)}\\[K`;
    const live = new RegExp(
      `\\r\\[demo\\] \\d+/3 s {2}2 agents {2}[\\d,]+ ops[^\\r\\n]*${clearLine}`,
      'g',
    );
    const updates = tty.output.match(live) ?? [];
    expect(updates.length).toBeGreaterThanOrEqual(2);
    expect(tty.output).toMatch(/lost updates {3}0 /);
  });
});
