// Run by scripts/check-packaging.mjs inside a scratch npm project (package.json without "type")
// where the packed @hivedb/pool tarball was installed: an ES module consumer, `import`ing it.
//   node esm-consumer.mjs <data-folder>
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import * as hivedbPool from '@hivedb/pool';

const dataDir = process.argv[2];
assert.ok(dataDir, 'usage: node esm-consumer.mjs <data-folder>');
const tmpdir = join(dataDir, 'esm');
mkdirSync(tmpdir, { recursive: true });

if (typeof hivedbPool.createPool === 'function') {
  const pool = hivedbPool.createPool({ filename: 'consumer.db', root: tmpdir });
  await pool.run('CREATE TABLE t(x)');
  await pool.run('INSERT INTO t VALUES (?)', [42]);
  const row = await pool.get('SELECT x FROM t');
  await pool.close();
  assert.equal(row?.x, 42);
  console.log(`esm import, createPool path: SELECT x FROM t -> ${row.x}`);
} else {
  // @hivedb/pool does not export createPool yet: prove the install is usable through the native
  // dependency it brought along, resolved the way this consumer project resolves it.
  assert.equal(typeof hivedbPool.VERSION, 'string', '@hivedb/pool exports VERSION as a string');
  const Database = createRequire(import.meta.url)('better-sqlite3');
  const db = new Database(join(tmpdir, 'consumer.db'));
  db.exec('CREATE TABLE t(x)');
  db.prepare('INSERT INTO t VALUES (?)').run(42);
  const row = db.prepare('SELECT x FROM t').get();
  db.close();
  assert.equal(row?.x, 42);
  console.log(
    `esm import, fallback path (no createPool export yet): @hivedb/pool VERSION ${hivedbPool.VERSION}, ` +
      `better-sqlite3 from the consumer project: SELECT x FROM t -> ${row.x}`,
  );
}
