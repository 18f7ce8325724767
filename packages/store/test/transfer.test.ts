import { createHash } from 'node:crypto';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { createPool } from '@hivedb/pool';
import { describe, expect, it } from 'vitest';
import { runChild } from './helpers/children.js';
import { expectRejectCode, useSandbox } from './helpers/sandbox.js';

const sb = useSandbox();

const COLUMNS =
  'namespace, key, value, data_type, metadata, version, created_at, updated_at, expires_at';

/** Hash of every live row's exported columns of the store under `root`, in key order. */
async function liveDigest(hiveMind: string): Promise<{ rows: number; sha: string }> {
  const pool = createPool({
    filename: 'memory.db',
    root: hiveMind,
    minConnections: 1,
    maxConnections: 2,
    healthCheckInterval: 0,
    snapshotWindowMs: 0,
  });
  try {
    const rows = await pool.all<Record<string, unknown>>(
      `SELECT ${COLUMNS} FROM shared_memory WHERE expires_at IS NULL OR expires_at > ?
       ORDER BY namespace, key`,
      [Date.now()],
    );
    const hash = createHash('sha256');
    for (const r of rows) hash.update(JSON.stringify(r));
    return { rows: rows.length, sha: hash.digest('hex') };
  } finally {
    await pool.close();
  }
}

async function collect(stream: Readable): Promise<string> {
  let text = '';
  for await (const chunk of stream) text += chunk;
  return text;
}

