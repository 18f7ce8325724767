// Requires the built package by its name, as a CommonJS consumer would, and offloads a query:
// the CJS build starts dist/offload-worker.cjs.
const { createPool } = require('@hivedb/pool');

const [root] = process.argv.slice(2);
(async () => {
  const pool = createPool({ root, filename: 'cjs-offload.db' });
  await pool.run('CREATE TABLE t (v TEXT)');
  await pool.run("INSERT INTO t (v) VALUES ('from a cjs worker')");
  const row = await pool.get('SELECT v FROM t', [], { offload: true });
  const timeout = await pool
    .get(
      'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 5e7) SELECT count(*) FROM c',
      [],
      { offload: true, timeoutMs: 100 },
    )
    .catch((e) => e.code);
  await pool.close();
  process.stdout.write(`${JSON.stringify({ row, timeout })}\n`);
})();
