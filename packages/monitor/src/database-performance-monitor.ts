import type { DatabaseConnectionManager } from '@hivedb/pool';
import type { MonitorOptions } from './options.js';
import { PerformanceMonitor } from './performance-monitor.js';

/** Options of the seed's facade: the monitor's, and which of the manager's pools is `hive.db`. */
export interface DatabasePerformanceMonitorOptions extends MonitorOptions {
  /**
   * The manager's pool that holds `hive.db`. When it exists and `persistence` is not given,
   * samples are written through it. Default `'hive'`.
   */
  readonly hivePool?: string;
}

function isManager(x: unknown): x is DatabaseConnectionManager {
  return (
    typeof x === 'object' &&
    x !== null &&
    typeof (x as DatabaseConnectionManager).getPool === 'function' &&
    typeof (x as DatabaseConnectionManager).getStats === 'function'
  );
}

/**
 * The seed's `DatabasePerformanceMonitor` (start, recordQueryPerformance, getPerformanceReport,
 * raiseAlert), with its option names and defaults. Given the seed's `DatabaseConnectionManager`,
 * `start()` attaches every pool the manager has (named as in the manager, with its readers for
 * query plans) and, when the manager has a `hive` pool, persists samples through it.
 *
 * @example
 * const manager = new DatabaseConnectionManager({ root: '.hive-mind' });
 * manager.createPool('memory');
 * manager.createPool('hive');
 * const monitor = new DatabasePerformanceMonitor(manager, { slowQueryThreshold: 1000 });
 * await monitor.start();
 * console.log((await monitor.getPerformanceReport()).queries);
 * await monitor.stop();
 */
export class DatabasePerformanceMonitor extends PerformanceMonitor {
  readonly #manager: DatabaseConnectionManager | undefined;

  constructor(options?: DatabasePerformanceMonitorOptions);
  constructor(manager: DatabaseConnectionManager, options?: DatabasePerformanceMonitorOptions);
  constructor(
    first?: DatabaseConnectionManager | DatabasePerformanceMonitorOptions,
    second?: DatabasePerformanceMonitorOptions,
  ) {
    const manager = isManager(first) ? first : undefined;
    const { hivePool = 'hive', ...options } =
      (manager === undefined ? (first as DatabasePerformanceMonitorOptions | undefined) : second) ??
      {};
    const persistence =
      options.persistence === undefined && manager !== undefined && manager.hasPool(hivePool)
        ? { pool: manager.getPool(hivePool) }
        : options.persistence;
    super({ ...options, ...(persistence === undefined ? {} : { persistence }) });
    this.#manager = manager;
  }

  /** Starts monitoring; with a manager, first attaches each of its pools that is not attached yet. */
  override async start(): Promise<void> {
    await super.start();
    const manager = this.#manager;
    if (manager === undefined || this.#attached) return;
    this.#attached = true;
    for (const name of Object.keys(manager.getStats())) {
      this.attachPool(manager.getPool(name), { name });
    }
  }

  #attached = false;
}
