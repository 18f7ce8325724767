import { mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { CliError } from '../errors.js';

function errnoOf(err: unknown): string {
  return String((err as NodeJS.ErrnoException | null)?.code ?? 'error');
}

/**
 * Creates `dir` and any missing parent, one folder at a time, or throws `CLI_IO` naming the folder
 * and the reason. Unlike `mkdirSync(dir, { recursive: true })`, it cannot loop: on procfs or sysfs
 * (`/proc/x`) Node's recursive mkdir retries ENOENT forever at full CPU.
 *
 * @example
 * ensureDir('/srv/agents/.hive-mind');
 */
export function ensureDir(dir: string): void {
  const abs = path.resolve(dir);
  const missing: string[] = [];
  for (let cur = abs; ; ) {
    let isDir: boolean;
    try {
      isDir = statSync(cur).isDirectory();
    } catch (err) {
      const code = errnoOf(err);
      const parent = path.dirname(cur);
      // ENOTDIR: a file on the way, which the walk up finds and names
      if ((code !== 'ENOENT' && code !== 'ENOTDIR') || parent === cur)
        throw new CliError('CLI_IO', `cannot create the folder ${abs}: ${cur}: ${code}`, {
          cause: err,
        });
      missing.push(cur);
      cur = parent;
      continue;
    }
    if (!isDir)
      throw new CliError(
        'CLI_IO',
        `cannot create the folder ${abs}: ${cur} is a file, not a folder`,
      );
    break;
  }
  for (const d of missing.reverse()) {
    try {
      mkdirSync(d);
    } catch (err) {
      const code = errnoOf(err);
      if (code === 'EEXIST' && statSync(d, { throwIfNoEntry: false })?.isDirectory()) continue;
      throw new CliError(
        'CLI_IO',
        `cannot create the folder ${d}: ${code}${code === 'ENOENT' ? ' (the file system there does not allow it)' : ''}`,
        { cause: err },
      );
    }
  }
}
