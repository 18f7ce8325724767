import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createPool } from '@hivedb/pool';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliRun, hivedb, json, tempDir } from './helpers.js';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = fileURLToPath(new URL('../test-results/', import.meta.url));

interface Summary {
  agents: number;
  operations: number;
  errors: number;
  lostUpdates: number;
  phantomUpdates: number;
  integrityOk: boolean;
  increments: { expected: number; actual: number };
  guardedUpdates: { expected: number; actual: number };
  failedAgents: string[];
  wal: { memoryMaxBytes: number; hiveMaxBytes: number; limitBytes: number; samples: number };
  report: string;
  ok: boolean;
}

/** Counts taken straight from hive.db, to compare with what the report drew. */
async function countsFromHiveDb(hivePath: string, bucketMs: number, from: number) {
  const pool = createPool({ filename: path.basename(hivePath), root: path.dirname(hivePath) });
  try {
    const q = async (sql: string, params: unknown[] = []) =>
      Number(
        Object.values(
          (await pool.get<Record<string, number>>(sql, params as never)) ?? { n: 0 },
        )[0],
      );
    const notCli = "query_type NOT LIKE 'hivedb:%'";
    return {
      samples: await q(`SELECT COUNT(*) FROM query_performance WHERE ${notCli}`),
      buckets: await q(
        `SELECT COUNT(DISTINCT CAST((timestamp - ?) / ? AS INTEGER)) FROM query_performance WHERE ${notCli}`,
        [from, bucketMs],
      ),
      operations: await q(
        `SELECT COUNT(DISTINCT CASE WHEN query_type LIKE '%:error' THEN substr(query_type, 1, length(query_type) - 6) ELSE query_type END) FROM query_performance WHERE ${notCli}`,
      ),
      pool: await q("SELECT COUNT(*) FROM query_performance WHERE query_type = 'hivedb:pool'"),
      alerts: await q("SELECT COUNT(*) FROM query_performance WHERE query_type = 'hivedb:alert'"),
      wal: await q("SELECT COUNT(*) FROM query_performance WHERE query_type = 'hivedb:wal'"),
    };
  } finally {
    await pool.close();
  }
}

