import { describe, expect, it } from 'vitest';
import type { SharedMemoryStore } from '../src/index.js';
import { expectRejectCode, useSandbox } from './helpers/sandbox.js';

const sb = useSandbox();

const cyclic: Record<string, unknown> = { a: 1 };
cyclic.self = cyclic;
// biome-ignore lint/suspicious/noSparseArray: a sparse array is the point
const sparse = [1, , 3];

/** Every input the store must refuse, with the code it refuses it with. */
const REFUSED: ReadonlyArray<
  [name: string, code: string, call: (s: SharedMemoryStore) => Promise<unknown>]
> = [
  ['undefined value', 'STORE_INVALID_VALUE', (s) => s.set('k', undefined)],
  ['function value', 'STORE_INVALID_VALUE', (s) => s.set('k', () => 1)],
  ['function inside', 'STORE_INVALID_VALUE', (s) => s.set('k', { f: () => 1 })],
  ['symbol value', 'STORE_INVALID_VALUE', (s) => s.set('k', Symbol('x'))],
  ['symbol inside', 'STORE_INVALID_VALUE', (s) => s.set('k', { s: Symbol('x') })],
  ['BigInt value', 'STORE_INVALID_VALUE', (s) => s.set('k', 10n)],
  ['BigInt inside', 'STORE_INVALID_VALUE', (s) => s.set('k', [1, 2n])],
  ['cyclic object', 'STORE_INVALID_VALUE', (s) => s.set('k', cyclic)],
  ['NaN', 'STORE_INVALID_VALUE', (s) => s.set('k', Number.NaN)],
  ['Infinity inside', 'STORE_INVALID_VALUE', (s) => s.set('k', { n: Number.POSITIVE_INFINITY })],
  ['-Infinity', 'STORE_INVALID_VALUE', (s) => s.set('k', Number.NEGATIVE_INFINITY)],
  ['undefined in an array', 'STORE_INVALID_VALUE', (s) => s.set('k', [1, undefined])],
  ['sparse array', 'STORE_INVALID_VALUE', (s) => s.set('k', sparse)],
  ['Map', 'STORE_INVALID_VALUE', (s) => s.set('k', new Map([[1, 2]]))],
  ['Set inside', 'STORE_INVALID_VALUE', (s) => s.set('k', { s: new Set([1]) })],
  ['typed array', 'STORE_INVALID_VALUE', (s) => s.set('k', new Uint8Array(4))],
  [
    'metadata not an object',
    'STORE_INVALID_VALUE',
    (s) => s.set('k', 1, { metadata: [1] as never }),
  ],
  ['metadata with BigInt', 'STORE_INVALID_VALUE', (s) => s.set('k', 1, { metadata: { n: 1n } })],
  ['value over maxValueSize', 'STORE_VALUE_TOO_LARGE', (s) => s.set('k', 'x'.repeat(1024 * 1024))],
  [
    'metadata pushing it over maxValueSize',
    'STORE_VALUE_TOO_LARGE',
    (s) => s.set('k', 'x'.repeat(600_000), { metadata: { pad: 'y'.repeat(600_000) } }),
  ],
  ['empty key', 'STORE_INVALID_KEY', (s) => s.set('', 1)],
  ['key not a string', 'STORE_INVALID_KEY', (s) => s.set(42 as never, 1)],
  ['key too long', 'STORE_INVALID_KEY', (s) => s.set('k'.repeat(1025), 1)],
  ['key with NUL', 'STORE_INVALID_KEY', (s) => s.set('a\0b', 1)],
  ['key with a lone surrogate', 'STORE_INVALID_KEY', (s) => s.set('a\ud800', 1)],
  ['empty namespace', 'STORE_INVALID_NAMESPACE', (s) => s.set('k', 1, { namespace: '' })],
  [
    'namespace too long',
    'STORE_INVALID_NAMESPACE',
    (s) => s.set('k', 1, { namespace: 'n'.repeat(257) }),
  ],
  [
    'namespace not a string',
    'STORE_INVALID_NAMESPACE',
    (s) => s.set('k', 1, { namespace: 7 as never }),
  ],
  [
    'unknown data type',
    'STORE_INVALID_ARGUMENT',
    (s) => s.set('k', 1, { dataType: 'forever' as never }),
  ],
  ['negative ttl', 'STORE_INVALID_ARGUMENT', (s) => s.set('k', 1, { ttl: -5 })],
  ['NaN ttl', 'STORE_INVALID_ARGUMENT', (s) => s.set('k', 1, { ttl: Number.NaN })],
  [
    'version and ifAbsent',
    'STORE_INVALID_ARGUMENT',
    (s) => s.set('k', 1, { version: 1, ifAbsent: true }),
  ],
  ['version 0', 'STORE_INVALID_ARGUMENT', (s) => s.set('k', 1, { version: 0 })],
  ['lock: true without agentId', 'STORE_INVALID_ARGUMENT', (s) => s.set('k', 1, { lock: true })],
  // lock: true refusals need an agentId, whose failed write the access log records (locks.test.ts).
  [
    'a fencing token older than the newest',
    'STORE_STALE_TOKEN',
    (s) => s.set('guarded', 'new', { fencingToken: 1 }),
  ],
  [
    'stale compare-and-set',
    'STORE_VERSION_CONFLICT',
    (s) => s.set('existing', 'new', { version: 1 }),
  ],
  [
    'ifAbsent on an entry',
    'STORE_VERSION_CONFLICT',
    (s) => s.set('existing', 'new', { ifAbsent: true }),
  ],
  ['blind write of a locked entry', 'STORE_LOCKED', (s) => s.set('guarded', 'new')],
  ['blind delete of a locked entry', 'STORE_LOCKED', (s) => s.delete('guarded')],
  [
    'stale compare-and-delete',
    'STORE_VERSION_CONFLICT',
    (s) => s.delete('existing', { version: 1 }),
  ],
  ['increment of a string', 'STORE_NOT_A_NUMBER', (s) => s.increment('existing')],
  [
    'increment past the safe range',
    'STORE_NOT_A_NUMBER',
    (s) => s.increment('counter', Number.MAX_SAFE_INTEGER),
  ],
  ['increment by a fraction', 'STORE_INVALID_ARGUMENT', (s) => s.increment('counter', 0.5)],
  [
    'setBulk with one bad entry',
    'STORE_INVALID_VALUE',
    (s) =>
      s.setBulk([
        { key: 'ok1', value: 1 },
        { key: 'bad', value: Number.NaN },
        { key: 'ok2', value: 2 },
      ]),
  ],
  [
    'batch whose check fails',
    'STORE_VERSION_CONFLICT',
    (s) =>
      s.batch().set('fresh', 1).check({ key: 'existing', version: 1 }).delete('counter').commit(),
  ],
  [
    'batch whose last write loses its compare-and-set',
    'STORE_VERSION_CONFLICT',
    (s) =>
      s.batch().set('fresh', 1).delete('counter').set('existing', 'x', { version: 7 }).commit(),
  ],
  [
    'batch with a bad value',
    'STORE_INVALID_VALUE',
    (s) => s.batch().set('fresh', 1).set('bad', 1n).commit(),
  ],
  ['touch with a bad ttl', 'STORE_INVALID_ARGUMENT', (s) => s.touch('existing', 0)],
  [
    'list with a foreign cursor',
    'STORE_INVALID_CURSOR',
    (s) => s.list({ cursor: 'bm90IGEgY3Vyc29y' }),
  ],
];

