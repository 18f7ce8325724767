// Holds a read transaction open on a database (an old snapshot), as a busy reader of another
// process would, and prints "reading"; waits until killed.
// Usage: node reader-holder.mjs <dbFile>
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const Database = require('better-sqlite3');

const db = new Database(process.argv[2]);
db.exec('BEGIN');
db.prepare('SELECT count(*) AS n FROM shared_memory').get();
process.stdout.write('reading\n');
setInterval(() => {}, 1000);
