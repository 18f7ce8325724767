// @hivedb/pool against bare better-sqlite3: point reads and inserts (issue 3's targets).
import path from 'node:path';
import { createPool } from '@hivedb/pool';
import { makeIds, makeValues, openBare, readPragmas, seedKv, VALUE_BYTES } from '../data.mjs';

const READ_SQL = 'SELECT v FROM kv WHERE id = ?';
const INSERT_SQL = 'INSERT INTO ins(v) VALUES (?)';

const READS_PER_ITERATION = 1000;
const INSERTS_PER_ITERATION = 100;
const CONCURRENT = 64;
const CONCURRENT_GROUPS_PER_ITERATION = 4;
const TX_ROWS = 1000;

const ID_MASK = (1 << 16) - 1;
const VALUE_MASK = 4095;

async function pragmasOf(pool, mode) {
  const lease = await pool.acquire({ mode });
  try {
    return readPragmas(lease.raw);
  } finally {
    lease.release();
  }
}

/** Throws when a pool still holds a connection (an open read snapshot, a transaction). */
function assertPoolIdle(pool, label) {
  const s = pool.stats();
  if (s.leased !== 0 || s.writer.busy || s.writer.queued !== 0) {
    throw new Error(
      `${label}: pool not idle before a run (leased ${s.leased}, writer busy ${s.writer.busy}, queued ${s.writer.queued})`,
    );
  }
}

/**
 * Opens one file for a group: the pools first (the writer sets WAL), then the bare twin's
 * connection with the pool writer's pragmas, then the 100k-row `kv` table.
 */
async function openGroupFile(dir, filename, poolOptions) {
  const pools = poolOptions.map((o) => createPool({ filename, root: dir, ...o }));
  const writerPragmas = await pragmasOf(pools[0], 'write');
  const bare = openBare(path.join(dir, filename), writerPragmas);
  seedKv(bare);
  bare.exec('CREATE TABLE IF NOT EXISTS ins(id INTEGER PRIMARY KEY, v TEXT NOT NULL)');
  const pragmas = {
    bare: readPragmas(bare),
    poolWriter: await pragmasOf(pools[0], 'write'),
    poolReader: await pragmasOf(pools[0], 'read'),
  };
  for (const key of ['journal_mode', 'synchronous', 'cache_size', 'mmap_size', 'temp_store']) {
    if (String(pragmas.bare[key]) !== String(pragmas.poolWriter[key])) {
      throw new Error(
        `pragma ${key} differs: bare ${pragmas.bare[key]}, pool ${pragmas.poolWriter[key]}`,
      );
    }
  }
  return { pools, bare, pragmas };
}

/** Sequential awaited point reads: `pool.get` (with and without read snapshots) vs `stmt.get`. */
async function openReads(dir) {
  const { pools, bare, pragmas } = await openGroupFile(dir, 'pool-reads.db', [
    {},
    { snapshotWindowMs: 0 },
  ]);
  const [snapPool, plainPool] = pools;
  const ids = makeIds(ID_MASK + 1);
  const stmt = bare.prepare(READ_SQL);

  // Both twins check every row they read (a missing row would throw on `.v`), and count bytes.
  const bytes = { hivedb: 0, bare: 0 };
  const expected = { hivedb: 0, bare: 0 };

  // Sanity: the pool returns what a bare read returns.
  for (let i = 0; i < 100; i++) {
    const a = await snapPool.get(READ_SQL, [ids[i]]);
    const b = await plainPool.get(READ_SQL, [ids[i]]);
    const c = stmt.get(ids[i]);
    if (a.v !== c.v || b.v !== c.v) throw new Error(`pool and bare disagree on id ${ids[i]}`);
  }

  const bareRead = {
    ops: READS_PER_ITERATION,
    code: 'await stmt.get(id)',
    fn: async () => {
      let j = 0;
      for (let k = 0; k < READS_PER_ITERATION; k++) {
        const row = await stmt.get(ids[j++ & ID_MASK]);
        bytes.bare += row.v.length;
      }
      expected.bare += READS_PER_ITERATION * VALUE_BYTES;
    },
  };
  const poolRead = (pool) => ({
    ops: READS_PER_ITERATION,
    code: `await pool.get('${READ_SQL}', [id])`,
    fn: async () => {
      let j = 0;
      for (let k = 0; k < READS_PER_ITERATION; k++) {
        const row = await pool.get(READ_SQL, [ids[j++ & ID_MASK]]);
        bytes.hivedb += row.v.length;
      }
      expected.hivedb += READS_PER_ITERATION * VALUE_BYTES;
    },
  });

  const common = (pool) => ({
    group: 'pool',
    unit: 'reads/s',
    assertIdle: () => {
      for (const p of pools) assertPoolIdle(p, 'reads');
    },
    verify: (side) => {
      if (bytes[side] !== expected[side])
        throw new Error(`${side}: read ${bytes[side]} bytes, expected ${expected[side]}`);
    },
    counters: () => pool.stats().counters,
    diagnose: (a, b) => {
      const reads = b.queries - a.queries;
      const snapshots = b.snapshots - a.snapshots;
      return { reads, snapshots, readsPerSnapshot: snapshots > 0 ? reads / snapshots : null };
    },
  });

  return {
    pragmas,
    cases: [
      {
        id: 'pool.get.snapshots',
        name: 'point read, sequential awaited, read snapshots on (snapshotWindowMs 1)',
        target: 2,
        hivedb: poolRead(snapPool),
        bare: bareRead,
        ...common(snapPool),
      },
      {
        id: 'pool.get.window0',
        name: 'point read, sequential awaited, snapshotWindowMs 0',
        target: 0.8,
        hivedb: poolRead(plainPool),
        bare: bareRead,
        ...common(plainPool),
      },
    ],
    close: async () => {
      for (const p of pools) await p.close();
      bare.close();
    },
  };
}

