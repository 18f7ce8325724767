// Runs one statement from another process with its own connection, then exits.
// Usage: node writer.mjs <db> <sql> <json params array>
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const Database = require('better-sqlite3');

const [file, sql, params] = process.argv.slice(2);
const db = new Database(file, { timeout: 10_000 });
const info = db.prepare(sql).run(...JSON.parse(params ?? '[]'));
process.stdout.write(`committed ${Date.now()} ${info.changes}\n`);
db.close();
