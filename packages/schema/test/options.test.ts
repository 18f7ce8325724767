import { describe, expect, it } from 'vitest';
import {
  DEFAULT_SCHEMA_OPTIONS,
  DatabaseSchemaManager,
  Migrator,
  optimize,
  resolveIntegrityOptions,
  resolveMigratorOptions,
  resolveOptimizeOptions,
  resolveSchemaManagerOptions,
  schemaFor,
  validateIntegrity,
} from '../src/index.js';
import { openPool, tempDir } from './helpers.js';

const folderOf = (d: string) => `/pkg/migrations/${d}`;

describe('options', () => {
  it('apply frozen defaults with ?? (0 and false are kept)', () => {
    expect(Object.isFrozen(DEFAULT_SCHEMA_OPTIONS)).toBe(true);
    expect(Object.isFrozen(DEFAULT_SCHEMA_OPTIONS.optimize)).toBe(true);
    expect(resolveMigratorOptions({ database: 'hive' }, folderOf)).toEqual({
      migrationsFolder: '/pkg/migrations/hive',
      database: 'hive',
      backup: true,
      lockTimeoutMs: 10_000,
    });
    expect(
      resolveMigratorOptions({ migrationsFolder: '/x', backup: false, lockTimeoutMs: 0 }, folderOf),
    ).toMatchObject({
      backup: false,
      lockTimeoutMs: 0,
    });
    expect(resolveOptimizeOptions(undefined)).toEqual({
      analyze: true,
      vacuum: 'incremental',
      checkpoint: true,
    });
    expect(resolveOptimizeOptions({ analyze: false, vacuum: false })).toEqual({
      analyze: false,
      vacuum: false,
      checkpoint: true,
    });
    expect(resolveIntegrityOptions({ quick: true })).toEqual({ quick: true, definitions: false });
    expect(resolveSchemaManagerOptions({})).toEqual({
      root: undefined,
      pools: { memory: 'memory', hive: 'hive' },
      backup: true,
      lockTimeoutMs: 10_000,
    });
  });

  it('reject unknown keys and bad values with SCHEMA_INVALID_OPTION naming the option and the value', async () => {
    expect(() =>
      resolveMigratorOptions({ database: 'memory', bakup: false } as never, folderOf),
    ).toThrow(
      expect.objectContaining({
        code: 'SCHEMA_INVALID_OPTION',
        message: expect.stringContaining('migrator.bakup'),
      }),
    );
    expect(() => resolveMigratorOptions({ database: 'mem' as never }, folderOf)).toThrow(
      /database: "mem"/,
    );
    expect(() => resolveMigratorOptions({}, folderOf)).toThrow(/a migrationsFolder/);
    expect(() =>
      resolveMigratorOptions({ database: 'memory', lockTimeoutMs: -1 }, folderOf),
    ).toThrow(/lockTimeoutMs: -1/);
    expect(() => resolveOptimizeOptions({ vacuum: 'yes' as never })).toThrow(/vacuum: "yes"/);
    expect(() => resolveOptimizeOptions({ analyse: true } as never)).toThrow(/optimize\.analyse/);
    expect(() => resolveIntegrityOptions({ quick: 1 as never })).toThrow(/quick: 1/);
    expect(() => resolveSchemaManagerOptions({ pools: { memory: '' } })).toThrow(/pools\.memory/);
    expect(() => schemaFor('nope' as never)).toThrow(
      expect.objectContaining({ code: 'SCHEMA_INVALID_OPTION' }),
    );

    const pool = openPool(tempDir());
    const migrator = new Migrator(pool, { database: 'memory' });
    await expect(migrator.migrate({ to: -1 })).rejects.toThrow(/to: -1/);
    await expect(migrator.rollback({} as never)).rejects.toThrow(/to: undefined/);
    await expect(validateIntegrity(pool, { definitions: 'other' as never })).rejects.toThrow(
      /definitions/,
    );
    await expect(optimize(pool, { checkpoint: 'yes' as never })).rejects.toThrow(
      /checkpoint: "yes"/,
    );
    expect(() => new DatabaseSchemaManager({} as never, { root: 5 as never })).toThrow(/root: 5/);
  });
});
