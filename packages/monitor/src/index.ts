/**
 * @hivedb/monitor — performance monitoring, alerts, recommendations, persistence and a Prometheus
 * export for hivedb, over the pool's and the store's typed event buses.
 * @packageDocumentation
 */
export { PerformanceMonitor } from './performance-monitor.js';
export type { AttachOptions, MonitoredBus } from './performance-monitor.js';
export { DatabasePerformanceMonitor } from './database-performance-monitor.js';
export type { DatabasePerformanceMonitorOptions } from './database-performance-monitor.js';
export { DEFAULT_MONITOR_OPTIONS, resolveMonitorOptions } from './options.js';
export type {
  AlertThresholds,
  MonitorOptions,
  PersistenceOptions,
  ResolvedMonitorOptions,
  ResolvedPersistenceOptions,
} from './options.js';
export { MonitorError } from './errors.js';
export type { MonitorErrorCode } from './errors.js';
export { OWN_SQL_MARK } from './collector.js';
export { shapeOf, nullParamsFor } from './statement-text.js';
export type { StatementShape } from './statement-text.js';
export { createPrometheusCollector } from './prom-client.js';
export type { PrometheusCollector } from './prom-client.js';
export type {
  Alert,
  AlertType,
  FlushEvent,
  MonitorErrorEvent,
  MonitorEvents,
  SlowQuery,
} from './events.js';
export type { MetricFamily, MetricSample } from './prometheus.js';
export type { PersistedSample, PersistenceStats } from './persistence.js';
export type { Reader } from './source.js';
export type {
  AttachableBus,
  MonitoredStoreEvents,
  StoreOperationPayload,
} from './store-events.js';
export type {
  LatencySummary,
  OperationReport,
  PerformanceReport,
  PoolReport,
  QuerySample,
  Recommendation,
  StatementReport,
  StoreReport,
} from './types.js';
