import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { SharedMemoryStore } from '../src/index.js';
import { expectRejectCode, useSandbox } from './helpers/sandbox.js';

const sb = useSandbox();

/** `{ a: { a: … 1 } }`, `depth` objects deep, built without recursion. */
function nested(depth: number): unknown {
  let v: unknown = 1;
  for (let i = 0; i < depth; i++) v = { a: v };
  return v;
}

describe('deep values', () => {
  it('a value 3,000 (or 200,000) deep is STORE_INVALID_VALUE naming maxValueDepth, never a stack overflow', async () => {
    const s = sb();
    const store = await s.open();
    await store.set('keep', 1);
    const before = await s.checksum();
    for (const depth of [3000, 200_000]) {
      const err = await expectRejectCode(store.set('deep', nested(depth)), 'STORE_INVALID_VALUE');
      expect(err.message).toContain('nested deeper than maxValueDepth (256 levels');
      expect(err.message).toContain('(top).a.a.a.a.a.a…');
      const meta = await expectRejectCode(
        store.set('deep', 1, { metadata: nested(depth) as Record<string, unknown> }),
        'STORE_INVALID_VALUE',
      );
      expect(meta.message).toContain('the metadata');
    }
    expect(await s.checksum()).toBe(before);
  });

  it('takes exactly maxValueDepth levels and refuses one more; the option is validated', async () => {
    const store = await sb().open({ maxValueDepth: 10 });
    await store.set('ten', nested(10));
    expect(await store.get('ten')).toEqual(nested(10));
    await expectRejectCode(store.set('eleven', { x: nested(10) }), 'STORE_INVALID_VALUE');
    await expectRejectCode(store.set('eleven', [nested(10)]), 'STORE_INVALID_VALUE');
    const deflt = await sb().open();
    await deflt.set('256', nested(256));
    await expectRejectCode(deflt.set('257', nested(257)), 'STORE_INVALID_VALUE');
    const most = await sb().open({ maxValueDepth: 2048 });
    await most.set('2048', nested(2048));
    expect(await most.get('2048', { bypassCache: true })).toEqual(nested(2048));
    await expectRejectCode(most.set('deeper', nested(200_000)), 'STORE_INVALID_VALUE');
    for (const bad of [0, 1.5, 2049, '10', null]) {
      expect(() => new SharedMemoryStore({ maxValueDepth: bad as never })).toThrow(
        expect.objectContaining({ code: 'STORE_INVALID_OPTION' }),
      );
    }
  });

  it('an import line nested too deep is STORE_IMPORT_INVALID naming its line', async () => {
    const store = await sb().open();
    const line = JSON.stringify({ key: 'deep', value: nested(1000) });
    const err = await expectRejectCode(
      store.import(Readable.from([`{"key":"ok","value":1}\n${line}\n`])),
      'STORE_IMPORT_INVALID',
    );
    expect(err.details).toMatchObject({ line: 2 });
    expect(err.message).toContain('maxValueDepth');
    expect(await store.get('ok')).toBeNull();
  });
});

describe('cycles', () => {
  it('names the path that refers back and where it refers to', async () => {
    const store = await sb().open();
    const self: Record<string, unknown> = { n: 1 };
    self.self = self;
    const e1 = await expectRejectCode(store.set('k', self), 'STORE_INVALID_VALUE');
    expect(e1.message).toContain('(top).self refers back to (top) (a cycle)');
    expect(e1.message).not.toContain('self.self');

    const a: Record<string, unknown> = {};
    a.b = a;
    const e2 = await expectRejectCode(store.set('k', { list: [1, { a }] }), 'STORE_INVALID_VALUE');
    expect(e2.message).toContain('(top).list[1].a.b refers back to (top).list[1].a (a cycle)');

    // A cycle that starts deep: 40 levels down, back to level 35.
    const top: Record<string, unknown> = {};
    let at = top;
    let level35: Record<string, unknown> | undefined;
    for (let i = 1; i <= 40; i++) {
      const next: Record<string, unknown> = {};
      at.d = next;
      at = next;
      if (i === 35) level35 = next;
    }
    at.back = level35;
    const e3 = await expectRejectCode(store.set('k', top), 'STORE_INVALID_VALUE');
    expect(e3.message).toContain('.d.back (41 levels down) refers back to');
    expect(e3.message).toContain('.d.d (35 levels down) (a cycle)');
  });

  it('a cycle with a small maxValueDepth is still called a cycle', async () => {
    const store = await sb().open({ maxValueDepth: 3 });
    const a: Record<string, unknown> = {};
    a.b = a;
    const err = await expectRejectCode(store.set('k', { a }), 'STORE_INVALID_VALUE');
    expect(err.message).toContain('(top).a.b refers back to (top).a (a cycle)');
  });
});
