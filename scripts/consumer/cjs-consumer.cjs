// Run by scripts/check-packaging.mjs inside a scratch npm project (package.json without "type")
// where the packed @hivedb/pool tarball was installed: a CommonJS consumer, `require`ing it.
//   node cjs-consumer.cjs <data-folder>
const assert = require('node:assert/strict');
const { mkdirSync } = require('node:fs');
const { join } = require('node:path');
const hivedbPool = require('@hivedb/pool');

async function main() {
  const dataDir = process.argv[2];
  assert.ok(dataDir, 'usage: node cjs-consumer.cjs <data-folder>');
  const tmpdir = join(dataDir, 'cjs');
  mkdirSync(tmpdir, { recursive: true });

  if (typeof hivedbPool.createPool === 'function') {
    const pool = hivedbPool.createPool({ filename: 'consumer.db', root: tmpdir });
    await pool.run('CREATE TABLE t(x)');
    await pool.run('INSERT INTO t VALUES (?)', [42]);
    const row = await pool.get('SELECT x FROM t');
    await pool.close();
    assert.equal(row?.x, 42);
    console.log(`cjs require, createPool path: SELECT x FROM t -> ${row.x}`);
  } else {
    // @hivedb/pool does not export createPool yet: prove the install is usable through the native
    // dependency it brought along, resolved the way this consumer project resolves it.
    assert.equal(typeof hivedbPool.VERSION, 'string', '@hivedb/pool exports VERSION as a string');
    const Database = require('better-sqlite3');
    const db = new Database(join(tmpdir, 'consumer.db'));
    db.exec('CREATE TABLE t(x)');
    db.prepare('INSERT INTO t VALUES (?)').run(42);
    const row = db.prepare('SELECT x FROM t').get();
    db.close();
    assert.equal(row?.x, 42);
    console.log(
      `cjs require, fallback path (no createPool export yet): @hivedb/pool VERSION ${hivedbPool.VERSION}, ` +
        `better-sqlite3 from the consumer project: SELECT x FROM t -> ${row.x}`,
    );
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
