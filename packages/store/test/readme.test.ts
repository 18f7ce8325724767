import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const runner = fileURLToPath(new URL('../../../scripts/readme-example.mjs', import.meta.url));
const readme = fileURLToPath(new URL('../README.md', import.meta.url));

// Runs the built package (turbo builds before testing).
describe('the README', () => {
  it('its first example runs twice in a row on the same folder', () => {
    const res = spawnSync(process.execPath, [runner, readme, '2'], { encoding: 'utf8' });
    const { runs } = JSON.parse(res.stdout) as { runs: { status: number; stderr: string }[] };
    expect(runs.map((r) => r.stderr)).toEqual(['', '']);
    expect(runs.map((r) => r.status)).toEqual([0, 0]);
  });
});
