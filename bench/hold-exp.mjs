// Diagnostic: time of one autocommit upsert (the write lock's hold) for variants of the schema.
import fs from 'node:fs';
import Database from 'better-sqlite3';
import { SharedMemoryStore } from '@hivedb/store';
import { UPSERT_SQL, upsertParams } from './src/store-sql.mjs';

const dir = fs.mkdtempSync('/tmp/hold-');
const store = await SharedMemoryStore.open({ projectRoot: dir, gcInterval: 0 });
await store.shutdown();
const file = `${dir}/.hive-mind/memory.db`;
function run(label, setup) {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  setup?.(db);
  const up = db.prepare(UPSERT_SQL);
  const v = JSON.stringify({ agent: 'agent-1', step: 1, score: 500, at: Date.now() });
  for (let i = 0; i < 2000; i++) up.get(...upsertParams('task_results', `k${i % 480}`, v, Date.now()));
  const N = 20000;
  const t = [];
  for (let i = 0; i < N; i++) {
    const t0 = performance.now();
    up.get(...upsertParams('task_results', `k${i % 480}`, v, Date.now()));
    t.push(performance.now() - t0);
  }
  t.sort((a, b) => a - b);
  const frames = (fs.statSync(`${file}-wal`).size - 32) / 4120;
  console.log(label.padEnd(40), 'p50', (t[N >> 1] * 1000).toFixed(1), 'µs  p90', (t[Math.floor(N * 0.9)] * 1000).toFixed(1), 'µs  mean', ((t.reduce((a, b) => a + b, 0) / N) * 1000).toFixed(1), 'µs');
  db.close();
}
run('store schema + triggers (as shipped)');
run('no change-log triggers', (db) => {
  db.exec('DROP TRIGGER trg_shared_memory_change_insert; DROP TRIGGER trg_shared_memory_change_update;');
});
run('+ no idx_namespace_type/last_accessed', (db) => {
  db.exec('DROP INDEX idx_namespace_type; DROP INDEX idx_last_accessed_desc;');
});
const d2 = fs.mkdtempSync('/tmp/hold-');
const store2 = await SharedMemoryStore.open({ projectRoot: d2, gcInterval: 0 });
await store2.shutdown();
const f2 = `${d2}/.hive-mind/memory.db`;
{
  const db = new Database(f2);
  db.exec(`DROP INDEX idx_memory_changes_at;
  CREATE TABLE mc2 (seq INTEGER PRIMARY KEY, namespace TEXT NOT NULL, key TEXT NOT NULL, op TEXT NOT NULL, version INTEGER, at INTEGER NOT NULL);
  DROP TRIGGER trg_shared_memory_change_insert; DROP TRIGGER trg_shared_memory_change_update;
  CREATE TRIGGER t1 AFTER INSERT ON shared_memory BEGIN INSERT INTO mc2 (namespace, key, op, version, at) VALUES (new.namespace, new.key, 'set', coalesce(new.version, 1), new.updated_at); END;
  CREATE TRIGGER t2 AFTER UPDATE OF value ON shared_memory BEGIN INSERT INTO mc2 (namespace, key, op, version, at) VALUES (new.namespace, new.key, 'set', coalesce(new.version, 1), new.updated_at); END;`);
  db.close();
}
fs.copyFileSync(f2, file + '.x');
fs.rmSync(file + '-wal', { force: true }); fs.rmSync(file + '-shm', { force: true });
fs.renameSync(file + '.x', file);
run('change log without AUTOINCREMENT and idx_at');
run('  ... and no idx_namespace_type/last_accessed', (db) => db.exec('DROP INDEX idx_namespace_type; DROP INDEX idx_last_accessed_desc;'));
