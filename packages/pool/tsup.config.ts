import { defineConfig } from 'tsup';

export default defineConfig({
  // The offload worker is its own file: a worker thread is started from a script path.
  entry: ['src/index.ts', 'src/offload-worker.ts'],
  format: ['esm', 'cjs'],
  dts: { entry: { index: 'src/index.ts' } },
  sourcemap: true,
  clean: true,
  target: 'node20',
  // interrupt.ts finds the package root from import.meta.url; the CJS build needs the shim.
  shims: true,
});
