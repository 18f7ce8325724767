import { describe, expect, it } from 'vitest';
import { runChild } from './helpers/children.js';
import { useSandbox } from './helpers/sandbox.js';

const sb = useSandbox();

describe('the built package, loaded by its name as a consumer would', () => {
  it('ESM: imports @hivedb/store and uses it end to end', async () => {
    const [line] = await runChild('consumer.mjs', [sb().root]);
    const out = JSON.parse(line!);
    expect(out.exports).toEqual(
      expect.arrayContaining([
        'SharedMemoryStore',
        'StoreError',
        'Batch',
        'DATA_TYPES',
        'NAMESPACES',
      ]),
    );
    expect(out.set).toEqual({ success: true, version: 1, size: 17, expiresAt: null });
    expect(out.value).toEqual({ hello: 'world' });
    expect(out.closed).toBe('STORE_CLOSED');
  }, 30_000);

  it('CommonJS: require() works, with the seed’s new + init()', async () => {
    const [line] = await runChild('consumer.cjs', [sb().root]);
    expect(JSON.parse(line!)).toEqual({ before: 'STORE_NOT_READY', n: 2 });
  }, 30_000);
});
