import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createPrometheusCollector, PerformanceMonitor } from '../src/index.js';
import { openPool, tempDir } from './helpers.js';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const LABEL_VALUE = '"(?:[^"\\\\\\n]|\\\\["\\\\n])*"';
const SAMPLE = new RegExp(
  `^(${NAME})(?:\\{((?:[a-zA-Z_][a-zA-Z0-9_]*=${LABEL_VALUE})(?:,[a-zA-Z_][a-zA-Z0-9_]*=${LABEL_VALUE})*)?\\})? (\\S+)$`,
);

/**
 * A strict reader of the text exposition format 0.0.4: every line is HELP, TYPE or a sample of
 * the family just declared; values are numbers; histograms have cumulative buckets ending in
 * `+Inf` equal to `_count`. Throws on the first line that breaks a rule.
 */
function parseExposition(text: string): { types: Map<string, string>; samples: Sample[] } {
  expect(text.endsWith('\n')).toBe(true);
  const types = new Map<string, string>();
  const samples: Sample[] = [];
  let family = '';
  for (const line of text.slice(0, -1).split('\n')) {
    const help = /^# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) .+$/.exec(line);
    if (help) {
      expect(types.has(help[1]!), `family ${help[1]} declared twice`).toBe(false);
      family = help[1]!;
      continue;
    }
    const type =
      /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$/.exec(line);
    if (type) {
      expect(type[1]).toBe(family);
      types.set(family, type[2]!);
      continue;
    }
    const m = SAMPLE.exec(line);
    if (m === null) throw new Error(`not a valid exposition line: ${JSON.stringify(line)}`);
    const [, name, rawLabels, rawValue] = m;
    const allowed =
      types.get(family) === 'histogram'
        ? [`${family}_bucket`, `${family}_sum`, `${family}_count`]
        : [family];
    expect(allowed, `sample ${name} outside its family ${family}`).toContain(name);
    const value = rawValue === '+Inf' ? Number.POSITIVE_INFINITY : Number(rawValue);
    expect(Number.isNaN(value), line).toBe(false);
    const labels: Record<string, string> = {};
    for (const [, k, v] of (rawLabels ?? '').matchAll(
      /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g,
    ))
      labels[k!] = v!;
    samples.push({ name: name!, labels, value });
  }
  // Histograms: cumulative buckets, +Inf last and equal to _count.
  for (const [name, type] of types) {
    if (type !== 'histogram') continue;
    const series = new Map<string, Sample[]>();
    for (const s of samples.filter((x) => x.name === `${name}_bucket`)) {
      const { le, ...rest } = s.labels;
      expect(le).toBeDefined();
      const key = JSON.stringify(rest);
      series.set(key, [...(series.get(key) ?? []), s]);
    }
    for (const [key, buckets] of series) {
      for (let i = 1; i < buckets.length; i++)
        expect(buckets[i]!.value).toBeGreaterThanOrEqual(buckets[i - 1]!.value);
      expect(buckets.at(-1)!.labels.le).toBe('+Inf');
      const count = samples.find(
        (x) => x.name === `${name}_count` && JSON.stringify(x.labels) === key,
      );
      expect(count?.value).toBe(buckets.at(-1)!.value);
    }
  }
  return { types, samples };
}

