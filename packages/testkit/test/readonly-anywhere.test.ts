// The read-only fault must be met for real wherever the checkout lives: under a folder that only
// root may enter (a clone in a private 0700 temp folder), a child run as another user could not
// even load its script. Here this package's own folder is made 0700 for the length of the test.
import { chmodSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createTempDir,
  killAllChildren,
  makeReadOnly,
  openTestStore,
  permissionChecked,
  runStoreWorker,
} from '../src/index.js';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const asRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  await killAllChildren();
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

interface Probe {
  readonly opened: boolean;
  readonly openError?: { code: string; message: string };
  readonly values?: Record<string, unknown>;
  readonly writeError?: { code: string; sqliteCode: string | null; message: string } | null;
}

describe('a read-only database, met by a child with permission checks', () => {
  it.runIf(asRoot)(
    'is read-only to the child even with the checkout in a folder only root may enter',
    async () => {
      const dir = createTempDir();
      cleanups.push(() => dir.remove());
      const store = await openTestStore(dir.path);
      await store.set('kept', { safe: true });
      await store.shutdown();
      const hiveMind = join(dir.path, '.hive-mind');
      const files = ['memory.db', 'hive.db'].map((f) => makeReadOnly(join(hiveMind, f)));
      cleanups.push(() => {
        for (const f of files) f.restore();
      });
      const mode = statSync(packageDir).mode & 0o7777;
      chmodSync(packageDir, 0o700);
      cleanups.push(() => chmodSync(packageDir, mode));
      const result = await runStoreWorker<Probe>(
        dir.path,
        {},
        'readonly-probe',
        { key: 'new', value: 1, keys: ['kept'] },
        permissionChecked(),
      );
      const error = result.opened ? result.writeError : result.openError;
      expect(error, 'the child wrote to a read-only database').toBeTruthy();
      expect(error!.message).toMatch(/readonly|read-only|unable to open/i);
      for (const f of files) f.restore();
      const reopened = await openTestStore(dir.path);
      cleanups.push(() => reopened.shutdown());
      expect(await reopened.get('kept')).toEqual({ safe: true });
      expect(await reopened.get('new')).toBeNull();
    },
  );
});
