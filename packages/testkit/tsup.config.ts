import { defineConfig } from 'tsup';

export default defineConfig([
  {
    // The suite is a separate entry (`@hivedb/testkit/suite`): importing the fixtures never
    // imports vitest. vitest is a peer dependency, so tsup keeps it external.
    entry: ['src/index.ts', 'src/suite.ts'],
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    clean: true,
    shims: true,
    target: 'node20',
    external: ['vitest', 'fast-check'],
  },
  {
    // Child processes the suite and the faults start with `process.execPath`: ESM only.
    entry: { 'children/lock-holder': 'src/children/lock-holder.ts', 'children/kill-during': 'src/children/kill-during.ts', 'children/store-worker': 'src/children/store-worker.ts' },
    format: ['esm'],
    sourcemap: true,
    clean: false,
    target: 'node20',
  },
]);
