#!/usr/bin/env node
// Packaging checks: what a user gets from the registry, checked before it gets there.
//
//   node scripts/check-packaging.mjs [--keep]     (npm run check:packaging builds first)
//
// For every non-private package under packages/ it packs the tarball with `pnpm pack` (which
// rewrites `workspace:` ranges exactly as publishing does) and checks that tarball with
//   - publint: must be clean, suggestions included (see PUBLINT_IGNORED for the exceptions);
//   - attw (Are The Types Wrong), profile "strict": node10, node16 from CJS, node16 from ESM and
//     bundler resolution must all resolve, with no problem of any kind.
// Then a consumer test: @hivedb/pool's tarball is `npm install`ed into a scratch npm project whose
// package.json has no "type", and an ES module (`import`) and a CommonJS file (`require`) each
// open a database in a temp folder and run a query (scripts/consumer/*).
//
// Every check counts as one test. Results go to test-results/packaging.json as
// `{ passed, failed, checks }` (scripts/test-summary.mjs --extra adds them into CI's totals);
// one line per check is printed and the exit code is 1 when any check failed.
// Temp folders are removed afterwards (--keep leaves them, for debugging).
//
// Speed: the consumer install uses npm's own cache with --prefer-offline, and better-sqlite3's
// native binary is seeded from the workspace's own build when it is the same version for the same
// Node ABI (prebuild-install's documented `local-prebuilds` lookup), which turns a ~60 s node-gyp
// compile into an unpack. Set HIVEDB_CONSUMER_FROM_SOURCE=1 to skip the seed and compile.
import { spawn } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const RESULTS_FILE = join(ROOT, 'test-results', 'packaging.json');
const CONSUMER_PACKAGE = '@hivedb/pool';
const KEEP = process.argv.includes('--keep');

/**
 * publint messages that do not fail the check, each with the reason it does not apply.
 * Keep this empty unless a message is clearly inapplicable to how these packages ship.
 * @type {Record<string, string>}
 */
const PUBLINT_IGNORED = {};

const BIN = join(ROOT, 'node_modules', '.bin');
const TOOLS_BIN = join(ROOT, '.tools', 'node_modules', '.bin');
const PNPM = existsSync(join(TOOLS_BIN, 'pnpm')) ? join(TOOLS_BIN, 'pnpm') : 'pnpm';
const ATTW = join(BIN, 'attw');

/** @typedef {{ name: string, ok: boolean, ms: number, summary: string, details?: string }} Check */
/** @type {Check[]} */
const checks = [];

function log(message) {
  process.stderr.write(`[packaging] ${message}\n`);
}

function record(name, ok, startedAt, summary, details) {
  checks.push({ name, ok, ms: Math.round(performance.now() - startedAt), summary, details });
}

/**
 * The environment for child tools. The outer `npm run` exports its own `npm_config_*` and
 * `npm_package_*` settings (prefix, the root package.json, ...); a nested npm in the scratch
 * project must not inherit the ones that point it back at this repository.
 */
function childEnv(extra = {}) {
  const env = { ...process.env };
  for (const key of Object.keys(env)) {
    const k = key.toLowerCase();
    if (
      k.startsWith('npm_package_') ||
      k.startsWith('npm_lifecycle_') ||
      k === 'npm_config_prefix' ||
      k === 'npm_config_local_prefix' ||
      k === 'npm_config_global_prefix' ||
      k === 'init_cwd'
    ) {
      delete env[key];
    }
  }
  // node-gyp (the fallback build of better-sqlite3) downloads Node's headers unless it is
  // pointed at the system's; do that only where they exist.
  if (!env.npm_config_nodedir && existsSync('/usr/include/node/node.h')) {
    env.npm_config_nodedir = '/usr';
  }
  env.npm_config_update_notifier = 'false';
  env.npm_config_fund = 'false';
  env.npm_config_audit = 'false';
  return { ...env, ...extra };
}

/** Runs a command, collecting its output; never rejects (a spawn error becomes code -1). */
function run(cmd, args, { cwd = ROOT, env = childEnv(), timeoutMs = 120_000 } = {}) {
  return new Promise((resolvePromise) => {
    const started = performance.now();
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    timer.unref();
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    const done = (code, error) => {
      clearTimeout(timer);
      if (timedOut) stderr += `\n(killed after ${timeoutMs / 1000} s)`;
      if (error) stderr += `\n${error.message}`;
      resolvePromise({ code, stdout, stderr, ms: performance.now() - started });
    };
    child.on('error', (error) => done(-1, error));
    child.on('close', (code) => done(timedOut ? -1 : (code ?? -1)));
  });
}

