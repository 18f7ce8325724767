// Opens (and closes) a pool of the built package on <root>/<filename>, then prints one JSON line:
// { opened } or { code, message, causeCode }. Run with a timeout: a hang is the failure it catches.
// Usage: node open-root.mjs <root> <filename> [readonly]
import { createPool } from '@hivedb/pool';

const [root, filename, readonly] = process.argv.slice(2);
try {
  const pool = createPool({ root, filename, readonly: readonly === 'readonly' });
  await pool.close();
  console.log(JSON.stringify({ opened: pool.filename }));
} catch (err) {
  console.log(
    JSON.stringify({ code: err.code, message: err.message, causeCode: err.cause?.code ?? null }),
  );
}
