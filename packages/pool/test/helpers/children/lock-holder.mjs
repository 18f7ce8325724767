// Holds SQLite's write lock from another process: BEGIN IMMEDIATE, say `ready`, hold, COMMIT.
// Usage: node lock-holder.mjs <db> <holdMs|forever> [exclusive]
// `exclusive`: BEGIN EXCLUSIVE instead; on a database in rollback-journal mode (not WAL) this
// holds SQLite's EXCLUSIVE lock, so that every other connection's read waits for it too.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const Database = require('better-sqlite3');

const [file, hold, mode] = process.argv.slice(2);
const db = new Database(file, { timeout: 10_000 });
db.exec(mode === 'exclusive' ? 'BEGIN EXCLUSIVE' : 'BEGIN IMMEDIATE');
process.stdout.write('ready\n');

if (hold === 'forever') {
  // Keeps the process (and the lock) alive until it is killed.
  setInterval(() => {}, 1 << 30);
} else {
  setTimeout(() => {
    db.exec('COMMIT');
    process.stdout.write(`committed ${Date.now()}\n`);
    db.close();
  }, Number(hold));
}