/**
 * Inserts into `ins` (emptied before every run, so each run of either twin starts from the same
 * table), beside the same 100k-row `kv`.
 */
async function openWrites(dir) {
  const { pools, bare, pragmas } = await openGroupFile(dir, 'pool-writes.db', [{}]);
  const [pool] = pools;
  const values = makeValues(VALUE_MASK + 1, 4);
  const insert = bare.prepare(INSERT_SQL);
  const inserted = { hivedb: 0, bare: 0 };
  const count = bare.prepare('SELECT count(*) FROM ins').pluck();
  const checkpoint = bare.prepare('PRAGMA wal_checkpoint(TRUNCATE)');
  const checkpointBusy = { hivedb: 0, bare: 0 };

  const common = {
    group: 'pool',
    unit: 'rows/s',
    reset: (side) => {
      bare.exec('DELETE FROM ins');
      // Every run starts with an empty WAL; busy means a reader still held a snapshot.
      const r = checkpoint.get();
      if (r.busy !== 0) checkpointBusy[side]++;
      inserted[side] = 0;
    },
    assertIdle: () => assertPoolIdle(pool, 'writes'),
    // Every row a twin was told was inserted is in the table, seen from another connection.
    verify: (side) => {
      const n = count.get();
      if (n !== inserted[side])
        throw new Error(`${side}: ${n} rows in ins, ${inserted[side]} inserts resolved`);
    },
    counters: () => pool.stats().counters,
    diagnose: (a, b) => {
      const commits = b.groupCommits - a.groupCommits;
      const grouped = b.groupedWrites - a.groupedWrites;
      return {
        groupCommits: commits,
        groupedWrites: grouped,
        writesPerGroup: commits > 0 ? grouped / commits : null,
        transactions: b.transactions.committed - a.transactions.committed,
      };
    },
  };

  const bareInsertAsync = async (v) => insert.run(v);
  const bareTx = bare.transaction((start) => {
    for (let k = 0; k < TX_ROWS; k++) insert.run(values[(start + k) & VALUE_MASK]);
  });

  let j = 0;
  const cases = [
    {
      id: 'pool.run.autocommit',
      name: 'insert one at a time, awaited (autocommit)',
      target: 0.85,
      hivedb: {
        ops: INSERTS_PER_ITERATION,
        code: `await pool.run('${INSERT_SQL}', [v])`,
        fn: async () => {
          for (let k = 0; k < INSERTS_PER_ITERATION; k++) {
            await pool.run(INSERT_SQL, [values[j++ & VALUE_MASK]]);
            inserted.hivedb++;
          }
        },
      },
      bare: {
        ops: INSERTS_PER_ITERATION,
        code: 'await stmt.run(v)',
        fn: async () => {
          for (let k = 0; k < INSERTS_PER_ITERATION; k++) {
            await insert.run(values[j++ & VALUE_MASK]);
            inserted.bare++;
          }
        },
      },
    },
    {
      id: 'pool.run.concurrent64',
      name: '64 concurrent inserts, awaited together (rows/s)',
      target: 4,
      hivedb: {
        ops: CONCURRENT * CONCURRENT_GROUPS_PER_ITERATION,
        code: `await Promise.all(64 × pool.run('${INSERT_SQL}', [v]))`,
        fn: async () => {
          const ps = new Array(CONCURRENT);
          for (let g = 0; g < CONCURRENT_GROUPS_PER_ITERATION; g++) {
            for (let k = 0; k < CONCURRENT; k++)
              ps[k] = pool.run(INSERT_SQL, [values[j++ & VALUE_MASK]]);
            await Promise.all(ps);
            inserted.hivedb += CONCURRENT;
          }
        },
      },
      bare: {
        ops: CONCURRENT * CONCURRENT_GROUPS_PER_ITERATION,
        code: 'await Promise.all(64 × (async () => stmt.run(v))())',
        fn: async () => {
          const ps = new Array(CONCURRENT);
          for (let g = 0; g < CONCURRENT_GROUPS_PER_ITERATION; g++) {
            for (let k = 0; k < CONCURRENT; k++) ps[k] = bareInsertAsync(values[j++ & VALUE_MASK]);
            await Promise.all(ps);
            inserted.bare += CONCURRENT;
          }
        },
      },
    },
    {
      id: 'pool.transaction.1000',
      name: '1000 inserts in one transaction (rows/s)',
      target: 0.9,
      hivedb: {
        ops: TX_ROWS,
        code: 'await pool.transaction((tx) => { 1000 × tx.run(INSERT, [v]) })',
        fn: async () => {
          const start = j;
          j += TX_ROWS;
          await pool.transaction((tx) => {
            for (let k = 0; k < TX_ROWS; k++)
              tx.run(INSERT_SQL, [values[(start + k) & VALUE_MASK]]);
          });
          inserted.hivedb += TX_ROWS;
        },
      },
      bare: {
        ops: TX_ROWS,
        code: 'await db.transaction(() => { 1000 × stmt.run(v) })()',
        fn: async () => {
          const start = j;
          j += TX_ROWS;
          await bareTx(start);
          inserted.bare += TX_ROWS;
        },
      },
    },
  ].map((c) => ({ ...common, ...c }));

  return {
    pragmas,
    cases,
    extra: () => ({ checkpointBusy }),
    close: async () => {
      await pool.close();
      bare.close();
    },
  };
}

/** The pool's case groups, each on its own file in `dir`. */
export const poolGroups = [
  { name: 'pool reads', open: openReads },
  { name: 'pool writes', open: openWrites },
];
