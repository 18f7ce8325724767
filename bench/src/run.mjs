// Entry point: `node --expose-gc src/run.mjs [--quick] [--filter TEXT] [--out NAME]`.
// Runs every case group (each on its own file in a temporary folder removed at the end),
// prints a table, and writes results/<NAME>.json and .md (latest for the full run, quick for
// --quick; a filtered run writes nothing unless --out is given).
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { offloadGroups } from './cases/offload.mjs';
import { poolGroups } from './cases/pool.mjs';
import { monitorGroups } from './cases/monitor.mjs';
import { scaleGroups } from './cases/scale.mjs';
import { storeGroups } from './cases/store.mjs';
import { measureCase, settingsFor } from './harness.mjs';
import { runMemory } from './procs/memory.mjs';
import { runMultiProcess } from './procs/multiprocess.mjs';
import { printTable, writeResults } from './report.mjs';
import { printProcs } from './report-procs.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const resultsDir = path.join(here, '..', 'results');

/** A dependency's version, read from its package.json (tinybench does not export that path). */
function versionOf(name) {
  const file = path.join(here, '..', 'node_modules', name, 'package.json');
  return JSON.parse(fs.readFileSync(file, 'utf8')).version;
}

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    filter: { type: 'string' },
    out: { type: 'string' },
    tmpdir: { type: 'string' },
  },
});

const log = (s) => process.stderr.write(`${s}\n`);

/** Whether a case id is selected: `--filter a,b` selects ids containing `a` or `b`. */
const selected = (id) => !args.filter || args.filter.split(',').some((f) => id.includes(f));

// Case groups, in the order they run: each a set of twins measured in this process.
const GROUPS = [
  ...poolGroups,
  ...offloadGroups,
  ...monitorGroups(args.quick),
  ...storeGroups,
  ...scaleGroups(args.quick),
];

// Runs of child processes, after the groups: each writes its own section of the report.
const SUITES = [
  { id: 'multiprocess.set', key: 'multiProcess', run: runMultiProcess },
  { id: 'memory.mixed', key: 'memory', run: runMemory },
];

/** The file system the databases live on (tmpfs and ext4 commit at very different costs). */
function fsType(dir) {
  try {
    return execFileSync('stat', ['-f', '-c', '%T', dir], { encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

function machine(tmpDir) {
  const db = new Database(':memory:');
  const sqlite = db.prepare('select sqlite_version()').pluck().get();
  db.close();
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    totalMemGiB: Math.round(os.totalmem() / 2 ** 30),
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    node: process.version,
    sqlite,
    betterSqlite3: versionOf('better-sqlite3'),
    tinybench: versionOf('tinybench'),
    tmpDir: path.dirname(tmpDir),
    tmpFs: fsType(tmpDir),
  };
}

/** The build time and hash of a package's dist/index.js (null when it is not built). */
function distOf(pkg) {
  const dist = path.join(here, '..', '..', 'packages', pkg, 'dist', 'index.js');
  try {
    const bytes = fs.readFileSync(dist);
    return {
      builtAt: fs.statSync(dist).mtime.toISOString(),
      sha256: createHash('sha256').update(bytes).digest('hex').slice(0, 16),
    };
  } catch {
    return null;
  }
}

/**
 * What was measured: the commit, any uncommitted change under packages/, the built pool and
 * store (child processes load the store's dist when they start: a rebuild during the run would
 * change what they run, so the run says so at the end).
 */
function measured() {
  const root = path.join(here, '..', '..');
  const git = (...a) => {
    try {
      return execFileSync('git', a, { cwd: root, encoding: 'utf8' }).trim();
    } catch {
      return null;
    }
  };
  const dirty = git('status', '--porcelain', '--', 'packages');
  return {
    gitHead: git('rev-parse', '--short', 'HEAD'),
    uncommittedUnderPackages: dirty ? dirty.split('\n').map((l) => l.trim()) : [],
    poolDist: distOf('pool'),
    storeDist: distOf('store'),
  };
}

async function main() {
  if (typeof globalThis.gc !== 'function')
    log('note: run with node --expose-gc so that garbage is collected between runs');
  const settings = settingsFor(args.quick);
  // The waiting budget is spent across cases: `measureCase` decrements it.
  const budget = { ...settings, retryUntil: performance.now() + settings.retryForMs };
  const tmpDir = fs.mkdtempSync(path.join(args.tmpdir ?? os.tmpdir(), 'hivedb-bench-'));
  const started = performance.now();
  const report = {
    date: new Date().toISOString(),
    settings: { ...settings, filter: args.filter ?? null },
    machine: machine(tmpDir),
    measured: measured(),
    groups: [],
    cases: [],
  };
  log(
    `hivedb bench (${settings.mode}): ${settings.rounds} rounds × ${settings.timeMs} ms per twin; files in ${tmpDir}`,
  );
  const cleanUp = () => fs.rmSync(tmpDir, { recursive: true, force: true });
  process.once('SIGINT', () => {
    cleanUp();
    process.exit(130);
  });
  try {
    for (const group of GROUPS) {
      // A group that names its case ids is not even opened when the filter leaves none of them.
      if (group.ids && !group.ids.some(selected)) continue;
      const groupDir = path.join(tmpDir, group.name.replace(/\W+/g, '-'));
      fs.mkdirSync(groupDir);
      log(`${group.name}: preparing ${groupDir}`);
      const opened = await group.open(groupDir);
      try {
        const cases = opened.cases.filter((c) => selected(c.id));
        for (const c of cases) {
          log(`${c.id}: ${c.name}`);
          report.cases.push(await measureCase(c, budget, log));
        }
        report.groups.push({
          name: group.name,
          pragmas: opened.pragmas,
          ...(opened.extra ? opened.extra() : {}),
        });
      } finally {
        await opened.close();
      }
    }
    for (const suite of SUITES) {
      if (!selected(suite.id)) continue;
      const dir = path.join(tmpDir, suite.id.replace(/\W+/g, '-'));
      fs.mkdirSync(dir);
      log(`${suite.id}: child processes in ${dir}`);
      report[suite.key] = await suite.run({ dir, quick: args.quick, log });
    }
  } finally {
    cleanUp();
  }
  report.durationS = (performance.now() - started) / 1000;
  for (const pkg of ['pool', 'store']) {
    if (distOf(pkg)?.sha256 !== report.measured[`${pkg}Dist`]?.sha256) {
      report.measured.rebuiltDuringRun = [...(report.measured.rebuiltDuringRun ?? []), pkg];
      log(`warning: @hivedb/${pkg}'s dist changed during the run: figures may mix two builds`);
    }
  }
  process.stdout.write('\n');
  printTable(report.cases);
  printProcs(report);
  const name =
    (args.out && path.basename(args.out)) ??
    (args.filter ? undefined : args.quick ? 'quick' : 'latest');
  if (name !== undefined) {
    const written = writeResults(resultsDir, name, report);
    log(
      `\nwrote ${path.relative(process.cwd(), written.json)} and ${path.relative(process.cwd(), written.md)}`,
    );
  }
  log(`total ${report.durationS.toFixed(1)} s`);
}

await main();
