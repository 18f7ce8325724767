#!/usr/bin/env node
// Runs a README's first ```js example as a reader would: copied into a fresh folder whose
// node_modules links every built @hivedb package, and run there with `node` (that folder is the
// working directory), several times in a row on the same folder.
//
//   node scripts/readme-example.mjs <path/to/README.md> [runs, default 2]
//
// Prints one JSON line, { runs: [{ status, signal, stdout, stderr }] }, and exits 1 when any run
// failed. The package tests that keep their README's first example true call it (build first).
import { spawnSync } from 'node:child_process';
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const packages = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'packages');

/** The text of the first ```js block of a Markdown file. */
function firstJsBlock(markdown) {
  const match = /^```js\n([\s\S]*?)^```$/m.exec(markdown);
  if (match === null) throw new Error('no ```js block found');
  return match[1];
}

const [readme, runsArg] = process.argv.slice(2);
if (readme === undefined) {
  console.error('usage: node scripts/readme-example.mjs <README.md> [runs]');
  process.exit(2);
}
const code = firstJsBlock(readFileSync(readme, 'utf8'));
const dir = mkdtempSync(join(tmpdir(), 'hivedb-readme-'));
try {
  const scope = join(dir, 'node_modules', '@hivedb');
  mkdirSync(scope, { recursive: true });
  for (const name of readdirSync(packages)) symlinkSync(join(packages, name), join(scope, name));
  writeFileSync(join(dir, 'example.mjs'), code);
  const runs = [];
  for (let i = 0; i < Number(runsArg ?? 2); i++) {
    const res = spawnSync(process.execPath, ['example.mjs'], {
      cwd: dir,
      encoding: 'utf8',
      timeout: 60_000,
    });
    runs.push({ status: res.status, signal: res.signal, stdout: res.stdout, stderr: res.stderr });
  }
  console.log(JSON.stringify({ runs }));
  process.exitCode = runs.every((r) => r.status === 0) ? 0 : 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
