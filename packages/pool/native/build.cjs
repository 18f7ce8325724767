#!/usr/bin/env node
// Builds the query-interrupt extension (native/hivedb_interrupt.c → build/Release/hivedb_interrupt.so).
// It is @hivedb/pool's `install` script, and `npm run build:native` in the package.
//
// It never fails the install: whatever goes wrong, it prints ONE warning line and exits 0, and the
// pool then runs without enforced query timeouts (src/interrupt.ts warns once at run time too).
//
// How it builds, without downloading anything:
//   1. node-gyp (binding.gyp), as better-sqlite3 itself is built. node-gyp is the one the package
//      manager provides to lifecycle scripts (npm_config_node_gyp, or `node-gyp` on PATH: npm and
//      pnpm both put their bundled copy there), else an installed `node-gyp` package, else npm's
//      bundled copy beside this Node. node-gyp needs Node's header folder only to configure (the
//      extension itself uses no Node API), and it downloads the headers unless it is given a
//      local one: it is run only with --nodedir set to a folder that exists here
//      (npm_config_nodedir, this Node's own install prefix, or node-gyp's header cache).
//   2. If node-gyp is missing, has no local headers, or fails: one plain C compiler call
//      ($CC or cc) with the same flags.
// Then a smoke test loads the result into an in-memory better-sqlite3 database in a child process.
//
// Environment: HIVEDB_SKIP_NATIVE_BUILD=1 skips the build (the pool then degrades as described);
// HIVEDB_NATIVE_BUILD=node-gyp|cc forces one way (no fallback). The full log of the last build
// is build/hivedb-interrupt-build.log.
'use strict';

const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const PKG = path.resolve(__dirname, '..');
const OUT_DIR = path.join(PKG, 'build', 'Release');
const OUT = path.join(OUT_DIR, 'hivedb_interrupt.so');
const LOG = path.join(PKG, 'build', 'hivedb-interrupt-build.log');
const SOURCE = path.join(PKG, 'native', 'hivedb_interrupt.c');
const TAG = '@hivedb/pool';
const started = Date.now();
const log = [];

function note(line) {
  log.push(line);
}

function writeLog() {
  try {
    fs.mkdirSync(path.dirname(LOG), { recursive: true });
    fs.writeFileSync(LOG, `${log.join('\n')}\n`);
  } catch {
    // The log is a convenience; a read-only folder must not fail the install.
  }
}

function finish(ok, message) {
  writeLog();
  const secs = ((Date.now() - started) / 1000).toFixed(1);
  if (ok) {
    console.log(`${TAG}: ${message} (${secs} s)`);
  } else {
    // One line, on stderr and stdout (npm shows neither by default; pnpm shows both).
    const line =
      `${TAG}: WARNING: query-interrupt extension not built (${message}); ` +
      'queryTimeout will not stop running SQLite statements. See native/README.md' +
      (fs.existsSync(path.dirname(LOG)) ? ` and ${path.relative(process.cwd(), LOG)}` : '') +
      '.';
    console.warn(line);
  }
  process.exit(0);
}

function run(cmd, args, options = {}) {
  note(`$ ${cmd} ${args.join(' ')}`);
  const res = spawnSync(cmd, args, {
    cwd: PKG,
    encoding: 'utf8',
    timeout: 300_000,
    env: options.env ?? process.env,
    shell: false,
  });
  if (res.stdout) note(res.stdout.trimEnd());
  if (res.stderr) note(res.stderr.trimEnd());
  if (res.error) note(`(${res.error.message})`);
  note(`(exit ${res.status}${res.signal ? `, ${res.signal}` : ''})`);
  return res.status === 0 && !res.error;
}

