#!/usr/bin/env node
import { run } from './program.js';

// The exit status is set, not forced: the process ends by itself once every handle is closed,
// which is also how a leaked handle would show (the CLI would hang in tests).
run(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`hivedb: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
