import { MonitorError } from './errors.js';
import { METRIC_DEFINITIONS, type MetricFamily } from './prometheus.js';

/** The part of a prom-client `Registry` the collector uses (so these types do not need prom-client). */
export interface PromRegistryLike {
  registerMetric(metric: never): void;
  removeSingleMetric(name: string): void;
}

/** What `createPrometheusCollector` returns. */
export interface PrometheusCollector {
  /** The registry the metrics were registered in. */
  readonly registry: PromRegistryLike;
  /** The names registered. */
  readonly names: readonly string[];
  /** Removes the monitor's metrics from the registry. */
  unregister(): void;
}

/** Anything with `metricFamilies()`: a `PerformanceMonitor`. */
export interface MetricFamilySource {
  metricFamilies(): MetricFamily[];
}

/**
 * Registers the monitor's metrics in a prom-client registry (prom-client is an optional peer
 * dependency: it is loaded only here, and `MONITOR_PROM_CLIENT_MISSING` says when it is not
 * installed). Each scrape reads the monitor's current figures; nothing is copied in between.
 *
 * @example
 * import { register } from 'prom-client';
 * await createPrometheusCollector(monitor);            // prom-client's default registry
 * const text = await register.metrics();
 */
export async function createPrometheusCollector(
  monitor: MetricFamilySource,
  options: { registry?: PromRegistryLike } = {},
): Promise<PrometheusCollector> {
  let registry = options.registry;
  if (registry === undefined) {
    let prom: { register?: PromRegistryLike; default?: { register?: PromRegistryLike } };
    try {
      prom = (await import('prom-client')) as typeof prom;
    } catch (cause) {
      throw new MonitorError(
        'MONITOR_PROM_CLIENT_MISSING',
        'createPrometheusCollector needs prom-client (npm install prom-client), or pass { registry }',
        { cause },
      );
    }
    registry = prom.register ?? prom.default?.register;
    if (registry === undefined)
      throw new MonitorError('MONITOR_PROM_CLIENT_MISSING', 'prom-client has no default register');
  }
  // One scrape asks every metric in turn: read the families once per scrape.
  let cached: Map<string, MetricFamily> | undefined;
  const familyOf = (name: string): MetricFamily | undefined => {
    if (cached === undefined) {
      cached = new Map(monitor.metricFamilies().map((f) => [f.name, f]));
      queueMicrotask(() => {
        cached = undefined;
      });
    }
    return cached.get(name);
  };
  const names: string[] = [];
  for (const def of METRIC_DEFINITIONS) {
    const metric = {
      name: def.name,
      help: def.help,
      type: def.type,
      aggregator: 'sum',
      get: async () => ({
        name: def.name,
        help: def.help,
        type: def.type,
        aggregator: 'sum',
        values: (familyOf(def.name)?.samples ?? []).map((s) => ({
          metricName: def.name + s.suffix,
          labels: s.labels,
          value: s.value,
        })),
      }),
    };
    registry.registerMetric(metric as never);
    names.push(def.name);
  }
  const reg = registry;
  return {
    registry: reg,
    names,
    unregister: () => {
      for (const n of names) reg.removeSingleMetric(n);
    },
  };
}
