import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const runner = fileURLToPath(new URL('../../../scripts/readme-example.mjs', import.meta.url));
const readme = fileURLToPath(new URL('../README.md', import.meta.url));
const ALL =
  /\[\s*'0000_shared_memory',\s*'0001_locks_changes_history',\s*'0002_change_triggers',?\s*\],? null/;

// Runs the built package (turbo builds before testing).
describe('the README', () => {
  it('its first example runs twice in a row on the same folder, and says what it prints', () => {
    const res = spawnSync(process.execPath, [runner, readme, '2'], { encoding: 'utf8' });
    const { runs } = JSON.parse(res.stdout) as {
      runs: { status: number; stdout: string; stderr: string }[];
    };
    expect(runs.map((r) => r.stderr)).toEqual(['', '']);
    expect(runs.map((r) => r.status)).toEqual([0, 0]);
    // `run.applied` on a new file: every migration, as the comment beside it says.
    expect(runs[0]!.stdout).toMatch(ALL);
    expect(readFileSync(readme, 'utf8')).toMatch(ALL);
  });
});
