/** What an alert is about. The first seven are raised by the monitor; any other string by `raiseAlert`. */
export type AlertType =
  | 'connection_pool_utilization'
  | 'average_query_time'
  | 'error_rate'
  | 'slow_query'
  | 'connection_failure'
  | 'circuit_open'
  | 'wal_size'
  | (string & {});

/** An alert, active or resolved. */
export interface Alert {
  /** `alert-<n>`, unique within the monitor. */
  readonly id: string;
  readonly type: AlertType;
  readonly severity: 'warning' | 'critical';
  /** The attached bus it concerns (a database's name), or `'monitor'` / the caller's for manual alerts. */
  readonly source: string;
  readonly message: string;
  /** The measured value when raised (and as last evaluated), in the threshold's unit. */
  readonly value: number | undefined;
  readonly threshold: number | undefined;
  readonly details: Readonly<Record<string, unknown>>;
  readonly raisedAt: number;
  /** When the condition was last evaluated and still held. */
  readonly updatedAt: number;
  readonly resolvedAt: number | undefined;
  readonly acknowledgedAt: number | undefined;
  readonly state: 'active' | 'resolved';
}

/** A statement that took longer than `slowQueryThreshold`. Never carries parameter values. */
export interface SlowQuery {
  readonly at: number;
  readonly source: string;
  /** The statement as it was run (its literals included; bound parameters are not). */
  readonly sql: string;
  readonly normalized: string;
  readonly operation: string;
  readonly paramCount: number;
  readonly durationMs: number;
  readonly rows: number;
  readonly connectionId: number | undefined;
  readonly transactionId: number | undefined;
  /** The error code when it failed. */
  readonly error: string | undefined;
}

/** Samples were written to `query_performance`. */
export interface FlushEvent {
  readonly rows: number;
  readonly durationMs: number;
}

/** Something inside the monitor failed (a flush, an `EXPLAIN`, its own listener). Nothing was thrown at the application. */
export interface MonitorErrorEvent {
  readonly where: string;
  readonly error: unknown;
}

/** The monitor's event map (`monitor.events`). */
export interface MonitorEvents {
  alert: Alert;
  'alert:resolved': Alert;
  'slow-query': SlowQuery;
  flush: FlushEvent;
  error: MonitorErrorEvent;
}
