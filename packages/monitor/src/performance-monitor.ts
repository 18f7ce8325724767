import path from 'node:path';
import { EventBus, type EventSource, type Pool, type PoolEvents } from '@hivedb/pool';
import { Advisor } from './advisor.js';
import { evaluateAlerts } from './alert-rules.js';
import { AlertManager } from './alerts.js';
import { type CollectorHost, listenersFor, Sampler } from './collector.js';
import { MonitorError } from './errors.js';
import type { Alert, MonitorEvents, SlowQuery } from './events.js';
import {
  type MonitorOptions,
  type ResolvedMonitorOptions,
  resolveMonitorOptions,
} from './options.js';
import { SampleWriter } from './persistence.js';
import { assertSample, recordSample } from './recorded-sample.js';
import { metricFamilies, renderPrometheus, type MetricFamily } from './prometheus.js';
import { poolReport, queryFigures, storeReport } from './report.js';
import { type Reader, Source } from './source.js';
import type { AttachableBus, MonitoredStoreEvents } from './store-events.js';
import type { PerformanceReport, QuerySample, Recommendation } from './types.js';
import { viewOf, type WindowView } from './view.js';
import { SlidingWindow } from './window.js';

/** Options of `attach`. */
export interface AttachOptions {
  /** The name this bus is reported under. Default: the database file's name (`memory.db`), or `store`. */
  readonly name?: string;
  /**
   * Runs one read-only statement on a reader of the attached database, e.g.
   * `(sql, params) => pool.all(sql, params)`. With it, the slowest statements get an
   * `EXPLAIN QUERY PLAN` (parameters bound as NULL) and index recommendations.
   */
  readonly reader?: Reader;
}

/** A bus the monitor can attach to: a pool's (`pool.events`), a store's (`store.events`), or any with their event names. */
export type MonitoredBus =
  | EventSource<PoolEvents>
  | AttachableBus<PoolEvents>
  | AttachableBus<MonitoredStoreEvents>;

type AnyBus = AttachableBus<Record<string, never>> & {
  on(event: string, listener: (p: never) => void): unknown;
  off(event: string, listener: (p: never) => void): unknown;
};

const DAY_MS = 86_400_000;

/**
 * Watches hivedb through its event buses: query rates, latency percentiles and error rates over a
 * sliding window, slow queries, pool occupancy, transactions, WAL and cache; raises alerts with
 * hysteresis and cooldown; recommends from evidence (query plans, waits, WAL growth); persists
 * samples to `hive.db` in batches; exports Prometheus text. It imports nothing of what it watches
 * beyond `@hivedb/pool`'s public types: everything it knows arrives as an event.
 *
 * @example
 * const monitor = new PerformanceMonitor({ slowQueryThreshold: 200 });
 * monitor.attachPool(pool);                 // or monitor.attach(pool.events, { reader })
 * monitor.events.on('alert', (a) => console.warn(a.message));
 * await monitor.start();
 * // …
 * console.log(await monitor.getPerformanceReport());
 * await monitor.stop();                     // flushes pending samples
 */
export class PerformanceMonitor {
  readonly #bus = new EventBus<MonitorEvents>();
  readonly #opts: ResolvedMonitorOptions;
  readonly #clock: () => number;
  readonly #window: SlidingWindow;
  readonly #sources: Source[] = [];
  readonly #recorded = new Map<string, Source>();
  readonly #detach = new Map<Source, () => void>();
  readonly #alerts: AlertManager;
  readonly #advisor: Advisor;
  readonly #writer: SampleWriter | null;
  readonly #host: CollectorHost;
  readonly #slowLog: SlowQuery[] = [];
  #sampler: Sampler | null = null;
  #recommendations: Recommendation[] = [];
  #nextSourceId = 1;
  #createdAt: number;
  #rotateTimer: NodeJS.Timeout | undefined;
  #cycleTimer: NodeJS.Timeout | undefined;
  #cycling: Promise<void> | undefined;
  #starting: Promise<void> | undefined;
  #stopping: Promise<void> | undefined;
  #warned = false;

