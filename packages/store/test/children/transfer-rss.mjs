// Exports every entry of one store to a file and imports that file into another store, and
// reports the process's RSS: idle (after opening both stores, after a GC) and its peak over the
// whole run (getrusage's maxrss), as one JSON line.
// Usage: node transfer-rss.mjs <sourceRoot> <targetRoot> <file>
import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import v8 from 'node:v8';
import vm from 'node:vm';
import { SharedMemoryStore } from '@hivedb/store';

const [sourceRoot, targetRoot, file] = process.argv.slice(2);
const source = await SharedMemoryStore.open({ projectRoot: sourceRoot, gcInterval: 0 });
const target = await SharedMemoryStore.open({ projectRoot: targetRoot, gcInterval: 0 });
v8.setFlagsFromString('--expose_gc');
vm.runInNewContext('gc')();
await new Promise((r) => setTimeout(r, 50));
const idle = process.memoryUsage().rss;
const peakBefore = process.resourceUsage().maxRSS * 1024;
let sampled = idle;
const timer = setInterval(() => {
  sampled = Math.max(sampled, process.memoryUsage().rss);
}, 5);
const t0 = performance.now();
await pipeline(source.export(), createWriteStream(file));
const exportMs = performance.now() - t0;
const peakExport = process.resourceUsage().maxRSS * 1024;
const t1 = performance.now();
const result = await target.import(file);
const importMs = performance.now() - t1;
clearInterval(timer);
sampled = Math.max(sampled, process.memoryUsage().rss);
const peak = process.resourceUsage().maxRSS * 1024;
await source.shutdown();
await target.shutdown();
process.stdout.write(
  `${JSON.stringify({ idle, peak, peakBefore, peakExport, sampled, exportMs, importMs, ...result })}\n`,
);
