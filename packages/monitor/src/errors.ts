import { HiveDbError, type HiveDbErrorOptions } from '@hivedb/pool';

/**
 * Every error code `@hivedb/monitor` throws. Callers branch on `err.code`, which keeps working
 * when two copies of a package are installed.
 */
export type MonitorErrorCode =
  /** An option had an unknown key or a bad value. */
  | 'MONITOR_INVALID_OPTION'
  /** A method was called with a bad argument (a sample without a duration, a bus without `on`). */
  | 'MONITOR_INVALID_ARGUMENT'
  /** The monitor was stopped: it attaches, records and raises nothing more. */
  | 'MONITOR_CLOSED'
  /** `acknowledgeAlert` / `resolveAlert` named an alert the monitor does not know. */
  | 'MONITOR_UNKNOWN_ALERT'
  /** `hive.db` could not be opened, migrated or written; the cause is on `err.cause`. */
  | 'MONITOR_PERSIST_FAILED'
  /** `prom-client` is not installed (it is an optional peer dependency). */
  | 'MONITOR_PROM_CLIENT_MISSING';

/**
 * The error `@hivedb/monitor` throws: a `HiveDbError` (so `isHiveDbError` from `@hivedb/pool`
 * recognises it) whose `code` is a `MonitorErrorCode`.
 *
 * @example
 * try { monitor.acknowledgeAlert('alert-9'); }
 * catch (err) { if ((err as MonitorError).code === 'MONITOR_UNKNOWN_ALERT') … }
 */
export class MonitorError extends HiveDbError {
  declare readonly code: MonitorErrorCode;

  constructor(code: MonitorErrorCode, message: string, options: HiveDbErrorOptions = {}) {
    super(code, message, options);
  }
}