function tail(text, lines = 40) {
  return text.trim().split('\n').slice(-lines).join('\n');
}

function readJson(file) {
  return JSON.parse(readFileSync(file, 'utf8'));
}

/** Non-private packages under packages/, by folder name. */
function publicPackages() {
  const base = join(ROOT, 'packages');
  return readdirSync(base, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(base, d.name, 'package.json')))
    .map((d) => ({
      dir: join(base, d.name),
      manifest: readJson(join(base, d.name, 'package.json')),
    }))
    .filter((p) => !p.manifest.private)
    .sort((a, b) => a.manifest.name.localeCompare(b.manifest.name));
}

/** `pnpm pack` into `dest`; resolves to the tarball's path, or throws with pnpm's output. */
async function pack(pkg, dest) {
  const res = await run(PNPM, ['pack', '--pack-destination', dest, '--json'], { cwd: pkg.dir });
  if (res.code !== 0)
    throw new Error(`pnpm pack failed (exit ${res.code}):\n${tail(res.stderr || res.stdout)}`);
  const start = res.stdout.indexOf('{');
  const info = JSON.parse(res.stdout.slice(start));
  const file = resolve(pkg.dir, info.filename);
  if (!existsSync(file)) throw new Error(`pnpm pack reported ${file}, which does not exist`);
  return file;
}

async function checkPublint(pkg, tarball) {
  const name = `publint ${pkg.manifest.name}`;
  const started = performance.now();
  try {
    if (tarball instanceof Error) throw tarball;
    const { publint } = await import('publint');
    const { formatMessage } = await import('publint/utils');
    const bytes = readFileSync(tarball);
    const result = await publint({
      pack: { tarball: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) },
      level: 'suggestion',
      strict: true,
    });
    const lines = result.messages.map((m) => {
      const text = formatMessage(m, result.pkg, { color: false }) ?? m.code;
      const why = PUBLINT_IGNORED[m.code];
      return `${why ? 'ignored' : m.type} ${m.code}: ${text}${why ? ` (ignored: ${why})` : ''}`;
    });
    const failing = result.messages.filter((m) => !PUBLINT_IGNORED[m.code]);
    const ok = failing.length === 0;
    const summary = ok
      ? `clean${lines.length ? ` (${lines.length} ignored message(s))` : ''}`
      : `${failing.length} message(s)`;
    record(name, ok, started, summary, lines.join('\n') || undefined);
  } catch (err) {
    record(name, false, started, 'could not run', err.message);
  }
}

async function checkAttw(pkg, tarball) {
  const name = `attw ${pkg.manifest.name}`;
  const started = performance.now();
  if (tarball instanceof Error) {
    record(name, false, started, 'could not run', tarball.message);
    return;
  }
  const res = await run(ATTW, [tarball, '--format', 'json', '--profile', 'strict', '--no-color']);
  let report;
  try {
    report = JSON.parse(res.stdout);
  } catch {
    record(
      name,
      false,
      started,
      `attw exited ${res.code} without a report`,
      tail(res.stderr || res.stdout),
    );
    return;
  }
  const problems = Object.values(report.problems ?? report.analysis?.problems ?? {}).flat();
  const entrypoints = report.analysis?.entrypoints ?? {};
  const kinds = new Set();
  const unresolved = [];
  for (const [entry, info] of Object.entries(entrypoints)) {
    for (const [kind, resolution] of Object.entries(info.resolutions ?? {})) {
      kinds.add(kind);
      if (!resolution?.resolution?.fileName) unresolved.push(`${entry} (${kind})`);
    }
  }
  const ok = res.code === 0 && problems.length === 0 && unresolved.length === 0 && kinds.size > 0;
  const summary = ok
    ? `${Object.keys(entrypoints).length} entrypoint(s) resolve under ${[...kinds].join(', ')}`
    : `${problems.length} problem(s) (${[...new Set(problems.map((p) => p.kind))].join(', ')})${unresolved.length ? `, unresolved: ${unresolved.join(', ')}` : ''}`;
  let details;
  if (!ok) {
    // attw's own table explains each problem far better than its JSON; only a failure pays for it.
    const text = await run(ATTW, [
      tarball,
      '--format',
      'ascii',
      '--profile',
      'strict',
      '--no-color',
      '--no-emoji',
    ]);
    details = tail(`${text.stdout}\n${text.stderr}`, 60);
  }
  record(name, ok, started, summary, details);
}

