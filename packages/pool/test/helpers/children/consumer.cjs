// Requires the built package by its name, as a CommonJS consumer would, and uses it.
const { createPool, isHiveDbError } = require('@hivedb/pool');

const [root] = process.argv.slice(2);
(async () => {
  const pool = createPool({ root, filename: 'cjs.db' });
  await pool.run('CREATE TABLE t (v TEXT)');
  await pool.run("INSERT INTO t (v) VALUES ('from cjs')");
  const row = await pool.get('SELECT v FROM t');
  const closedErr = await (async () => {
    await pool.close();
    return pool.get('SELECT 1').catch((e) => e);
  })();
  process.stdout.write(
    `${JSON.stringify({ row, closed: isHiveDbError(closedErr) && closedErr.code })}\n`,
  );
})();
