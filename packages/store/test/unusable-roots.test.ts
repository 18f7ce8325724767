import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CHILDREN, requireBuilt } from './helpers/children.js';
import { useSandbox } from './helpers/sandbox.js';

const sb = useSandbox();

/** The repository's script that runs a command with a folder as a read-only mount. */
const READONLY_MOUNT = fileURLToPath(
  new URL('../../../scripts/in-readonly-mount.sh', import.meta.url),
);

/** Wide: a fault must be reported at once; a hang is killed at 5 s and fails the test. */
const BOUND_MS = 5000;

interface Outcome {
  readonly opened?: string;
  readonly code?: string;
  readonly message?: string;
  readonly causeCode?: string | null;
}

/** `SharedMemoryStore.open({ projectRoot })` in a child killed after BOUND_MS; optionally with `dir` a read-only mount. */
function openInChild(projectRoot: string, readOnlyMount?: string): Outcome & { ms: number } {
  requireBuilt();
  const node = [process.execPath, join(CHILDREN, 'open-root.mjs'), projectRoot];
  const started = Date.now();
  const res =
    readOnlyMount === undefined
      ? spawnSync(node[0]!, node.slice(1), { encoding: 'utf8', timeout: BOUND_MS })
      : spawnSync('sh', [READONLY_MOUNT, readOnlyMount, ...node], {
          encoding: 'utf8',
          timeout: BOUND_MS,
        });
  const ms = Date.now() - started;
  expect(
    res.error,
    `open({ projectRoot: ${projectRoot} }) hung (killed after ${BOUND_MS} ms)`,
  ).toBeUndefined();
  const line = res.stdout.trim().split('\n').at(-1) ?? '';
  expect(line, res.stderr).toMatch(/^\{/);
  return { ...(JSON.parse(line) as Outcome), ms };
}

function expectRefused(out: Outcome & { ms: number }, causeCode: string, path: string): void {
  expect(out.ms).toBeLessThan(BOUND_MS);
  expect(out.opened).toBeUndefined();
  expect(out.code).toBe('STORE_OPEN_FAILED');
  expect(out.causeCode).toBe(causeCode);
  expect(out.message).toContain(path);
  for (const errno of out.message!.match(/\bE[A-Z]{3,}\b/g) ?? [])
    expect(out.message!.split(errno).length - 1, `${errno} said twice: ${out.message}`).toBe(1);
}

const canMountReadOnly =
  spawnSync('sh', [READONLY_MOUNT, '--check'], { timeout: 5000 }).status === 0;

describe('SharedMemoryStore.open on a root that cannot hold a database', () => {
  it('procfs: { projectRoot: "/proc" } fails at once (it spun forever in a recursive mkdir)', () => {
    expectRefused(openInChild('/proc'), 'POOL_UNSAFE_PATH', '/proc');
  });

  it('sysfs, a path through a file, and a name too long fail at once', () => {
    const s = sb();
    writeFileSync(join(s.root, 'afile'), 'x');
    expectRefused(openInChild('/sys/kernel'), 'POOL_UNSAFE_PATH', '/sys');
    expectRefused(openInChild(join(s.root, 'afile')), 'POOL_UNSAFE_PATH', 'afile');
    expectRefused(openInChild(join(s.root, 'afile', 'sub')), 'POOL_UNSAFE_PATH', 'afile');
    const long = join(s.root, 'n'.repeat(300));
    expectRefused(openInChild(long), 'POOL_UNSAFE_PATH', 'n'.repeat(300));
    expect(readdirSync(s.root)).toEqual(['afile']);
  });

  it.runIf(canMountReadOnly)('a read-only mount fails at once, saying so', () => {
    const s = sb();
    const ro = join(s.root, 'ro');
    mkdirSync(ro);
    const out = openInChild(ro, ro);
    expectRefused(out, 'POOL_OPEN_FAILED', join(ro, '.hive-mind'));
    expect(out.message).toContain('read-only file system (EROFS)');
  });
});