/**
 * Seeds prebuild-install's local-prebuilds folder with the workspace's own better-sqlite3 binary,
 * named the way prebuild-install looks it up. It only matches when the consumer resolves the same
 * version on the same Node ABI, platform and libc; otherwise prebuild-install misses it and the
 * install compiles from source as usual. Returns a note saying what was seeded, or why not.
 */
async function seedBetterSqlitePrebuild(projectDir, prebuildsDir) {
  // biome-ignore lint/suspicious/noUndeclaredEnvVars: this script runs outside turbo (hive.sh packaging).
  if (process.env.HIVEDB_CONSUMER_FROM_SOURCE)
    return 'not seeded (HIVEDB_CONSUMER_FROM_SOURCE set)';
  let pkgDir;
  try {
    const req = createRequire(join(ROOT, 'packages', 'pool', 'package.json'));
    pkgDir = dirname(req.resolve('better-sqlite3/package.json'));
  } catch {
    return 'not seeded (better-sqlite3 is not installed in the workspace)';
  }
  const binary = join(pkgDir, 'build', 'Release', 'better_sqlite3.node');
  if (!existsSync(binary)) return 'not seeded (the workspace has no built better-sqlite3 binary)';
  const glibc =
    process.platform !== 'linux' || process.report?.getReport?.().header?.glibcVersionRuntime;
  if (!glibc) return 'not seeded (non-glibc Linux)';
  const { version } = readJson(join(pkgDir, 'package.json'));
  const file = `better-sqlite3-v${version}-node-v${process.versions.modules}-${process.platform}-${process.arch}.tar.gz`;
  mkdirSync(prebuildsDir, { recursive: true });
  const res = await run('tar', [
    '-czf',
    join(prebuildsDir, file),
    '-C',
    pkgDir,
    'build/Release/better_sqlite3.node',
  ]);
  if (res.code !== 0) return `not seeded (tar failed: ${tail(res.stderr, 3)})`;
  // rc, which prebuild-install reads its settings with, finds this file from the package's folder
  // upwards, so it applies to this project's install only.
  writeFileSync(join(projectDir, '.prebuild-installrc'), `local-prebuilds=${prebuildsDir}\n`);
  return `seeded ${file} from the workspace build`;
}

async function consumerTest(tarball, workDir) {
  const started = performance.now();
  const names = {
    install: `consumer npm install ${CONSUMER_PACKAGE} tarball`,
    esm: `consumer ESM import ${CONSUMER_PACKAGE}`,
    cjs: `consumer CJS require ${CONSUMER_PACKAGE}`,
  };
  const failAll = (why, details) => {
    record(names.install, false, started, why, details);
    record(names.esm, false, started, 'not run (install failed)');
    record(names.cjs, false, started, 'not run (install failed)');
  };
  if (tarball instanceof Error) {
    failAll('could not pack', tarball.message);
    return;
  }
  const projectDir = join(workDir, 'consumer');
  const dataDir = join(workDir, 'data');
  mkdirSync(projectDir, { recursive: true });
  mkdirSync(dataDir, { recursive: true });
  // No "type" field: .mjs is ESM and .cjs is CommonJS by extension, whatever the default.
  writeFileSync(
    join(projectDir, 'package.json'),
    `${JSON.stringify({ name: 'hivedb-consumer-check', version: '0.0.0', private: true }, null, 2)}\n`,
  );
  const seed = await seedBetterSqlitePrebuild(projectDir, join(workDir, 'prebuilds'));
  const install = await run(
    'npm',
    [
      'install',
      tarball,
      '--prefer-offline',
      '--no-audit',
      '--no-fund',
      '--no-package-lock',
      '--loglevel=error',
    ],
    { cwd: projectDir, timeoutMs: 600_000 },
  );
  if (install.code !== 0) {
    failAll(
      `npm install exited ${install.code}`,
      `${seed}\n${tail(`${install.stdout}\n${install.stderr}`)}`,
    );
    return;
  }
  const bs3Dir = join(projectDir, 'node_modules', 'better-sqlite3');
  const bs3Version = existsSync(join(bs3Dir, 'package.json'))
    ? readJson(join(bs3Dir, 'package.json')).version
    : '?';
  const compiled = existsSync(join(bs3Dir, 'build', 'Release', 'obj.target'));
  record(
    names.install,
    true,
    started,
    `${(install.ms / 1000).toFixed(1)} s; better-sqlite3 ${bs3Version} ` +
      (compiled ? 'compiled from source (node-gyp)' : `binary from the workspace build; ${seed}`),
  );

  copyFileSync(
    join(ROOT, 'scripts', 'consumer', 'esm-consumer.mjs'),
    join(projectDir, 'esm-consumer.mjs'),
  );
  copyFileSync(
    join(ROOT, 'scripts', 'consumer', 'cjs-consumer.cjs'),
    join(projectDir, 'cjs-consumer.cjs'),
  );
  for (const [key, file] of [
    ['esm', 'esm-consumer.mjs'],
    ['cjs', 'cjs-consumer.cjs'],
  ]) {
    const t0 = performance.now();
    const res = await run(process.execPath, [file, dataDir], {
      cwd: projectDir,
      timeoutMs: 60_000,
    });
    const out = res.stdout.trim();
    if (res.code === 0 && out) record(names[key], true, t0, out);
    else
      record(
        names[key],
        false,
        t0,
        `node ${file} exited ${res.code}`,
        tail(`${res.stdout}\n${res.stderr}`),
      );
  }
}

