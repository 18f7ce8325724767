import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SharedMemoryStore, type StoreOptions } from '../src/index.js';
import { useSandbox } from './helpers/sandbox.js';

const sb = useSandbox();

/** The error `new SharedMemoryStore(options)` throws (it must throw). */
function refusal(options: unknown): { code?: string; message: string; cause?: { code?: string } } {
  try {
    new SharedMemoryStore(options as StoreOptions);
  } catch (err) {
    return err as never;
  }
  throw new Error(`accepted ${JSON.stringify(options)}`);
}

describe('options checked when the store is made, before anything is opened', () => {
  it('bad pool options are STORE_INVALID_OPTION naming the store option, with the pool error as cause', () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ maxConnections: 0 }, 'maxConnections'],
      [{ minConnections: 5, maxConnections: 2 }, 'minConnections'],
      [{ queryTimeout: -1 }, 'queryTimeout'],
      [{ enableWAL: 'yes' }, 'enableWAL'],
      [{ pool: { busyTimeout: -5 } }, 'pool.busyTimeout'],
      [{ pool: { retry: { maxRetries: 'many' } } }, 'pool.retry.maxRetries'],
      [{ pool: { synchronous: 'SOMETIMES' } }, 'pool.synchronous'],
      [{ pool: { noSuchOption: 1 } }, 'pool.noSuchOption'],
    ];
    for (const [options, name] of cases) {
      const err = refusal({ projectRoot: sb().root, ...options });
      expect(err.code, name).toBe('STORE_INVALID_OPTION');
      expect(err.message, name).toContain(`invalid store option ${name}`);
      expect(err.cause?.code, name).toBe('POOL_INVALID_OPTION');
    }
    // Nothing was created: the options were refused before any folder or file.
    expect(existsSync(join(sb().root, '.hive-mind'))).toBe(false);
  });

  it("migrationBackup takes true, false or an absolute folder; 'yes', a relative path or a file is refused", async () => {
    const s = sb();
    const file = join(s.root, 'a-file');
    writeFileSync(file, 'x');
    for (const bad of ['yes', 'true', 'backups', './backups', '', file, '/x\0y', 1]) {
      const err = refusal({ projectRoot: s.root, migrationBackup: bad });
      expect(err.code, String(bad)).toBe('STORE_INVALID_OPTION');
      expect(err.message, String(bad)).toContain('migrationBackup');
    }
    const folder = join(s.root, 'backups');
    mkdirSync(folder);
    for (const good of [true, false, folder, join(s.root, 'not-yet')]) {
      expect(
        () => new SharedMemoryStore({ projectRoot: s.root, migrationBackup: good }),
      ).not.toThrow();
    }
    const store = await s.open({ migrationBackup: folder });
    await store.set('k', 1);
  });
});
