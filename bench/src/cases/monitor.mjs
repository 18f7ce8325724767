// @hivedb/monitor's cost: point reads through a pool with the monitor attached against the same
// reads through a pool of the same file with nothing attached (issue 8's target: ≥ 0.95×).
import path from 'node:path';
import Database from 'better-sqlite3';
import { PerformanceMonitor } from '@hivedb/monitor';
import { createPool } from '@hivedb/pool';
import { makeIds, seedKv, VALUE_BYTES } from '../data.mjs';

const READ_SQL = 'SELECT v FROM kv WHERE id = ?';
const READS_PER_ITERATION = 1000;
const ID_MASK = (1 << 16) - 1;

/** Throws when a pool still holds a connection (an open read snapshot, a transaction). */
function assertPoolIdle(pool, label) {
  const s = pool.stats();
  if (s.leased !== 0 || s.writer.busy || s.writer.queued !== 0) {
    throw new Error(`${label}: pool not idle before a run (leased ${s.leased})`);
  }
}

async function openMonitorReads(dir, quick) {
  const filename = 'monitor-reads.db';
  const seed = createPool({ filename, root: dir });
  await seed.run('SELECT 1'); // the writer sets WAL
  await seed.close();
  const bare = new Database(path.join(dir, filename));
  seedKv(bare);
  bare.close();

  // Five pools on one file: nothing attached; a monitor with its defaults (sampled timing through
  // the pool's query:batch, no persistence); a monitor writing samples to hive.db (sampleRate
  // 0.01); a monitor timing every statement (queryTiming 'exact', the pool's query event); a
  // no-op `query` listener, which is what the pool's per-statement event costs whoever listens.
  const plain = createPool({ filename, root: dir });
  const watched = createPool({ filename, root: dir });
  const persisted = createPool({ filename, root: dir });
  const exact = createPool({ filename, root: dir });
  const noop = createPool({ filename, root: dir });
  const monitor = new PerformanceMonitor();
  monitor.attachPool(watched);
  await monitor.start();
  const exactMonitor = new PerformanceMonitor({ queryTiming: 'exact' });
  exactMonitor.attachPool(exact);
  await exactMonitor.start();
  const persisting = new PerformanceMonitor({ persistence: { filename: 'hive.db', root: dir } });
  persisting.attachPool(persisted);
  await persisting.start();
  noop.events.on('query', () => {});
  const pools = [plain, watched, persisted, exact, noop];

  const ids = makeIds(ID_MASK + 1);
  const bytes = new Map(pools.map((p) => [p, 0]));
  const expected = new Map(pools.map((p) => [p, 0]));
  const reads = (pool) => ({
    ops: READS_PER_ITERATION,
    code: `await pool.get('${READ_SQL}', [id])`,
    fn: async () => {
      let j = 0;
      let n = 0;
      for (let k = 0; k < READS_PER_ITERATION; k++) {
        const row = await pool.get(READ_SQL, [ids[j++ & ID_MASK]]);
        n += row.v.length;
      }
      bytes.set(pool, bytes.get(pool) + n);
      expected.set(pool, expected.get(pool) + READS_PER_ITERATION * VALUE_BYTES);
    },
  });
  const twin = (pool, code) => ({ ...reads(pool), code: `${code}; ${reads(pool).code}` });
  const common = (watchedPool) => ({
    group: 'monitor',
    unit: 'reads/s',
    assertIdle: () => {
      for (const p of pools) assertPoolIdle(p, 'monitor reads');
    },
    verify: (side) => {
      const p = side === 'bare' ? plain : watchedPool;
      if (bytes.get(p) !== expected.get(p))
        throw new Error(`${side}: read ${bytes.get(p)} bytes, expected ${expected.get(p)}`);
    },
  });

  return {
    pragmas: {},
    cases: [
      {
        id: 'monitor.get.attached',
        name: 'point read, sequential awaited, monitor attached (defaults) vs nothing attached',
        target: 0.95,
        hivedb: twin(watched, 'monitor.attachPool(pool)'),
        bare: twin(plain, 'nothing attached'),
        ...common(watched),
      },
      {
        id: 'monitor.get.persisting',
        name: 'point read, monitor attached and persisting 1% of samples to hive.db, vs nothing attached',
        hivedb: twin(persisted, "persistence: { filename: 'hive.db' }"),
        bare: twin(plain, 'nothing attached'),
        ...common(persisted),
      },
      ...(quick
        ? []
        : [
            {
              id: 'monitor.get.exact',
              name: "point read, monitor attached with queryTiming 'exact' (every statement timed), vs nothing attached",
              hivedb: twin(
                exact,
                "new PerformanceMonitor({ queryTiming: 'exact' }).attachPool(pool)",
              ),
              bare: twin(plain, 'nothing attached'),
              ...common(exact),
            },
          ]),
      {
        id: 'monitor.get.noop-listener',
        name: "point read, a no-op 'query' listener (the pool's event alone) vs nothing attached",
        hivedb: twin(noop, "pool.events.on('query', () => {})"),
        bare: twin(plain, 'nothing attached'),
        ...common(noop),
      },
    ],
    extra: () => ({
      monitor: monitor.snapshot().queries.total,
      persisted: persisting.snapshot().persistence,
    }),
    close: async () => {
      await monitor.stop();
      await persisting.stop();
      await exactMonitor.stop();
      for (const p of pools) await p.close();
    },
  };
}

/** The monitor's case group (`--quick` leaves out the 'exact' monitor, a figure for the README). */
export function monitorGroups(quick) {
  return [{ name: 'monitor reads', open: (dir) => openMonitorReads(dir, quick) }];
}
