import { createReadStream, createWriteStream, existsSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { type CommandContext, withStore } from '../context.js';
import { CliError } from '../errors.js';
import { formatBytes } from '../format.js';
import { createProgress } from '../progress.js';
import { feature } from '../store-features.js';

type BackupFn = (
  file: string,
  options?: { onProgress?: (p: { totalPages: number; remainingPages: number }) => void },
) => Promise<{ path: string; bytes: number; durationMs: number }>;
type RestoreFn = (file: string) => Promise<{ entries: number }>;
type ExportFn = (options?: { namespace?: string }) => Readable;
type ImportFn = (
  source: string,
  options?: { onProgress?: (p: { lines: number; entries: number }) => void },
) => Promise<{ lines: number; entries: number }>;

function requireFile(file: string, what: string): string {
  const abs = path.resolve(file);
  let ok = false;
  try {
    ok = statSync(abs).isFile();
  } catch {
    ok = false;
  }
  if (!ok) throw new CliError('CLI_IO', `${what}: no such file: ${abs}`);
  return abs;
}

/** `backup FILE`: an online backup of memory.db (writers may keep writing). */
export async function backupCommand(ctx: CommandContext, file: string): Promise<void> {
  const target = path.resolve(file);
  if (existsSync(target))
    throw new CliError('CLI_IO', `backup: ${target} exists already (choose a new file name)`);
  const r = await withStore(ctx, async (store) => {
    const backup = feature<BackupFn>(store, 'backup');
    const bar = createProgress(ctx.out, 'backup', { unit: 'pages' });
    try {
      return await backup(target, {
        onProgress: (p) => {
          bar.total(p.totalPages);
          bar.update(p.totalPages - p.remainingPages);
        },
      });
    } finally {
      bar.stop();
    }
  });
  ctx.result(
    r,
    () =>
      `backup of memory.db written to ${r.path} (${formatBytes(r.bytes)}, ${r.durationMs.toFixed(0)} ms)`,
  );
}

/** `restore FILE`: replaces memory.db's contents with a backup's, after checking it. */
export async function restoreCommand(ctx: CommandContext, file: string): Promise<void> {
  const source = requireFile(file, 'restore');
  const r = await withStore(ctx, (store) => feature<RestoreFn>(store, 'restore')(source));
  ctx.result({ file: source, ...r }, () => `restored ${r.entries} entries from ${source}`);
}

/** `export [FILE] [-n NS]`: JSON Lines of every entry, to FILE or stdout. */
export async function exportCommand(
  ctx: CommandContext,
  file: string | undefined,
  opts: { namespace?: string },
): Promise<void> {
  const target = file === undefined || file === '-' ? null : path.resolve(file);
  if (target === null && ctx.json)
    throw new CliError('CLI_USAGE', 'export --json needs a FILE: stdout carries the JSON Lines');
  let lines = 0;
  await withStore(ctx, async (store) => {
    const stream = feature<ExportFn>(
      store,
      'export',
    )(opts.namespace === undefined ? {} : { namespace: opts.namespace });
    const bar = createProgress(ctx.out, 'export', {
      quiet: target === null,
      unit: 'entries',
    });
    stream.on('data', (chunk: Buffer | string) => {
      const s = typeof chunk === 'string' ? chunk : chunk.toString('utf8');
      for (let i = s.indexOf('\n'); i !== -1; i = s.indexOf('\n', i + 1)) lines++;
      bar.update(lines);
    });
    try {
      await pipeline(stream, target === null ? process.stdout : createWriteStream(target), {
        end: target !== null,
      });
    } finally {
      bar.stop();
    }
  });
  if (target !== null)
    ctx.result({ file: target, entries: lines }, () => `exported ${lines} entries to ${target}`);
}

async function countLines(file: string): Promise<number> {
  let n = 0;
  let last = 10;
  for await (const chunk of createReadStream(file) as AsyncIterable<Buffer>) {
    for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) n++;
    if (chunk.length > 0) last = chunk[chunk.length - 1] ?? 10;
  }
  return last === 10 ? n : n + 1;
}

/** `import FILE`: JSON Lines as written by `export`; all or nothing. */
export async function importCommand(ctx: CommandContext, file: string): Promise<void> {
  const source = requireFile(file, 'import');
  const total = await countLines(source);
  const r = await withStore(ctx, async (store) => {
    const run = feature<ImportFn>(store, 'import');
    const bar = createProgress(ctx.out, 'import', { unit: 'lines' });
    bar.total(total);
    try {
      return await run(source, { onProgress: (p) => bar.update(p.lines) });
    } finally {
      bar.stop();
    }
  });
  ctx.result(
    { file: source, ...r },
    () => `imported ${r.entries} entries (${r.lines} lines) from ${source}`,
  );
}
