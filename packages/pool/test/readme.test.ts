import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { requireBuiltEntry } from './helpers/index.js';

const runner = fileURLToPath(new URL('../../../scripts/readme-example.mjs', import.meta.url));
const readme = fileURLToPath(new URL('../README.md', import.meta.url));

describe('the README', () => {
  it('its first example runs twice in a row on the same folder', () => {
    requireBuiltEntry();
    const res = spawnSync(process.execPath, [runner, readme, '2'], { encoding: 'utf8' });
    const { runs } = JSON.parse(res.stdout) as { runs: { status: number; stderr: string }[] };
    expect(runs.map((r) => r.stderr)).toEqual(['', '']);
    expect(runs.map((r) => r.status)).toEqual([0, 0]);
  });
});