describe('Prometheus export', () => {
  it('parses line by line, and db_client_operation_duration_seconds counts equal the queries made', async () => {
    const pool = openPool(tempDir(), { maxConnections: 4 });
    const monitor = new PerformanceMonitor({ monitoringInterval: 0 });
    monitor.attachPool(pool, { name: 'memory "main"\\db' }); // a name that needs escaping
    let made = 0;
    await pool.run('CREATE TABLE kv (k TEXT PRIMARY KEY, v TEXT)');
    made++;
    for (let i = 0; i < 40; i++) await pool.run('INSERT INTO kv VALUES (?, ?)', [`k${i}`, 'v']);
    made += 40;
    await Promise.all(
      Array.from({ length: 30 }, (_, i) => pool.get('SELECT v FROM kv WHERE k = ?', [`k${i}`])),
    );
    made += 30;
    await pool.transaction((tx) => {
      tx.run('UPDATE kv SET v = ? WHERE k = ?', ['w', 'k1']);
      tx.get('SELECT count(*) AS n FROM kv');
    });
    made += 2;
    await expect(pool.run('INSERT INTO kv VALUES (?, ?)', ['k1', 'dup'])).rejects.toThrow();
    made++;
    await pool.withConnection(async (lease) => lease.all('SELECT k FROM kv LIMIT 3'));
    made++;

    const text = monitor.toPrometheus();
    const { types, samples } = parseExposition(text);
    expect(types.get('db_client_operation_duration_seconds')).toBe('histogram');
    const counts = samples.filter((s) => s.name === 'db_client_operation_duration_seconds_count');
    expect(counts.reduce((n, s) => n + s.value, 0)).toBe(made);
    const by = (op: string, error?: string) =>
      counts.find((s) => s.labels.db_operation_name === op && s.labels.error_type === error)?.value;
    expect([
      by('CREATE'),
      by('INSERT'),
      by('SELECT'),
      by('UPDATE'),
      by('INSERT', 'SQLITE_CONSTRAINT_PRIMARYKEY'),
    ]).toEqual([1, 40, 32, 1, 1]);
    expect(counts[0]!.labels).toMatchObject({
      db_system_name: 'sqlite',
      db_namespace: 'memory \\"main\\"\\\\db',
    });
    expect(types.get('hivedb_transactions_total')).toBe('counter');
    const committed = samples.find(
      (s) => s.name === 'hivedb_transactions_total' && s.labels.outcome === 'commit',
    );
    expect(committed?.value).toBe(1);
    // One explicit lease: its wait, use and the occupancy it left behind.
    expect(
      samples.find((s) => s.name === 'db_client_connection_wait_time_seconds_count')?.value,
    ).toBe(1);
    expect(
      samples.find((s) => s.name === 'db_client_connection_use_time_seconds_count')?.value,
    ).toBe(1);
    const conn = samples.filter((s) => s.name === 'db_client_connection_count');
    expect(conn.map((s) => s.labels.db_client_connection_state).sort()).toEqual(['idle', 'used']);
    expect(samples.find((s) => s.name === 'db_client_connection_max')?.value).toBe(4);
    expect(samples.find((s) => s.name === 'db_client_connection_timeouts_total')?.value).toBe(0);
    // Not measured by any event (no health check ran): absent, not zero.
    expect(text).not.toContain('hivedb_wal_bytes');
    await monitor.stop();
  });

  it('a caller that gives up waiting for a connection counts in db_client_connection_timeouts_total', async () => {
    // One reader (maxConnections counts the writer): a second read lease must wait, and gives up.
    const pool = openPool(tempDir(), { maxConnections: 2, connectionTimeout: 100 });
    const monitor = new PerformanceMonitor({ monitoringInterval: 0 });
    monitor.attachPool(pool, { name: 'app' });
    await pool.run('CREATE TABLE t (a)');
    const held = await pool.acquire({ mode: 'read' });
    await expect(pool.acquire({ mode: 'read' })).rejects.toMatchObject({
      code: 'POOL_ACQUIRE_TIMEOUT',
    });
    held.release();
    const { types, samples } = parseExposition(monitor.toPrometheus());
    expect(types.get('db_client_connection_timeouts_total')).toBe('counter');
    expect(samples.filter((s) => s.name === 'db_client_connection_timeouts_total')).toEqual([
      {
        name: 'db_client_connection_timeouts_total',
        labels: { db_client_connection_pool_name: 'app' },
        value: 1,
      },
    ]);
    expect(monitor.snapshot().pools[0]?.acquireTimeouts).toBe(1);
    await monitor.stop();
  });

  it('registers in a prom-client registry, whose output carries the same counts', async () => {
    const pool = openPool(tempDir());
    const monitor = new PerformanceMonitor({ monitoringInterval: 0 });
    monitor.attachPool(pool);
    for (let i = 0; i < 25; i++) await pool.get('SELECT ? AS i', [i]);
    const registry = new Registry();
    const collector = await createPrometheusCollector(monitor, { registry });
    const json = await registry.getMetricsAsJSON();
    const op = json.find((m) => m.name === 'db_client_operation_duration_seconds');
    expect(op?.type).toBe('histogram');
    const count = op?.values.find(
      (v) =>
        (v as { metricName?: string }).metricName === 'db_client_operation_duration_seconds_count',
    );
    expect(count?.value).toBe(25);
    const text = await registry.metrics();
    const parsed = parseExposition(
      text.replace(/\n\n/g, '\n').replace(/# HELP (\S+) [^\n]*\n# TYPE \1 \w+\n(?=# HELP|$)/g, ''),
    );
    expect(
      parsed.samples.find((s) => s.name === 'db_client_operation_duration_seconds_count')?.value,
    ).toBe(25);
    for (let i = 0; i < 5; i++) await pool.get('SELECT ? AS i', [i]);
    expect(await registry.metrics()).toContain(
      'db_client_operation_duration_seconds_count{db_system_name="sqlite",db_namespace="app.db",db_operation_name="SELECT"} 30',
    );
    collector.unregister();
    expect(await registry.metrics()).toBe('\n');
    await monitor.stop();
  });
});
