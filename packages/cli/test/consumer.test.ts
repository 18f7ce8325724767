import { describe, expect, it } from 'vitest';
import { CliError, renderHtml, resolveRoot, run, VERSION } from '@hivedb/cli';
import { capture } from './helpers.js';

describe('@hivedb/cli as a consumer imports it', () => {
  it('run() returns the exit status instead of exiting', async () => {
    const o = capture();
    expect(await run(['--version'], o)).toBe(0);
    expect(o.out.trim()).toBe(VERSION);
    const bad = capture();
    expect(await run(['frobnicate'], bad)).toBe(2);
    expect(bad.err).toMatch(/^hivedb: unknown command 'frobnicate'/);
  });

  it('resolveRoot takes the .hive-mind folder or a project folder', () => {
    expect(resolveRoot('/p/.hive-mind').projectRoot).toBe('/p');
    expect(resolveRoot('/p').dir).toBe('/p/.hive-mind');
    expect(() => resolveRoot('')).toThrow(CliError);
  });

  it('renderHtml draws an empty report without data', () => {
    const html = renderHtml({
      source: 'hive.db',
      generatedAt: 0,
      range: null,
      samples: 0,
      bucketMs: 1000,
      latency: [],
      operations: [],
      slow: [],
      pool: [],
      wal: [],
      alerts: [],
      demo: null,
    });
    expect(html).toContain('data-testid="latency-chart" data-points="0"');
    expect(html).not.toMatch(/<script/i);
  });
});
