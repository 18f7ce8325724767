import { defineConfig } from 'tsup';

export default defineConfig({
  // bin and demo-agent are run by node as ES modules (the package is "type": "module"); the
  // library entry also ships as CommonJS for require(). `shims` gives the CJS build a working
  // import.meta.url, which the demo uses to find its agent script beside it.
  entry: { index: 'src/index.ts', bin: 'src/bin.ts', 'demo-agent': 'src/demo/agent.ts' },
  format: ['esm', 'cjs'],
  dts: { entry: { index: 'src/index.ts' } },
  shims: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
});