describe('demo and report', () => {
  const t = tempDir();
  const root = path.join(t.dir, '.hive-mind');
  let demo: CliRun;
  afterAll(t.cleanup);

  beforeAll(async () => {
    demo = await hivedb(
      t.dir,
      ['demo', '--agents', '4', '--duration', '3s', '--sample-rate', '0.2', '--json'],
      90_000,
    );
  }, 100_000);

  it('runs the swarm to a summary with no lost update and an ok integrity check', () => {
    expect(demo.code, demo.stderr).toBe(0);
    const s = json<Summary>(demo);
    expect(s.ok).toBe(true);
    expect(s.agents).toBe(4);
    expect(s.failedAgents).toEqual([]);
    expect(s.operations).toBeGreaterThan(0);
    expect(s.increments.expected).toBeGreaterThan(0);
    expect(s.increments.actual).toBe(s.increments.expected);
    expect(s.guardedUpdates.actual).toBe(s.guardedUpdates.expected);
    expect(s.lostUpdates).toBe(0);
    expect(s.phantomUpdates).toBe(0);
    expect(s.integrityOk).toBe(true);
    // The WAL files were sampled every 100 ms while the agents ran (3 s), and stayed bounded.
    expect(s.wal.samples).toBeGreaterThanOrEqual(20);
    expect(s.wal.memoryMaxBytes).toBeGreaterThan(0);
    expect(s.wal.memoryMaxBytes).toBeLessThan(s.wal.limitBytes);
    expect(s.wal.hiveMaxBytes).toBeLessThan(s.wal.limitBytes);
    expect(s.report).toBe(path.join(root, 'report.html'));
    expect(existsSync(s.report)).toBe(true);
  });

  it('prints plain progress lines when stderr is not a terminal', () => {
    expect(demo.stderr).toMatch(/\[demo\] starting 4 agent processes/);
    expect(demo.stderr).not.toContain('\r');
  });

  it('report prints a table, and --json the same data', async () => {
    const text = await hivedb(t.dir, ['report']);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/operation\s+samples\s+per s\s+errors\s+p50\s+p99/);
    expect(text.stdout).toMatch(/store\.set/);
    expect(text.stdout).toMatch(/last demo: 4 agents/);
    const j = await hivedb(t.dir, ['report', '--json']);
    expect(j.code).toBe(0);
    const data = json<{
      samples: number;
      operations: { operation: string }[];
      demo: { lostUpdates: number };
    }>(j);
    expect(data.samples).toBeGreaterThan(0);
    expect(data.operations.map((o) => o.operation)).toContain('store.set');
    expect(data.demo.lostUpdates).toBe(0);
  });

  it('the HTML report renders in Chromium with every data point of hive.db', async () => {
    const html = path.join(t.dir, 'out', 'report.html');
    const r = await hivedb(t.dir, ['report', '--html', html]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`HTML report written to ${html}`);
    const source = readFileSync(html, 'utf8');
    // self-contained: no script, no external resource
    expect(source).not.toMatch(/<script|<link|src=|https?:\/\//i);

    if (!existsSync(CHROMIUM))
      throw new Error(
        `no browser at ${CHROMIUM}: install Debian's chromium (apt-get install chromium; .ci/run does)`,
      );
    const userDataDir = mkdtempSync(path.join(os.tmpdir(), 'hivedb-chromium-'));
    const requests: string[] = [];
    const context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 900, height: 900 },
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    try {
      const page = await context.newPage();
      page.on('request', (req) => requests.push(req.url()));
      await page.goto(`file://${html}`);
      const body = page.locator('body');
      const bucketMs = Number(await body.getAttribute('data-bucket-ms'));
      const from = Number(await body.getAttribute('data-since'));
      const want = await countsFromHiveDb(path.join(root, 'hive.db'), bucketMs, from);
      expect(want.samples).toBeGreaterThan(0);
      expect(Number(await body.getAttribute('data-samples'))).toBe(want.samples);

      // latency: one point per time bucket in each of p50, p95, p99
      for (const series of ['p50', 'p95', 'p99'])
        await expect
          .poll(() =>
            page.locator(`[data-testid="latency-chart-point"][data-series="${series}"]`).count(),
          )
          .toBe(want.buckets);
      expect(await page.locator('[data-testid="latency-chart"] polyline').count()).toBe(3);
      // throughput: one bar per operation
      expect(await page.locator('[data-testid="throughput-chart-bar"]').count()).toBe(
        want.operations,
      );
      // slow statements: the ten slowest samples (or all of them)
      expect(await page.locator('[data-testid="slow-chart-bar"]').count()).toBe(
        Math.min(10, want.samples),
      );
      expect(await page.locator('[data-testid="slow-row"]').count()).toBe(
        Math.min(10, want.samples),
      );
      // pool utilisation: one point per persisted sample
      expect(want.pool).toBeGreaterThan(0);
      expect(await page.locator('[data-testid="pool-chart-point"]').count()).toBe(want.pool);
      // WAL size: one point per second of the run and database, plus the bound's two ends
      expect(want.wal).toBeGreaterThan(0);
      expect(await page.locator('[data-testid="wal-chart-point"]').count()).toBe(want.wal + 2);
      expect(
        await page.locator('[data-testid="wal-chart-point"][data-series="bound"]').count(),
      ).toBe(2);
      // alerts: one marker per persisted alert
      expect(await page.locator('[data-testid="alerts-chart-marker"]').count()).toBe(want.alerts);
      // the charts have a size on the page (they rendered, not just parsed)
      const box = await page.locator('[data-testid="latency-chart"]').boundingBox();
      expect(box?.width ?? 0).toBeGreaterThan(300);
      expect(
        await page
          .locator('[data-testid="demo-summary"] [data-field="lost updates"]')
          .textContent(),
      ).toBe('0');
      mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: path.join(ARTIFACTS, 'report.png'), fullPage: true });
    } finally {
      await context.close();
      rmSync(userDataDir, { recursive: true, force: true });
    }
    expect(requests.filter((u) => !u.startsWith('file://'))).toEqual([]);
    expect(existsSync(path.join(ARTIFACTS, 'report.png'))).toBe(true);
  }, 60_000);

  it('demo and report refuse bad usage with exit 2', async () => {
    const zero = await hivedb(t.dir, ['demo', '--agents', '0']);
    expect(zero.code).toBe(2);
    expect(zero.stderr).toMatch(/^hivedb: CLI_USAGE: --agents: expected a whole number ≥ 1/);
    const dur = await hivedb(t.dir, ['demo', '--duration', 'forever']);
    expect(dur.code).toBe(2);
    expect(dur.stderr).toContain('--duration: expected a duration');
    const last = await hivedb(t.dir, ['report', '--last', 'yesterday']);
    expect(last.code).toBe(2);
  });

  it('report on a root without hive.db exits 1, creating nothing', async () => {
    const other = tempDir();
    try {
      mkdirSync(path.join(other.dir, '.hive-mind'));
      const r = await hivedb(other.dir, ['report']);
      expect(r.code).toBe(1);
      expect(existsSync(path.join(other.dir, '.hive-mind', 'hive.db'))).toBe(false);
      expect(r.stderr).toMatch(/^hivedb: CLI_NO_DATABASE: no hive\.db at .*hive\.db/);
    } finally {
      other.cleanup();
    }
  });
});