function isFile(p) {
  try {
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

function onPath(name) {
  for (const dir of (process.env.PATH || '').split(path.delimiter)) {
    if (dir && isFile(path.join(dir, name))) return path.join(dir, name);
  }
  return undefined;
}

/** better-sqlite3's deps/sqlite3 folder (sqlite3.h, sqlite3ext.h), resolved from this package. */
function sqliteIncludeDir() {
  try {
    const pkg = require.resolve('better-sqlite3/package.json', { paths: [PKG] });
    const dir = path.join(path.dirname(pkg), 'deps', 'sqlite3');
    return isFile(path.join(dir, 'sqlite3ext.h')) ? dir : undefined;
  } catch {
    return undefined;
  }
}

/** How to run node-gyp: [command, leading args], or undefined. */
function findNodeGyp() {
  const candidates = [];
  const fromEnv = process.env.npm_config_node_gyp;
  if (fromEnv) candidates.push(fromEnv);
  const bin = onPath('node-gyp');
  if (bin) candidates.push(bin);
  try {
    candidates.push(require.resolve('node-gyp/bin/node-gyp.js', { paths: [PKG] }));
  } catch {
    // Not installed as a package; try npm's bundled copy below.
  }
  const prefix = path.resolve(path.dirname(process.execPath), '..');
  candidates.push(
    path.join(
      prefix,
      'lib',
      'node_modules',
      'npm',
      'node_modules',
      'node-gyp',
      'bin',
      'node-gyp.js',
    ),
  );
  for (const c of candidates) {
    if (!isFile(c)) continue;
    return c.endsWith('.js') ? [process.execPath, [c]] : [c, []];
  }
  return undefined;
}

/** A local folder with Node's headers and common.gypi, so that node-gyp downloads nothing. */
function findNodeDir() {
  const ok = (dir) => dir && isFile(path.join(dir, 'include', 'node', 'common.gypi'));
  const fromEnv = process.env.npm_config_nodedir;
  if (ok(fromEnv)) return fromEnv;
  const prefix = path.resolve(path.dirname(process.execPath), '..');
  if (ok(prefix)) return prefix;
  const version = process.versions.node;
  const caches = [
    process.env.npm_config_devdir,
    process.env.XDG_CACHE_HOME && path.join(process.env.XDG_CACHE_HOME, 'node-gyp'),
    path.join(os.homedir(), '.cache', 'node-gyp'),
    path.join(os.homedir(), 'Library', 'Caches', 'node-gyp'),
  ];
  for (const cache of caches) {
    if (cache && ok(path.join(cache, version))) return path.join(cache, version);
  }
  return undefined;
}

function buildWithNodeGyp(include) {
  const gyp = findNodeGyp();
  if (!gyp) return 'node-gyp not found';
  const nodedir = findNodeDir();
  if (!nodedir) return 'no local Node.js headers for node-gyp (it would download them)';
  const [cmd, lead] = gyp;
  // HIVEDB_SQLITE_INCLUDE is informational (binding.gyp resolves the same folder itself).
  const env = { ...process.env, npm_config_nodedir: nodedir, HIVEDB_SQLITE_INCLUDE: include };
  const ok = run(cmd, [...lead, 'rebuild', '--release', `--nodedir=${nodedir}`], { env });
  if (!ok) return 'node-gyp failed';
  return isFile(OUT) ? undefined : `node-gyp produced no ${path.relative(PKG, OUT)}`;
}

function buildWithCc(include) {
  const cc = process.env.CC || 'cc';
  fs.mkdirSync(OUT_DIR, { recursive: true });
  const args = [
    '-std=gnu11',
    '-O2',
    '-fPIC',
    '-shared',
    '-fvisibility=hidden',
    '-pthread',
    '-Wall',
    '-Wextra',
    `-I${include}`,
    SOURCE,
    '-o',
    OUT,
  ];
  if (!run(cc, args)) return `${cc} failed`;
  return isFile(OUT) ? undefined : `${cc} produced no ${path.relative(PKG, OUT)}`;
}

/** Loads the result into :memory: in a child process. Returns undefined when it worked. */
function smokeTest() {
  const script = `
    // better-sqlite3 may not be built yet (npm runs install scripts concurrently): then the
    // extension cannot be tried here, which is not its failure.
    let db;
    try {
      const Database = require(require.resolve('better-sqlite3', { paths: [${JSON.stringify(PKG)}] }));
      db = new Database(':memory:');
    } catch (e) {
      console.log('not smoke-tested (better-sqlite3 not usable yet: ' + String(e.message).split('\\n')[0] + ')');
      process.exit(0);
    }
    db.loadExtension(${JSON.stringify(OUT)}, 'sqlite3_hivedbinterrupt_init');
    db.prepare('SELECT hivedb_deadline_arm(50)').get();
    const t = Date.now();
    try {
      db.prepare('WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c) SELECT count(*) FROM c').get();
      console.log('fail: not interrupted'); process.exit(1);
    } catch (e) { if (e.code !== 'SQLITE_INTERRUPT') { console.log('fail: ' + e.code + ' ' + e.message); process.exit(1); } }
    db.prepare('SELECT hivedb_deadline_disarm()').get();
    db.close();
    console.log('ok: interrupted after ' + (Date.now() - t) + ' ms');
  `;
  note('$ smoke test');
  const res = spawnSync(process.execPath, ['-e', script], {
    cwd: PKG,
    encoding: 'utf8',
    timeout: 30_000,
  });
  const out = `${res.stdout || ''}${res.stderr || ''}`.trim();
  note(out || `(no output, exit ${res.status}${res.signal ? `, ${res.signal}` : ''})`);
  if (res.status === 0 && out.startsWith('ok')) return { ok: true, text: out.slice(4) };
  if (res.status === 0 && out.startsWith('not smoke-tested')) return { ok: true, text: out };
  return { ok: false, text: out.split('\n')[0] || `exit ${res.status} ${res.signal || ''}` };
}

function main() {
  note(
    `${TAG} native build, ${new Date().toISOString()}, node ${process.version}, ${process.platform}-${process.arch}`,
  );
  if (process.env.HIVEDB_SKIP_NATIVE_BUILD && process.env.HIVEDB_SKIP_NATIVE_BUILD !== '0') {
    finish(false, 'HIVEDB_SKIP_NATIVE_BUILD is set');
  }
  if (process.platform === 'win32')
    finish(false, 'Windows is not supported yet (the watchdog uses pthreads)');
  if (!isFile(SOURCE)) finish(false, `${path.relative(PKG, SOURCE)} is missing`);
  const include = sqliteIncludeDir();
  if (!include) finish(false, "better-sqlite3's deps/sqlite3/sqlite3ext.h not found");
  note(`sqlite3ext.h from ${include}`);

  // A stale build must not survive a failed one.
  fs.rmSync(OUT, { force: true });
  const forced = process.env.HIVEDB_NATIVE_BUILD;
  const ways = forced === 'cc' ? ['cc'] : forced === 'node-gyp' ? ['node-gyp'] : ['node-gyp', 'cc'];
  const failures = [];
  let how;
  for (const way of ways) {
    const why = way === 'node-gyp' ? buildWithNodeGyp(include) : buildWithCc(include);
    note(why ? `${way}: ${why}` : `${way}: built ${OUT}`);
    if (!why) {
      how = way;
      break;
    }
    failures.push(`${way}: ${why}`);
  }
  if (!how) finish(false, failures.join('; '));
  const smoke = smokeTest();
  if (!smoke.ok) {
    fs.rmSync(OUT, { force: true });
    finish(false, `built with ${how} but it does not work: ${smoke.text}`);
  }
  const fellBack = failures.length ? ` after ${failures.join('; ')}` : '';
  finish(
    true,
    `built query-interrupt extension ${path.relative(PKG, OUT)} with ${how}${fellBack}; ${smoke.text}`,
  );
}

try {
  main();
} catch (err) {
  note(err?.stack ? err.stack : String(err));
  finish(false, `unexpected error: ${err?.message ? err.message : String(err)}`);
}
