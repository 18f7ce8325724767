#!/usr/bin/env node
// Adds up vitest's JSON reports (`packages/*/test-results/vitest.json`, `bench/test-results/vitest.json`)
// into one closing line, `N passed, N failed`, which CI reads as the verdict of the run.
//
//   node scripts/test-summary.mjs [--strict] [--extra test-results/packaging.json]
//
// --extra FILE  adds a `{ passed, failed }` report (the packaging checks) into the totals; a missing
//               or unreadable FILE counts as one failure, since the checks it stands for did not report.
// --strict      a package that has a `test` script but wrote no report counts as one failure (CI uses
//               this: a package whose tests never ran must not look clean). Without it, a missing
//               report is only listed, as after a filtered run (`npm test -- --filter=...`).
//
// A report whose run failed (vitest's `success: false`) without a single failed test, e.g. no test
// files or an error thrown outside any test, counts as one failure, so the totals agree with
// vitest's exit code. One line per report comes first; the totals line is always printed last.
// Exit code: 0 when at least one vitest report was found and nothing failed, 1 otherwise.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const REPORT = join('test-results', 'vitest.json');

function parseArgs(argv) {
  const extras = [];
  let strict = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--strict') {
      strict = true;
    } else if (arg === '--extra') {
      const file = argv[++i];
      if (!file) throw new Error('--extra needs a file argument');
      extras.push(file);
    } else if (arg.startsWith('--extra=')) {
      extras.push(arg.slice('--extra='.length));
    } else {
      throw new Error(
        `unknown argument: ${arg} (usage: test-summary.mjs [--strict] [--extra FILE])`,
      );
    }
  }
  return { extras, strict };
}

/** Folders whose vitest report is read: every package, then the benchmarks. */
function projectDirs() {
  const packagesDir = join(ROOT, 'packages');
  const dirs = existsSync(packagesDir)
    ? readdirSync(packagesDir, { withFileTypes: true })
        .filter((d) => d.isDirectory())
        .map((d) => join(packagesDir, d.name))
        .sort()
    : [];
  dirs.push(join(ROOT, 'bench'));
  return dirs.filter((dir) => existsSync(join(dir, 'package.json')));
}

function readJson(file) {
  return JSON.parse(readFileSync(file, 'utf8'));
}

function count(value) {
  return Number.isInteger(value) && value >= 0 ? value : 0;
}

/**
 * A test file that fails before any of its tests ran (an import that throws, a syntax error)
 * reports no failed test, only a failed suite. Count each such file as one failure so the
 * totals line never says `0 failed` for a run that failed.
 */
function filesFailedWithoutTests(report) {
  const files = Array.isArray(report.testResults) ? report.testResults : [];
  return files.filter((file) => {
    if (file?.status !== 'failed') return false;
    const assertions = Array.isArray(file.assertionResults) ? file.assertionResults : [];
    return !assertions.some((a) => a?.status === 'failed');
  }).length;
}

function main() {
  const { extras, strict } = parseArgs(process.argv.slice(2));
  let passed = 0;
  let failed = 0;
  let vitestReports = 0;

  let missing = 0;

  for (const dir of projectDirs()) {
    const file = join(dir, REPORT);
    const manifest = readJson(join(dir, 'package.json'));
    const name = manifest.name ?? relative(ROOT, dir);
    if (!existsSync(file)) {
      // Only a project that has tests owes a report (the benchmarks have none).
      if (manifest.scripts?.test) {
        missing += 1;
        console.log(`[tests] ${name}: no report (${relative(ROOT, file)})`);
      }
      continue;
    }
    let report;
    try {
      report = readJson(file);
    } catch (err) {
      console.log(`[tests] ${name}: unreadable report ${relative(ROOT, file)}: ${err.message}`);
      failed += 1;
      continue;
    }
    vitestReports += 1;
    const p = count(report.numPassedTests);
    const brokenFiles = filesFailedWithoutTests(report);
    let f = count(report.numFailedTests) + brokenFiles;
    const skipped = count(report.numPendingTests) + count(report.numTodoTests);
    const files = Array.isArray(report.testResults) ? report.testResults.length : 0;
    const notes = [];
    if (brokenFiles) notes.push(`${brokenFiles} file(s) failed before their tests ran`);
    if (report.success === false && f === 0) {
      f = 1;
      notes.push(files === 0 ? 'no test files, which vitest fails' : 'run failed outside any test');
    } else if (files === 0) {
      notes.push('no test files');
    }
    passed += p;
    failed += f;
    console.log(
      `[tests] ${name}: passed=${p} failed=${f} skipped=${skipped} files=${files}` +
        (notes.length ? ` (${notes.join('; ')})` : ''),
    );
  }
  // With no report at all there is nothing to weigh the missing ones against: the run never got
  // to its tests, and the exit code (1) says so.
  if (strict && vitestReports > 0) failed += missing;

  for (const extra of extras) {
    const file = resolve(process.cwd(), extra);
    try {
      const report = readJson(file);
      const p = count(report.passed);
      const f = count(report.failed);
      passed += p;
      failed += f;
      console.log(`[extra] ${relative(ROOT, file)}: passed=${p} failed=${f}`);
    } catch (err) {
      failed += 1;
      console.log(`[extra] ${relative(ROOT, file)}: no usable report (${err.code ?? err.message})`);
    }
  }

  if (vitestReports === 0) console.log('[tests] no vitest report found');
  // The verdict line CI reads: plain, and always last.
  console.log(`${passed} passed, ${failed} failed`);
  process.exitCode = vitestReports > 0 && failed === 0 ? 0 : 1;
}

try {
  main();
} catch (err) {
  // The summary itself broke: still end on a verdict line, and not a clean one.
  console.error(`test-summary: ${err.message}`);
  console.log('0 passed, 1 failed');
  process.exitCode = 1;
}