describe('export / import (JSON Lines)', () => {
  it('round-trips 100k entries losslessly with peak RSS within 100 MB of idle', async () => {
    const s = sb();
    const targetRoot = join(s.root, 'target');
    await runChild('populate.mjs', [s.root, '100000']);
    const file = join(s.root, 'export.jsonl');
    const [line] = await runChild('transfer-rss.mjs', [s.root, targetRoot, file]);
    const report = JSON.parse(line!) as {
      idle: number;
      peak: number;
      sampled: number;
      lines: number;
      entries: number;
      exportMs: number;
      importMs: number;
    };
    const mb = (n: number) => Math.round(n / 1048576);
    console.log(
      `100k round trip: idle ${mb(report.idle)} MB, peak ${mb(report.peak)} MB (sampled ${mb(report.sampled)} MB), export ${Math.round(report.exportMs)} ms, import ${Math.round(report.importMs)} ms`,
    );
    const source = await liveDigest(s.hiveMind);
    const target = await liveDigest(join(targetRoot, '.hive-mind'));
    expect(source.rows).toBeGreaterThan(99_000);
    expect(report.lines).toBe(source.rows);
    expect(report.entries).toBe(source.rows);
    expect(target).toEqual(source);
    expect(report.peak - report.idle).toBeLessThanOrEqual(100 * 1024 * 1024);
  }, 180_000);

  it('exports every field; a namespace alone; not expired or transient entries', async () => {
    const s = sb();
    const store = await s.open();
    await store.set('a', { x: [1, 'two', null] }, { metadata: { by: 'me' }, ttl: 60_000 });
    await store.set('a', { x: 2 }, { metadata: { by: 'me' }, ttl: 60_000 });
    await store.set('b', 'in tasks', { namespace: 'task_results', dataType: 'versioned' });
    await store.set('gone', 1, { ttl: 1 });
    await store.set('mem', 1, { dataType: 'transient' });
    await new Promise((r) => setTimeout(r, 5));
    const lines = (await collect(store.export())).trim().split('\n');
    expect(lines).toHaveLength(2);
    const a = JSON.parse(lines[0]!);
    const [row] = await s.rows();
    expect(a).toEqual({
      namespace: 'shared_state',
      key: 'a',
      value: { x: 2 },
      dataType: 'persistent',
      metadata: { by: 'me' },
      version: 2,
      createdAt: row!.created_at,
      updatedAt: row!.updated_at,
      expiresAt: row!.expires_at,
    });
    expect(JSON.parse(lines[1]!)).toMatchObject({ namespace: 'task_results', key: 'b' });
    const only = (await collect(store.export({ namespace: 'task_results' }))).trim().split('\n');
    expect(only.map((l) => JSON.parse(l).key)).toEqual(['b']);
    expect(await collect(store.export({ namespace: 'empty' }))).toBe('');
    expect(() => store.export({ namespace: '' })).toThrow(/namespace/);
  });

  it('a bad record names its line and nothing is imported', async () => {
    const s = sb();
    const store = await s.open();
    await store.set('existing', 'before', { namespace: 'task_results' });
    const before = await s.checksum();
    const good = (i: number) =>
      JSON.stringify({ namespace: 'task_results', key: `k${i}`, value: { i } });
    const cases: Array<[string, RegExp]> = [
      ['{"namespace":"task_results","key":"","value":1}', /invalid key/],
      ['{"key":"x","value":1', /not valid JSON/],
      ['[1,2]', /not a JSON object/],
      ['{"key":"x"}', /no "value"/],
      ['{"key":"x","value":1,"colour":"red"}', /unknown field "colour"/],
      ['{"key":"x","value":1,"dataType":"transient"}', /transient/],
      ['{"key":"x","value":1,"version":0}', /version/],
      ['{"key":"x","value":1,"createdAt":5,"updatedAt":4}', /before createdAt/],
      [good(3), /same namespace and key as line 4/],
    ];
    for (const [bad, reason] of cases) {
      const text = `${Array.from({ length: 2500 }, (_, i) => good(i)).join('\n')}\n${bad}\n${good(9999)}\n`;
      const file = join(s.root, 'bad.jsonl');
      writeFileSync(file, text);
      const err = await expectRejectCode(store.import(file), 'STORE_IMPORT_INVALID');
      expect(err.message).toContain('line 2501');
      expect(err.details).toMatchObject({ line: 2501 });
      expect(String(err.details?.reason)).toMatch(reason);
      expect(await s.checksum()).toBe(before);
    }
    // No staging file is left behind.
    expect(readdirSync(s.hiveMind).filter((f) => f.startsWith('.import'))).toEqual([]);
    expect(await store.get('k1', { namespace: 'task_results' })).toBeNull();
  });

  it('an imported entry replaces an existing one with a version never lower than the next', async () => {
    const s = sb();
    const store = await s.open();
    for (let v = 0; v < 7; v++) await store.set('high', v);
    await store.set('low', 'old');
    expect(await store.get('high')).toBe(6); // cached now
    const lines = [
      { key: 'high', value: 'imported', version: 2 },
      { key: 'low', value: 'imported', version: 9 },
      { key: 'new', value: 'imported', version: 4, createdAt: 10, updatedAt: 20 },
      { key: 'dead', value: 1, expiresAt: 1000 },
    ].map((r) => JSON.stringify(r));
    const progress: unknown[] = [];
    const result = await store.import(Readable.from([`${lines.join('\r\n')}\r\n\r\n`]), {
      onProgress: (p) => progress.push(p),
    });
    expect(result).toEqual({ lines: 5, entries: 3 });
    expect(progress.at(-1)).toEqual({ lines: 5, entries: 3 });
    const meta = async (key: string) =>
      (await store.get(key, { includeMetadata: true })).metadata?.version;
    expect(await store.get('high')).toBe('imported');
    expect(await meta('high')).toBe(8);
    expect(await meta('low')).toBe(9);
    expect(await meta('new')).toBe(4);
    expect(await store.get('dead')).toBeNull();
  });

  it('concurrent imports each write their own records', async () => {
    const s = sb();
    const store = await s.open();
    const source = (tag: string) =>
      Readable.from(
        Array.from(
          { length: 3000 },
          (_, i) => `${JSON.stringify({ key: `${tag}${i}`, value: tag })}\n`,
        ),
      );
    const results = await Promise.all(['a', 'b', 'c'].map((t) => store.import(source(t))));
    expect(results).toEqual(Array(3).fill({ lines: 3000, entries: 3000 }));
    for (const t of ['a', 'b', 'c']) {
      const keys = await store.keys({ pattern: `${t}*` });
      expect(keys).toHaveLength(3000);
      expect(await store.get(`${t}2999`)).toBe(t);
    }
  });

  it('reads async iterables of bytes split inside a character, and refuses bad sources', async () => {
    const s = sb();
    const store = await s.open();
    const bytes = Buffer.from(`${JSON.stringify({ key: 'bee', value: '🐝 ünï' })}\n`);
    async function* split() {
      for (let i = 0; i < bytes.length; i += 3) yield new Uint8Array(bytes.subarray(i, i + 3));
    }
    expect(await store.import(split())).toEqual({ lines: 1, entries: 1 });
    expect(await store.get('bee')).toBe('🐝 ünï');
    await expectRejectCode(store.import(join(s.root, 'missing.jsonl')), 'STORE_INVALID_ARGUMENT');
    await expectRejectCode(store.import(42 as never), 'STORE_INVALID_ARGUMENT');
    await expectRejectCode(
      store.import(Readable.from(['x']), { every: 1 } as never),
      'STORE_INVALID_ARGUMENT',
    );
  });
});