describe('refused input', () => {
  it('leaves the database byte-for-byte as it was, for every kind of refusal', async () => {
    const s = sb();
    const store = await s.open({ flushInterval: 0 });
    await store.set('existing', 'value', { agentId: 'a1' });
    await store.set('existing', 'value 2', { agentId: 'a1' });
    await store.set('guarded', 'locked value', { dataType: 'locked' });
    await store.set('counter', 5);
    await store.acquireLock('guarded', 'a1');
    await store.releaseLock('guarded', 'a1');
    await store.acquireLock('guarded', 'a2', { ttl: 60_000 }); // token 2, held by a2
    await store.flush();
    const before = await s.checksum();
    for (const [name, code, call] of REFUSED) {
      const promise = call(store);
      const err = await expectRejectCode(promise, code).catch((e: Error) => {
        throw new Error(`${name}: ${e.message}`);
      });
      expect(err.message.length, name).toBeGreaterThan(10);
      await store.flush();
      expect(await s.checksum(), `${name} changed the database`).toBe(before);
    }
  });

  it('names why a value cannot be stored and where', async () => {
    const store = await sb().open();
    const err = await expectRejectCode(
      store.set('k', { a: { b: [1, () => 2] } }),
      'STORE_INVALID_VALUE',
    );
    expect(err.message).toContain('(top).a.b[1] is a function');
    const cyc = await expectRejectCode(store.set('k', cyclic), 'STORE_INVALID_VALUE');
    expect(cyc.message).toContain('cycle');
    const big = await expectRejectCode(store.set('k', { n: 1n }), 'STORE_INVALID_VALUE');
    expect(big.message).toContain('BigInt');
    const nan = await expectRejectCode(store.set('k', [Number.NaN]), 'STORE_INVALID_VALUE');
    expect(nan.message).toContain('NaN');
  });

  it('a setBulk or batch error names the entry', async () => {
    const store = await sb().open();
    const err = await expectRejectCode(
      store.setBulk([
        { key: 'a', value: 1 },
        { key: '', value: 2 },
      ]),
      'STORE_INVALID_KEY',
    );
    expect(err.details).toMatchObject({ index: 1 });
    await store.set('x', 1);
    const b = await expectRejectCode(
      store
        .batch()
        .check({ key: 'x', version: 1 })
        .check({ key: 'y', version: 3 })
        .set('x', 2)
        .commit(),
      'STORE_VERSION_CONFLICT',
    );
    expect(b.details).toMatchObject({
      failed: 'check',
      index: 1,
      key: 'y',
      expected: 3,
      current: null,
    });
  });
});
