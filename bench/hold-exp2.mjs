import fs from 'node:fs';
import Database from 'better-sqlite3';
import { SharedMemoryStore } from '@hivedb/store';
import { UPSERT_SQL, upsertParams } from './src/store-sql.mjs';
async function fresh() { const dir = fs.mkdtempSync('/tmp/hold-'); const s = await SharedMemoryStore.open({ projectRoot: dir, gcInterval: 0 }); await s.shutdown(); return `${dir}/.hive-mind/memory.db`; }
function run(label, file, setup) {
  const db = new Database(file); db.pragma('journal_mode = WAL'); db.pragma('synchronous = NORMAL'); setup?.(db);
  const up = db.prepare(UPSERT_SQL); const v = JSON.stringify({ agent: 'agent-1', step: 1, score: 500, at: Date.now() });
  for (let i = 0; i < 3000; i++) up.get(...upsertParams('task_results', `k${i % 480}`, v, Date.now()));
  const N = 30000, t = [];
  const f0 = fs.statSync(`${file}-wal`).size;
  for (let i = 0; i < N; i++) { const t0 = performance.now(); up.get(...upsertParams('task_results', `k${i % 480}`, v, Date.now())); t.push(performance.now() - t0); }
  t.sort((a, b) => a - b);
  console.log(label.padEnd(36), 'p50', (t[N >> 1] * 1000).toFixed(1), 'µs  p90', (t[Math.floor(N * 0.9)] * 1000).toFixed(1), 'µs  mean', ((t.reduce((a, b) => a + b, 0) / N) * 1000).toFixed(1), 'µs');
  db.close();
}
for (let r = 0; r < 2; r++) {
  run('as shipped', await fresh());
  run('no idx_memory_changes_at', await fresh(), (db) => db.exec('DROP INDEX idx_memory_changes_at'));
  run('no AUTOINCREMENT, no idx_at', await fresh(), (db) => db.exec(`DROP INDEX idx_memory_changes_at;
    PRAGMA legacy_alter_table=ON; ALTER TABLE memory_changes RENAME TO mc_old; CREATE TABLE memory_changes (seq INTEGER PRIMARY KEY, namespace TEXT NOT NULL, key TEXT NOT NULL, op TEXT NOT NULL, version INTEGER, at INTEGER NOT NULL); DROP TABLE mc_old;`));
}
