import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { tempDir } from './helpers.js';

const here = path.dirname(fileURLToPath(import.meta.url));

function runChild(script: string, root: string): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script, root], {
      cwd: path.join(here, '..'),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      out += d;
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the process did not exit on its own: ${out}`));
    }, 20_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

describe('timers', () => {
  it('a started monitor (cycle, rotation, flush timers, its own hive.db pool) never keeps a process alive', async () => {
    const script = `
      import { createPool } from '@hivedb/pool';
      import { PerformanceMonitor } from '@hivedb/monitor';
      const root = process.argv[1];
      const pool = createPool({ filename: 'app.db', root });
      const monitor = new PerformanceMonitor({ monitoringInterval: 20, persistence: { filename: 'hive.db', root, flushIntervalMs: 20 } });
      monitor.attachPool(pool);
      await monitor.start();
      await pool.get('SELECT 1 AS one');
      await new Promise((r) => setTimeout(r, 100));
      await pool.close();
      console.log('left running');
    `;
    const { code, out } = await runChild(script, tempDir());
    expect(out).toContain('left running');
    expect(code).toBe(0);
  });
});
