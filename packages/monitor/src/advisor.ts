import { OWN_SQL_MARK } from './collector.js';
import { summarize } from './histogram.js';
import {
  createIndexSql,
  indexColumns,
  type PlanFinding,
  planFinding,
  type StatementColumns,
  statementColumns,
} from './index-advice.js';
import type { Source, Statement } from './source.js';
import { nullParamsFor } from './statement-text.js';
import type { Recommendation } from './types.js';
import type { WindowView } from './view.js';

const PLAN_TTL_MS = 10 * 60_000;
// Process-wide: plan texts must differ across monitors too (a pool's statement cache is shared).
let explained = 0;
const SCHEMA_TOUCH_SQL = `${OWN_SQL_MARK}SELECT count(*) FROM sqlite_schema`;
const EXPLAINABLE = new Set(['SELECT', 'UPDATE', 'DELETE', 'INSERT', 'REPLACE']);
const MIN_CACHE_LOOKUPS = 100;
const LOW_HIT_RATIO = 0.5;
const WAL_GROWTH_SAMPLES = 3;
const WAL_MIN_BYTES = 4 * 1024 * 1024;

interface Plan {
  readonly at: number;
  readonly details: readonly string[];
  readonly findings: readonly PlanFinding[];
  readonly shape: StatementColumns;
  /** Columns of each table the plan scans (empty: not a table, e.g. a CTE). */
  readonly tableColumns: ReadonlyMap<string, readonly string[]>;
}

/** What the advisor needs to know about the monitor's settings. */
export interface AdvisorSettings {
  readonly topStatements: number;
  readonly utilizationThresholdPct: number;
  readonly clock: () => number;
  readonly onError: (where: string, error: unknown) => void;
}

/**
 * Recommendations from evidence: the plans of the statements that cost the most time, pool
 * occupancy and waits, WAL sizes and checkpoints, cache hit ratios.
 */
export class Advisor {
  readonly #settings: AdvisorSettings;
  readonly #plans = new Map<Statement, Plan | { at: number; failed: true }>();

  constructor(settings: AdvisorSettings) {
    this.#settings = settings;
  }

  async recommend(view: WindowView, sources: readonly Source[]): Promise<Recommendation[]> {
    const out: Recommendation[] = [];
    await this.#statementAdvice(view, out);
    for (const source of sources) {
      if (source.isPool) this.#poolAdvice(source, view, out);
      if (source.isStore) this.#storeAdvice(source, view, out);
    }
    return out;
  }

  async #statementAdvice(view: WindowView, out: Recommendation[]): Promise<void> {
    const candidates = [...view.statements]
      .filter(
        ([st, a]) =>
          a.count > 0 &&
          st.sql !== '' &&
          st.source.reader !== undefined &&
          EXPLAINABLE.has(st.operation),
      )
      .sort((x, y) => y[1].totalMs - x[1].totalMs)
      .slice(0, this.#settings.topStatements);
    for (const [st, a] of candidates) {
      const plan = await this.#planOf(st);
      if (plan === undefined) continue;
      const latency = summarize(a.hist, a.count, a.totalMs, a.maxMs)!;
      const evidence = {
        count: a.count,
        totalMs: a.totalMs,
        meanMs: latency.meanMs,
        p95Ms: latency.p95Ms,
        maxMs: latency.maxMs,
        plan: plan.details,
      };
      for (const f of plan.findings) {
        if (f.kind === 'scan') {
          const ref = indexColumns(plan.shape, f.name, undefined);
          const cols = ref === undefined ? undefined : plan.tableColumns.get(ref.table);
          if (ref === undefined || cols === undefined || cols.length === 0) continue;
          const index = indexColumns(plan.shape, f.name, cols)!;
          if (index.columns.length > 0) {
            out.push({
              type: 'index',
              source: st.source.name,
              table: index.table,
              columns: index.columns,
              statement: st.key,
              suggestion: createIndexSql(index.table, index.columns),
              message: `${st.operation} scans all of ${index.table} (${a.count} runs, mean ${latency.meanMs.toFixed(2)} ms): an index on ${index.table}(${index.columns.join(', ')}) would serve its filter`,
              evidence,
            });
          } else {
            out.push({
              type: 'full-scan',
              source: st.source.name,
              table: index.table,
              columns: [],
              statement: st.key,
              message: `${st.operation} reads every row of ${index.table} with no filter an index could serve (${a.count} runs, mean ${latency.meanMs.toFixed(2)} ms): add a WHERE or LIMIT, or keep a summary`,
              evidence,
            });
          }
        } else if (f.for === 'ORDER BY') {
          const order = plan.shape.uses.filter((u) => u.kind === 'order').map((u) => u.column);
          out.push({
            type: 'sort',
            source: st.source.name,
            statement: st.key,
            columns: order,
            message: `${st.operation} sorts its rows in a temporary B-tree for ORDER BY${order.length > 0 ? ` (${order.join(', ')})` : ''}: an index ending in the sort columns returns them in order`,
            evidence,
          });
        }
      }
    }
  }

