import { createReadStream, createWriteStream, statSync } from 'node:fs';
import path from 'node:path';
import { type Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { RestoreResult } from '@hivedb/store';
import { type CommandContext, type Output, withStore } from '../context.js';
import { withReadOnlyStore } from '../database/read-only-store.js';
import { CliError } from '../errors.js';
import { formatBytes } from '../format.js';
import { requireNotOpenInProcess } from '../io/open-in-process.js';
import { writeOutputFile } from '../io/output-file.js';
import { SIDECAR_SUFFIXES } from '../io/sqlite-file.js';
import { parseFilePath } from '../parse.js';
import { createProgress } from '../progress.js';
import type { HiveRoot } from '../root.js';
import { feature } from '../store-features.js';
import { safe } from '../terminal-text.js';

type BackupFn = (
  file: string,
  options?: { onProgress?: (p: { totalPages: number; remainingPages: number }) => void },
) => Promise<{ path: string; bytes: number; durationMs: number }>;
type RestoreFn = (file: string) => Promise<RestoreResult>;
type ImportFn = (
  source: string,
  options?: { onProgress?: (p: { lines: number; entries: number }) => void },
) => Promise<{ lines: number; entries: number }>;

/** Options of the commands that write a file. */
export interface WriteFileOptions {
  /** Replace an existing file (never a database, its sidecars or a file of the root). */
  readonly force?: boolean;
}

/** `backup FILE [--force]`: an online backup of memory.db (writers may keep writing). */
export async function backupCommand(
  ctx: CommandContext,
  file: string,
  opts: WriteFileOptions,
): Promise<void> {
  const options = { what: 'backup', force: opts.force === true };
  const { path: written, result: r } = await writeOutputFile(ctx.root, file, options, (temp) =>
    withStore(ctx, async (store) => {
      const backup = feature<BackupFn>(store, 'backup');
      const bar = createProgress(ctx.out, 'backup', { unit: 'pages' });
      try {
        return await backup(temp, {
          onProgress: (p) => {
            bar.total(p.totalPages);
            bar.update(p.totalPages - p.remainingPages);
          },
        });
      } finally {
        bar.stop();
      }
    }),
  );
  ctx.result(
    { ...r, path: written },
    () =>
      safe`backup of memory.db written to ${written}` +
      ` (${formatBytes(r.bytes)}, ${r.durationMs.toFixed(0)} ms)`,
  );
}

/** Whether `file` is one of the root's live databases or their sidecars (hard links included). */
function isLiveDatabase(root: HiveRoot, file: string): boolean {
  const st = statSync(file, { throwIfNoEntry: false });
  return [root.memoryPath, root.hivePath].some((db) =>
    ['', ...SIDECAR_SUFFIXES].some((suffix) => {
      const live = statSync(`${db}${suffix}`, { throwIfNoEntry: false });
      return live !== undefined && st !== undefined && live.dev === st.dev && live.ino === st.ino;
    }),
  );
}

/**
 * The absolute path of an input file (`restore FILE`, `import FILE`): `CLI_IO` when there is no
 * such file, `CLI_USAGE` for a NUL byte or for a live database file of the root (its
 * `memory.db`, `hive.db` or their sidecars: never a backup, never JSON Lines), `CLI_FILE_IN_USE`
 * for a file this process has open (reading it — here, or in the store — would drop its locks).
 */
function requireInputFile(ctx: CommandContext, file: string, what: string): string {
  const abs = path.resolve(parseFilePath(file, what));
  if (statSync(abs, { throwIfNoEntry: false })?.isFile() !== true)
    throw new CliError('CLI_IO', `${what}: no such file: ${abs}`);
  if (isLiveDatabase(ctx.root, abs))
    throw new CliError(
      'CLI_USAGE',
      safe`${what}: ${abs} is a live database file of the root, not ` +
        (what === 'restore' ? 'a backup (`hivedb backup FILE` writes one)' : 'JSON Lines'),
    );
  requireNotOpenInProcess(abs, what);
  return abs;
}

/**
 * `restore FILE`: replaces memory.db's contents with a backup's, after the store checked it
 * (`STORE_RESTORE_REFUSED` for anything but a hivedb memory.db). The store first saves the live
 * data beside the database: its path is printed, and is `safetyBackup` with `--json`.
 */
export async function restoreCommand(ctx: CommandContext, file: string): Promise<void> {
  const source = requireInputFile(ctx, file, 'restore');
  const r = await withStore(ctx, (store) => feature<RestoreFn>(store, 'restore')(source));
  ctx.result(
    { file: source, entries: r.entries, safetyBackup: r.safetyBackup },
    () =>
      safe`restored ${r.entries} entries from ${source}` +
      safe` (the previous data was saved to ${r.safetyBackup})`,
  );
}

/** A stream into `out.write`, which fails once its reader went away (so the export stops). */
function outputStream(out: Output): Writable {
  return new Writable({
    decodeStrings: false,
    write(chunk: string | Buffer, _encoding, done) {
      if (out.closed === true) return done(new CliError('CLI_IO', 'stdout was closed'));
      try {
        out.write(typeof chunk === 'string' ? chunk : chunk.toString('utf8'));
        done();
      } catch (err) {
        done(err as Error);
      }
    },
  });
}

/** Pipes `source` into `sink`, counting its lines on the progress bar. */
async function copyLines(source: Readable, sink: Writable, ctx: CommandContext, quiet: boolean) {
  let lines = 0;
  const bar = createProgress(ctx.out, 'export', { quiet, unit: 'entries' });
  source.setEncoding('utf8');
  source.on('data', (s: string) => {
    for (let i = s.indexOf('\n'); i !== -1; i = s.indexOf('\n', i + 1)) lines++;
    bar.update(lines);
  });
  try {
    await pipeline(source, sink);
  } finally {
    bar.stop();
  }
  return lines;
}

/** `export [FILE] [-n NS] [--force]`: JSON Lines of every entry, to FILE or stdout. Read-only. */
export async function exportCommand(
  ctx: CommandContext,
  file: string | undefined,
  opts: { namespace?: string } & WriteFileOptions,
): Promise<void> {
  const toStdout = file === undefined || file === '-';
  if (toStdout && ctx.json)
    throw new CliError('CLI_USAGE', 'export --json needs a FILE: stdout carries the JSON Lines');
  const namespace = opts.namespace === undefined ? {} : { namespace: opts.namespace };
  if (toStdout) {
    await withReadOnlyStore(ctx.root, (store) =>
      copyLines(store.export(namespace), outputStream(ctx.out), ctx, true),
    );
    return;
  }
  const options = { what: 'export', force: opts.force === true };
  const { path: written, result: lines } = await writeOutputFile(ctx.root, file, options, (temp) =>
    withReadOnlyStore(ctx.root, (store) =>
      copyLines(store.export(namespace), createWriteStream(temp, { flags: 'wx' }), ctx, false),
    ),
  );
  ctx.result(
    { file: written, entries: lines },
    () => safe`exported ${lines} entries to ${written}`,
  );
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
  const source = requireInputFile(ctx, file, 'import');
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
    () => safe`imported ${r.entries} entries (${r.lines} lines) from ${source}`,
  );
}
