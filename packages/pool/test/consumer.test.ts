import { describe, expect, it } from 'vitest';
import { startConsumer, useSandbox } from './helpers/index.js';

const sb = useSandbox();

async function output(kind: 'mjs' | 'cjs', args: readonly string[] = []): Promise<unknown> {
  const child = startConsumer(kind, args);
  const { code } = await child.exited;
  expect(code, child.stderr()).toBe(0);
  return JSON.parse(child.lines[0]!);
}

describe('the built package, loaded by its name as a consumer would', () => {
  it('ESM: exports the public API', async () => {
    const out = (await output('mjs')) as {
      exports: string[];
      isHiveDbError: boolean;
      code: string;
    };
    expect(out.exports).toEqual(
      expect.arrayContaining([
        'createPool',
        'DatabaseConnectionManager',
        'HiveDbError',
        'isHiveDbError',
      ]),
    );
    expect(out.isHiveDbError).toBe(true);
    expect(out.code).toBe('POOL_CLOSED');
  });

  it('CommonJS: require() works end to end', async () => {
    const out = await output('cjs', [sb().root]);
    expect(out).toEqual({ row: { v: 'from cjs' }, closed: 'POOL_CLOSED' });
  });
});