  async #planOf(st: Statement): Promise<Plan | undefined> {
    const now = this.#settings.clock();
    const cached = this.#plans.get(st);
    if (cached !== undefined && now - cached.at < PLAN_TTL_MS)
      return 'failed' in cached ? undefined : cached;
    const reader = st.source.reader!;
    const params = nullParamsFor(st.sql);
    if (params === null) {
      this.#plans.set(st, { at: now, failed: true });
      return undefined;
    }
    try {
      // EXPLAIN never checks the schema cookie, so SQLite never re-prepares it: a connection
      // that has not read since another one added an index plans with the old schema, and a
      // prepared EXPLAIN kept in a statement cache stays stale for good. So: a real read issued in
      // the same tick (the same read snapshot, with the pool's readers) reloads the schema, and
      // each plan's text is new (a counter in a comment), so it is prepared afresh.
      const [, rows] = await Promise.all([
        reader(SCHEMA_TOUCH_SQL),
        reader(
          `${OWN_SQL_MARK}/* plan ${++explained} */ EXPLAIN QUERY PLAN ${st.sql}`,
          params === undefined ? undefined : params,
        ),
      ]);
      const details = rows.map((r) => String(r.detail ?? ''));
      const findings = details.map(planFinding).filter((f) => f !== undefined);
      const shape = statementColumns(st.sql);
      const tableColumns = new Map<string, readonly string[]>();
      for (const f of findings) {
        if (f.kind !== 'scan') continue;
        const ref = indexColumns(shape, f.name, undefined);
        if (ref === undefined || tableColumns.has(ref.table)) continue;
        const cols = await reader(`${OWN_SQL_MARK}SELECT name FROM pragma_table_info(?)`, [
          ref.table,
        ]);
        tableColumns.set(
          ref.table,
          cols.map((c) => String(c.name)),
        );
      }
      const plan: Plan = { at: now, details, findings, shape, tableColumns };
      this.#plans.set(st, plan);
      return plan;
    } catch (error) {
      this.#plans.set(st, { at: now, failed: true });
      this.#settings.onError('explain', error);
      return undefined;
    }
  }

  #poolAdvice(source: Source, view: WindowView, out: Recommendation[]): void {
    const a = view.pools.get(source);
    const util = source.lastUtilization;
    const threshold = this.#settings.utilizationThresholdPct;
    const waited = a !== undefined && a.peakWaiting > 0;
    if (waited || (util !== undefined && util * 100 >= threshold)) {
      const max = source.gauge?.max;
      const wait = a?.acquireWait.summary();
      const held = a?.held.summary();
      const tx = a?.transactions.summary();
      const longest = Math.max(held?.p95Ms ?? 0, tx?.p95Ms ?? 0);
      out.push({
        type: 'pool-saturation',
        source: source.name,
        message:
          `pool ${source.name} is saturated` +
          (util === undefined
            ? ''
            : `: ${(util * 100).toFixed(0)}% of ${max ?? '?'} connections in use`) +
          (waited ? `, up to ${a!.peakWaiting} callers waited` : '') +
          (wait === undefined ? '' : ` (p95 wait ${wait.p95Ms.toFixed(1)} ms)`) +
          `; raise maxConnections${max === undefined ? '' : ` (now ${max})`} or shorten transactions and leases` +
          (longest > 0 ? ` (p95 held ${longest.toFixed(1)} ms)` : ''),
        evidence: {
          ...(util === undefined ? {} : { utilizationPct: util * 100 }),
          ...(max === undefined ? {} : { maxConnections: max }),
          peakWaiting: a?.peakWaiting ?? 0,
          ...(wait === undefined ? {} : { acquireWaitP95Ms: wait.p95Ms }),
          ...(held === undefined ? {} : { heldP95Ms: held.p95Ms }),
          ...(tx === undefined ? {} : { transactionP95Ms: tx.p95Ms }),
        },
      });
    }
    const wal = source.walSamples.filter((s) => s.at >= view.from);
    const busy = a?.checkpointsBusy ?? 0;
    const tail = wal.slice(-WAL_GROWTH_SAMPLES);
    const growing =
      tail.length === WAL_GROWTH_SAMPLES &&
      tail.every((s, i) => i === 0 || s.bytes > tail[i - 1]!.bytes) &&
      tail[tail.length - 1]!.bytes >= WAL_MIN_BYTES;
    if (busy > 0 || growing) {
      const first = wal[0]?.bytes;
      const last = wal[wal.length - 1]?.bytes;
      out.push({
        type: 'checkpoint-starvation',
        source: source.name,
        message:
          `the WAL of ${source.name} is not being reset` +
          (first !== undefined && last !== undefined ? ` (${mib(first)} → ${mib(last)} MiB)` : '') +
          (busy > 0 ? `; ${busy} checkpoint(s) were blocked by readers or the writer` : '') +
          ': long read snapshots or transactions keep checkpoints from finishing; shorten them',
        evidence: {
          walSamples: wal.map((s) => s.bytes),
          checkpoints: a?.checkpoints ?? 0,
          checkpointsBusy: busy,
        },
      });
    }
    if (a !== undefined)
      cacheAdvice(source.name, 'pool query cache', a.cacheHits, a.cacheMisses, out);
  }

  #storeAdvice(source: Source, view: WindowView, out: Recommendation[]): void {
    const a = view.stores.get(source);
    if (a !== undefined)
      cacheAdvice(source.name, 'store read cache', a.cacheHits, a.cacheMisses, out);
  }
}

function cacheAdvice(
  source: string,
  what: string,
  hits: number,
  misses: number,
  out: Recommendation[],
): void {
  const lookups = hits + misses;
  if (lookups < MIN_CACHE_LOOKUPS) return;
  const ratio = hits / lookups;
  if (ratio >= LOW_HIT_RATIO) return;
  out.push({
    type: 'cache-hit-ratio',
    source,
    message: `the ${what} of ${source} answers ${(ratio * 100).toFixed(0)}% of ${lookups} lookups: entries are invalidated or evicted before reuse; cache only hot, rarely written reads, or turn it off`,
    evidence: { hits, misses, hitRatio: ratio },
  });
}

const mib = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);
