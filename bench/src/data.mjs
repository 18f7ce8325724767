// The data every case group shares: the same rows, the same values, the same read order.
import Database from 'better-sqlite3';

export const ROWS = 100_000;
export const VALUE_BYTES = 100;

/** A small deterministic PRNG (mulberry32), so both twins and every run see the same data. */
export function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ALPHABET = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 -_';

/** `n` distinct ASCII strings of `VALUE_BYTES` bytes each. */
export function makeValues(n, seed = 1) {
  const rnd = prng(seed);
  const out = new Array(n);
  for (let i = 0; i < n; i++) {
    let s = '';
    for (let k = 0; k < VALUE_BYTES; k++) s += ALPHABET[Math.floor(rnd() * ALPHABET.length)];
    out[i] = s;
  }
  return out;
}

/** `n` (a power of two) random ids in 1..ROWS. */
export function makeIds(n, seed = 2) {
  const rnd = prng(seed);
  const ids = new Int32Array(n);
  for (let i = 0; i < n; i++) ids[i] = 1 + Math.floor(rnd() * ROWS);
  return ids;
}

/**
 * The pragmas a bare twin copies from the pool's writer, so both sides run with the same
 * settings. journal_mode is per file (the pool's writer sets WAL).
 */
export const COMPARED_PRAGMAS = [
  'journal_mode',
  'synchronous',
  'foreign_keys',
  'busy_timeout',
  'cache_size',
  'mmap_size',
  'temp_store',
  'journal_size_limit',
  'wal_autocheckpoint',
  'locking_mode',
];

export function readPragmas(db) {
  const out = {};
  for (const name of COMPARED_PRAGMAS) out[name] = db.pragma(name, { simple: true });
  return out;
}

/** Opens the bare twin's connection on `path` with the given pragmas (those of the pool's writer). */
export function openBare(path, pragmas) {
  const db = new Database(path);
  for (const name of COMPARED_PRAGMAS) {
    if (name === 'journal_mode' || name === 'locking_mode') continue;
    db.pragma(`${name} = ${pragmas[name]}`);
  }
  const mode = String(db.pragma('journal_mode = WAL', { simple: true })).toLowerCase();
  if (mode !== 'wal') throw new Error(`bare connection: journal_mode is ${mode}, not wal`);
  return db;
}

/** Creates `kv(id INTEGER PRIMARY KEY, v TEXT)` with ROWS rows of VALUE_BYTES-byte values. */
export function seedKv(db) {
  db.exec('CREATE TABLE IF NOT EXISTS kv(id INTEGER PRIMARY KEY, v TEXT NOT NULL)');
  if (db.prepare('SELECT count(*) FROM kv').pluck().get() === ROWS) return;
  db.exec('DELETE FROM kv');
  const values = makeValues(4096, 3);
  const insert = db.prepare('INSERT INTO kv(id, v) VALUES (?, ?)');
  db.transaction(() => {
    for (let id = 1; id <= ROWS; id++) insert.run(id, values[id & 4095]);
  })();
  db.pragma('wal_checkpoint(TRUNCATE)');
}
