import { mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createPool } from '../src/index.js';
import {
  canMountReadOnly,
  expectThrowCode,
  type OpenRootOutcome,
  openRootInChild,
  useSandbox,
} from './helpers/index.js';

const sb = useSandbox();

/** Wide: a fault must be reported at once; a hang is killed at 5 s and fails the test. */
const BOUND_MS = 5000;

/** The outcome is an error with `code`, that names `path`, says its Node code at most once, and came in time. */
function expectRefused(out: OpenRootOutcome, code: string, path: string): void {
  expect(out.timedOut, `the pool hung on ${path} (killed after ${BOUND_MS} ms)`).toBe(false);
  expect(out.ms).toBeLessThan(BOUND_MS);
  expect(out.opened).toBeUndefined();
  expect(out.code).toBe(code);
  expect(out.message).toContain(path);
  for (const errno of out.message!.match(/\bE[A-Z]{3,}\b/g) ?? [])
    expect(out.message!.split(errno).length - 1, `${errno} said twice: ${out.message}`).toBe(1);
}

describe('roots that cannot hold a database', () => {
  it('procfs: /proc/new is refused at once (it spun forever in a recursive mkdir)', () => {
    expectRefused(openRootInChild('/proc/new', 'x.db'), 'POOL_UNSAFE_PATH', '/proc');
  });

  it('procfs: /proc itself is refused at once', () => {
    expectRefused(openRootInChild('/proc', 'x.db'), 'POOL_UNSAFE_PATH', '/proc');
  });

  it('sysfs: /sys/new is refused at once (was a raw EPERM)', () => {
    expectRefused(openRootInChild('/sys/new', 'x.db'), 'POOL_UNSAFE_PATH', '/sys');
  });

  it('a path through a regular file is POOL_UNSAFE_PATH (was a raw EEXIST / ENOTDIR)', () => {
    const s = sb();
    writeFileSync(join(s.root, 'afile'), 'not a folder');
    expectRefused(openRootInChild(s.root, 'afile/x.db'), 'POOL_UNSAFE_PATH', 'afile');
    expectRefused(openRootInChild(s.root, 'afile/sub/x.db'), 'POOL_UNSAFE_PATH', 'afile');
    expectRefused(
      openRootInChild(join(s.root, 'afile', 'sub'), 'x.db'),
      'POOL_UNSAFE_PATH',
      'afile',
    );
    expect(readdirSync(s.root)).toEqual(['afile']);
  });

  it('a name too long is POOL_UNSAFE_PATH (was a raw ENAMETOOLONG)', () => {
    const s = sb();
    const long = 'n'.repeat(300);
    expectRefused(openRootInChild(s.root, `${long}/x.db`), 'POOL_UNSAFE_PATH', long);
    expectRefused(openRootInChild(join(s.root, long), 'x.db'), 'POOL_UNSAFE_PATH', long);
    expect(readdirSync(s.root)).toEqual([]);
  });

  it.runIf(canMountReadOnly())('a read-only mount is POOL_OPEN_FAILED saying so', () => {
    const s = sb();
    const ro = join(s.base, 'ro');
    mkdirSync(ro);
    const inNew = openRootInChild(join(ro, 'new'), 'x.db', { readOnlyMount: ro });
    expectRefused(inNew, 'POOL_OPEN_FAILED', join(ro, 'new'));
    expect(inNew.message).toContain('read-only file system (EROFS)');
    expect(inNew.causeCode).toBe('EROFS');
    const inRoot = openRootInChild(ro, 'x.db', { readOnlyMount: ro });
    expectRefused(inRoot, 'POOL_OPEN_FAILED', join(ro, 'x.db'));
    expect(inRoot.message).toContain('read-only');
  });

  it('the error carries the path, the reason and the Node error as its cause', () => {
    const s = sb();
    writeFileSync(join(s.root, 'afile'), '');
    const err = expectThrowCode(
      () => createPool({ root: s.root, filename: 'afile/sub/x.db' }),
      'POOL_UNSAFE_PATH',
    ) as Error & { details?: Record<string, unknown> };
    expect(err.details).toMatchObject({ filename: join(s.root, 'afile', 'sub', 'x.db') });
    expect(String(err.details?.reason)).toContain(join(s.root, 'afile'));
    const proc = expectThrowCode(
      () => createPool({ root: '/proc', filename: 'x.db' }),
      'POOL_UNSAFE_PATH',
    );
    expect(proc.message).toContain('procfs');
  });

  it('a dangling -wal symlink is POOL_UNSAFE_PATH (was POOL_OPEN_FAILED)', () => {
    const s = sb();
    symlinkSync(join(s.root, 'nowhere'), join(s.root, 'x.db-wal'));
    const err = expectThrowCode(
      () => createPool({ root: s.root, filename: 'x.db' }),
      'POOL_UNSAFE_PATH',
    );
    expect(err.message).toContain('-wal file is a symbolic link to nothing');
    expect(readdirSync(s.root)).toEqual(['x.db-wal']);
  });

  it('a readonly pool creates no folder and no file; a missing file is POOL_OPEN_FAILED saying so', () => {
    const s = sb();
    const err = expectThrowCode(
      () => createPool({ root: join(s.root, 'sub'), filename: 'x.db', readonly: true }),
      'POOL_OPEN_FAILED',
    );
    expect(err.message).toContain('does not exist');
    const err2 = expectThrowCode(
      () => createPool({ root: s.root, filename: 'x.db', readonly: true }),
      'POOL_OPEN_FAILED',
    );
    expect(err2.message).toContain(join(s.root, 'x.db'));
    expect(readdirSync(s.root)).toEqual([]);
  });
});