  constructor(options: MonitorOptions = {}) {
    this.#opts = resolveMonitorOptions(options);
    const opts = this.#opts;
    this.#clock = opts.clock;
    this.#createdAt = this.#clock();
    this.#window = new SlidingWindow(opts.windowMs, this.#createdAt);
    this.#alerts = new AlertManager(opts.alertCooldownMs, (event, alert) =>
      this.#bus.emit(event, alert),
    );
    this.#advisor = new Advisor({
      topStatements: opts.explainTopStatements,
      utilizationThresholdPct: opts.alertThresholds.connectionPoolUtilization,
      clock: this.#clock,
      onError: (where, error) => this.#internalError(where, error),
    });
    this.#writer =
      opts.persistence === null
        ? null
        : new SampleWriter(
            opts.persistence,
            this.#clock,
            (where, error) => this.#internalError(where, error),
            (rows, durationMs) => {
              if (this.#bus.listening('flush')) this.#bus.emit('flush', { rows, durationMs });
            },
            (pool, transactionId) => {
              for (const s of this.#sources)
                if (s.bus === pool.events) s.ownTransactions.add(transactionId);
            },
          );
    const window = this.#window;
    this.#host = {
      window,
      clock: this.#clock,
      slowQueryThreshold: opts.slowQueryThreshold,
      queryTiming: opts.queryTiming,
      tick: () => window.rotate(this.#clock()),
      slowQuery: (q) => this.#slowQuery(q),
      sampler: () => this.#sampler,
      learnPool: (source, poolId, filename) => {
        source.isPool = true;
        source.poolId = poolId;
        source.filename = filename;
        if (!source.named) source.name = this.#uniqueName(source, path.basename(filename));
      },
      learnStore: (source) => {
        source.isStore = true;
        if (!source.named && !source.isPool) source.name = this.#uniqueName(source, 'store');
      },
      internalError: (where, error) => this.#internalError(where, error),
    };
  }

  /** The monitor's events: `alert`, `alert:resolved`, `slow-query`, `flush`, `error`. */
  get events(): EventSource<MonitorEvents> {
    return this.#bus;
  }

  /** The options in force, defaults applied. */
  get options(): ResolvedMonitorOptions {
    return this.#opts;
  }

  /**
   * Subscribes to a bus (a pool's, a store's, or any with their event names) and returns a
   * function that unsubscribes. Several pools and stores may be attached at once; each is
   * reported under its own name.
   */
  attach(bus: MonitoredBus, options: AttachOptions = {}): () => void {
    return this.#attach(bus, options, undefined);
  }

  #attach(bus: MonitoredBus, options: AttachOptions, pool: Pool | undefined): () => void {
    this.#assertOpen('attach');
    const b = bus as unknown as AnyBus;
    if (
      b === null ||
      typeof b !== 'object' ||
      typeof b.on !== 'function' ||
      typeof b.off !== 'function'
    )
      throw new MonitorError(
        'MONITOR_INVALID_ARGUMENT',
        "attach(bus): bus must have on() and off() (a pool's or a store's `events`)",
      );
    if (options.reader !== undefined && typeof options.reader !== 'function')
      throw new MonitorError(
        'MONITOR_INVALID_ARGUMENT',
        'attach(bus, { reader }): reader must be a function (sql, params) => rows',
      );
    if (
      options.name !== undefined &&
      (typeof options.name !== 'string' || options.name.length === 0)
    )
      throw new MonitorError(
        'MONITOR_INVALID_ARGUMENT',
        'attach(bus, { name }): name must be a non-empty string',
      );
    const id = this.#nextSourceId++;
    const source = new Source(id, undefined, options.reader, this.#opts.maxStatements);
    if (options.name !== undefined) {
      source.name = this.#uniqueName(source, options.name);
      source.named = true;
    } else source.name = `bus-${id}`;
    source.bus = bus;
    if (pool !== undefined) {
      // Known to be a pool before its first event: reported (as idle) from the start.
      source.isPool = true;
      source.filename = pool.filename;
    }
    this.#sources.push(source);
    const listeners = listenersFor(this.#host, source);
    for (const [event, fn] of listeners) b.on(event, fn);
    let attached = true;
    const detach = () => {
      if (!attached) return;
      attached = false;
      // The statements the pool has counted but not yet delivered are this monitor's too.
      this.#flushBus(source);
      for (const [event, fn] of listeners) b.off(event, fn);
      source.detached = true;
      this.#detach.delete(source);
    };
    this.#detach.set(source, detach);
    this.#startRotation();
    return detach;
  }

  /**
   * Attaches a pool's events, named after its file, with the pool's readers for `EXPLAIN QUERY
   * PLAN` (the monitor's own statements there are marked and not counted).
   */
  attachPool(pool: Pool, options: AttachOptions = {}): () => void {
    return this.#attach(
      pool.events,
      {
        name: options.name ?? path.basename(pool.filename),
        reader: options.reader ?? ((sql, params) => pool.all(sql, params)),
      },
      pool,
    );
  }

  /**
   * Starts the monitoring cycle (every `monitoringInterval`) and, with `persistence`, opens and
   * migrates `hive.db` and starts writing samples. Idempotent. Every timer is unref'd.
   */
  start(): Promise<void> {
    this.#assertOpen('start');
    this.#starting ??= this.#start();
    return this.#starting;
  }

  async #start(): Promise<void> {
    if (this.#writer !== null) {
      // Migrating hive.db is the monitor's own work: not counted on a bus of the same pool.
      const pool = this.#opts.persistence!.pool;
      const own = this.#sources.filter((s) => pool !== null && s.bus === pool.events);
      // Batched statements are delivered before and after, so the migration's are exactly those
      // delivered while suspended.
      for (const s of own) {
        this.#flushBus(s);
        s.suspended++;
      }
      try {
        await this.#writer.open();
      } finally {
        for (const s of own) {
          this.#flushBus(s);
          s.suspended--;
        }
      }
      const writer = this.#writer;
      this.#sampler = new Sampler(this.#opts.persistence!.sampleRate, (s) => writer.push(s));
    }
    this.#startRotation();
    const interval = this.#opts.monitoringInterval;
    if (interval > 0 && this.#stopping === undefined) {
      this.#cycleTimer = setInterval(() => {
        void this.runCycle();
      }, interval);
      this.#cycleTimer.unref();
    }
  }

  /**
   * Stops every timer, detaches from every bus, writes the pending samples and closes the pool
   * the monitor opened for them. Idempotent. Reports and the Prometheus export still answer
   * afterwards; `attach`, `start`, `recordQueryPerformance` and `raiseAlert` throw `MONITOR_CLOSED`.
   */
  stop(): Promise<void> {
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  async #stop(): Promise<void> {
    if (this.#cycleTimer !== undefined) clearInterval(this.#cycleTimer);
    if (this.#rotateTimer !== undefined) clearInterval(this.#rotateTimer);
    this.#cycleTimer = undefined;
    this.#rotateTimer = undefined;
    for (const detach of [...this.#detach.values()]) detach();
    if (this.#starting !== undefined) await this.#starting.catch(() => undefined);
    if (this.#cycling !== undefined) await this.#cycling;
    this.#sampler = null;
    if (this.#writer !== null) await this.#writer.close();
  }

  /**
   * Records a sample that did not come through a bus (the seed's method): it counts in the
   * metrics like a query (under `sample.source`, default `'recorded'`), and with persistence it is
   * always written.
   */
  recordQueryPerformance(sample: QuerySample): void {
    this.#assertOpen('recordQueryPerformance');
    assertSample(sample);
    const name = sample.source ?? 'recorded';
    let source = this.#recorded.get(name);
    if (source === undefined) {
      source = new Source(this.#nextSourceId++, undefined, undefined, this.#opts.maxStatements);
      source.name = this.#uniqueName(source, name);
      source.named = true;
      this.#recorded.set(name, source);
      this.#sources.push(source);
    }
    const writer = this.#writer;
    recordSample(
      this.#host,
      source,
      sample,
      this.#sampler !== null && writer !== null ? (s) => writer.push(s) : null,
    );
  }

  /**
   * Raises an alert of your own (the seed's method). `details.message`, `details.severity`
   * (`'warning'` or `'critical'`), `details.source`, `details.value` and `details.threshold` are
   * read; the rest is kept as the alert's details. While it is active, raising the same type for
   * the same source updates it (no second `alert` event). It stays active until `resolveAlert(id)`.
   */
  raiseAlert(type: string, details: Readonly<Record<string, unknown>> = {}): Alert {
    this.#assertOpen('raiseAlert');
    if (typeof type !== 'string' || type.length === 0)
      throw new MonitorError(
        'MONITOR_INVALID_ARGUMENT',
        'raiseAlert(type): type must be a non-empty string',
      );
    const { message, severity, source, value, threshold, ...rest } = details;
    return this.#alerts.raiseManual(
      this.#clock(),
      type,
      typeof source === 'string' ? source : 'monitor',
      {
        severity: severity === 'critical' ? 'critical' : 'warning',
        message: typeof message === 'string' ? message : type,
        ...(typeof value === 'number' ? { value } : {}),
        ...(typeof threshold === 'number' ? { threshold } : {}),
      },
      rest,
    );
  }

  /** Marks an alert seen (it stays active until its condition clears). Throws `MONITOR_UNKNOWN_ALERT`. */
  acknowledgeAlert(id: string): Alert {
    return this.#alerts.acknowledge(id, this.#clock());
  }

  /** Resolves an alert now (for alerts raised with `raiseAlert`). Throws `MONITOR_UNKNOWN_ALERT`. */
  resolveAlert(id: string): Alert {
    return this.#alerts.resolve(id, this.#clock());
  }

  /** Alerts active now. */
  activeAlerts(): Alert[] {
    return this.#alerts.active();
  }

  /**
   * One monitoring cycle now: evaluates every alert condition, refreshes recommendations
   * (running `EXPLAIN QUERY PLAN` through attached readers), prunes `hive.db` when due. The
   * timer calls it every `monitoringInterval`; a cycle in progress is joined, not repeated.
   */
  runCycle(): Promise<void> {
    this.#cycling ??= this.#cycle().finally(() => {
      this.#cycling = undefined;
    });
    return this.#cycling;
  }

  async #cycle(): Promise<void> {
    const now = this.#clock();
    const view = this.#view(now);
    evaluateAlerts(view, this.#sources, this.#alerts, this.#opts, now);
    await this.#refreshRecommendations(view);
    const writer = this.#writer;
    if (writer?.pruneDue(now)) {
      try {
        await this.prune();
      } catch (error) {
        this.#internalError('prune', error);
      }
    }
  }

  async #refreshRecommendations(view: WindowView): Promise<void> {
    try {
      this.#recommendations = await this.#advisor.recommend(
        view,
        this.#sources.filter((s) => !s.detached),
      );
    } catch (error) {
      this.#internalError('recommendations', error);
    }
  }

  /** Deletes persisted samples older than `metricsRetentionDays` (by the monitor's clock). Resolves to the rows deleted. */
  async prune(): Promise<number> {
    if (this.#writer === null) return 0;
    return this.#writer.prune(this.#opts.metricsRetentionDays * DAY_MS);
  }

  /** Writes pending samples now (the attached pools' latest statements included). Resolves to the rows written. */
  flush(): Promise<number> {
    this.#flushBuses();
    return this.#writer === null ? Promise.resolve(0) : this.#writer.flush();
  }

  /**
   * The report over the sliding window, with fresh recommendations (the slowest statements'
   * plans are read through the attached readers).
   */
  async getPerformanceReport(): Promise<PerformanceReport> {
    const now = this.#clock();
    await this.#refreshRecommendations(this.#view(now));
    return this.snapshot();
  }

  /** The report without refreshing recommendations (those of the last cycle or report): synchronous. */
  snapshot(): PerformanceReport {
    const now = this.#clock();
    const view = this.#view(now);
    const seconds = Math.max(0.001, (now - view.from) / 1000);
    const sources = this.#sources;
    return {
      generatedAt: now,
      window: { from: view.from, to: now, durationMs: now - view.from },
      queries: queryFigures(view, seconds),
      slowQueries: {
        thresholdMs: this.#opts.slowQueryThreshold,
        total: sources.reduce((n, s) => n + s.slowQueries, 0),
        recent: [...this.#slowLog],
      },
      pools: sources.filter((s) => s.isPool).map((s) => poolReport(s, view)),
      stores: sources.filter((s) => s.isStore).map((s) => storeReport(s, view, seconds)),
      alerts: { active: this.#alerts.active(), recent: this.#alerts.recent() },
      recommendations: [...this.#recommendations],
      ...(this.#writer === null ? {} : { persistence: this.#writer.stats() }),
    };
  }

  /** Every metric as families (name, type, help, samples): what `toPrometheus()` renders. */
  metricFamilies(): MetricFamily[] {
    this.#flushBuses();
    return metricFamilies({
      sources: this.#sources,
      activeAlerts: this.#alerts.active().length,
      persistence: this.#writer?.stats(),
    });
  }

  /** The metrics in the Prometheus text exposition format (version 0.0.4). */
  toPrometheus(): string {
    return renderPrometheus(this.metricFamilies());
  }

  #view(now: number): WindowView {
    this.#flushBuses();
    this.#window.rotate(now);
    // Before the window is full, rates are over the time the monitor has existed.
    const from = Math.max(now - this.#opts.windowMs, this.#createdAt);
    return viewOf(this.#window.inWindow(now), from, now);
  }

  /** Asks every attached pool for the statements it has counted but not delivered yet. */
  #flushBuses(): void {
    for (const source of this.#sources) if (!source.detached) this.#flushBus(source);
  }

  #flushBus(source: Source): void {
    const bus = source.bus as { flush?: unknown } | undefined;
    if (typeof bus?.flush !== 'function') return;
    try {
      (bus.flush as () => void).call(bus);
    } catch (error) {
      this.#internalError('flush of an attached bus', error);
    }
  }

  #slowQuery(q: SlowQuery): void {
    const size = this.#opts.slowQueryLogSize;
    if (size > 0) {
      this.#slowLog.push(q);
      if (this.#slowLog.length > size) this.#slowLog.shift();
    }
    if (this.#bus.listening('slow-query')) this.#bus.emit('slow-query', q);
  }

  #startRotation(): void {
    if (this.#rotateTimer !== undefined || this.#stopping !== undefined) return;
    this.#rotateTimer = setInterval(() => {
      try {
        this.#window.rotate(this.#clock());
      } catch (error) {
        this.#internalError('window', error);
      }
    }, this.#window.bucketMs);
    this.#rotateTimer.unref();
  }

  #uniqueName(source: Source, wanted: string): string {
    const taken = (n: string) => this.#sources.some((s) => s !== source && s.name === n);
    if (!taken(wanted)) return wanted;
    for (let i = 2; ; i++) if (!taken(`${wanted}#${i}`)) return `${wanted}#${i}`;
  }

  #internalError(where: string, error: unknown): void {
    // The monitor never throws into the code it watches: its failures are events.
    if (this.#bus.listening('error')) {
      this.#bus.emit('error', { where, error });
      return;
    }
    if (!this.#warned) {
      this.#warned = true;
      process.emitWarning(
        `the monitor's ${where} failed (${error instanceof Error ? error.message : String(error)}); listen to monitor.events 'error' to see each failure`,
        { code: 'HIVEDB_MONITOR_ERROR' },
      );
    }
  }

  #assertOpen(what: string): void {
    if (this.#stopping !== undefined)
      throw new MonitorError('MONITOR_CLOSED', `${what}: the monitor was stopped`);
  }
}