/** Runs `tasks` (functions returning promises) with at most `limit` in flight. */
async function pooled(tasks, limit) {
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) await tasks[next++]();
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
}

async function main() {
  rmSync(RESULTS_FILE, { force: true });
  const workDir = mkdtempSync(join(tmpdir(), 'hivedb-packaging-'));
  const cleanup = () => {
    if (!KEEP) rmSync(workDir, { recursive: true, force: true });
  };
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.once(signal, () => {
      cleanup();
      process.exit(130);
    });
  }
  const started = performance.now();
  try {
    const tarballDir = join(workDir, 'tarballs');
    mkdirSync(tarballDir);
    const packages = publicPackages();
    log(`packing ${packages.map((p) => p.manifest.name).join(', ')}`);
    const tarballs = await Promise.all(
      packages.map((p) => pack(p, tarballDir).catch((err) => err)),
    );
    const byName = new Map(packages.map((p, i) => [p.manifest.name, tarballs[i]]));

    // The consumer install waits mostly on npm; the lint checks use the CPU meanwhile.
    const consumerTarball =
      byName.get(CONSUMER_PACKAGE) ?? new Error(`${CONSUMER_PACKAGE} not found`);
    log('installing the consumer project, running publint and attw');
    const consumer = consumerTest(consumerTarball, workDir);
    const lintTasks = packages.flatMap((p, i) => [
      () => checkPublint(p, tarballs[i]),
      () => checkAttw(p, tarballs[i]),
    ]);
    await pooled(lintTasks, 2);
    await consumer;
  } catch (err) {
    record('packaging checks', false, started, 'crashed', err.stack ?? String(err));
  } finally {
    if (KEEP) log(`kept ${workDir}`);
    cleanup();
  }

  const order = (c) => (c.name.startsWith('publint') ? 0 : c.name.startsWith('attw') ? 1 : 2);
  // Lint checks by package name; the consumer's in the order they ran (install, ESM, CJS).
  checks.sort((a, b) => order(a) - order(b) || (order(a) < 2 ? a.name.localeCompare(b.name) : 0));
  const passed = checks.filter((c) => c.ok).length;
  const failed = checks.length - passed;
  mkdirSync(dirname(RESULTS_FILE), { recursive: true });
  writeFileSync(RESULTS_FILE, `${JSON.stringify({ passed, failed, checks }, null, 2)}\n`);

  for (const c of checks) {
    console.log(
      `${c.ok ? 'ok  ' : 'FAIL'} ${c.name}: ${c.summary} (${(c.ms / 1000).toFixed(1)} s)`,
    );
    if (c.details && !c.ok) console.log(c.details.replace(/^/gm, '       '));
  }
  console.log(
    `packaging: ${passed} passed, ${failed} failed in ${((performance.now() - started) / 1000).toFixed(1)} s ` +
      `(${relative(ROOT, RESULTS_FILE)})`,
  );
  process.exitCode = failed > 0 ? 1 : 0;
}

await main();
