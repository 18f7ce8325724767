import { defineConfig } from 'tsup';

export default defineConfig({
  // Each worker thread is its own file: a worker thread is started from a script path.
  entry: {
    index: 'src/index.ts',
    'offload-worker': 'src/offload-worker.ts',
    'checkpointer-worker': 'src/wal/checkpointer-worker.ts',
  },
  format: ['esm', 'cjs'],
  dts: { entry: { index: 'src/index.ts' } },
  sourcemap: true,
  clean: true,
  target: 'node20',
  // interrupt.ts finds the package root from import.meta.url; the CJS build needs the shim.
  shims: true,
});
