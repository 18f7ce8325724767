import { Command, CommanderError, Option } from 'commander';
import {
  checkCommand,
  initCommand,
  migrateCommand,
  optimizeCommand,
  rollbackCommand,
  statusCommand,
} from './commands/admin.js';
import { backupCommand, exportCommand, importCommand, restoreCommand } from './commands/data.js';
import { demoCommand } from './commands/demo.js';
import { deleteCommand, getCommand, setCommand, statsCommand } from './commands/kv.js';
import { listCommand, MAX_LIST_LIMIT } from './commands/list.js';
import { reportCommand } from './commands/report.js';
import { CommandContext, type GlobalOptions, type Output, processOutput } from './context.js';
import { describeError, EXIT_USAGE, exitCodeOf } from './errors.js';
import { parseNamespace } from './parse.js';
import { printable } from './terminal-text.js';
import { VERSION } from './version.js';

type Action = (ctx: CommandContext, ...args: never[]) => Promise<void>;

/**
 * Builds the `hivedb` program. Each action receives a {@link CommandContext} built from the
 * global options (`--root`, `--json`, `--verbose`), then its own arguments and options.
 */
export function buildProgram(out: Output, onAction: (p: Promise<void>) => void): Command {
  const program = new Command('hivedb')
    .description(
      'Look inside, repair and measure a hivedb shared memory (memory.db and hive.db under a root folder).',
    )
    .version(VERSION, '-V, --version')
    .option('--root <dir>', 'the .hive-mind folder, or a project folder holding one', '.hive-mind')
    .option('--json', 'print one JSON document on stdout')
    .option('--verbose', 'print the cause of an error')
    .addHelpText(
      'after',
      '\nExit status: 0 ok, 1 a failed command or check, 2 bad usage, 130 stopped by Ctrl-C.\nErrors print one line (`hivedb: CODE: message`); --verbose adds the cause.',
    )
    .showHelpAfterError('(run hivedb --help for usage)')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => out.write(s),
      writeErr: (s) => out.error(s),
      // commander's messages quote what was typed (an unknown option): shown escaped
      outputError: (s, write) =>
        write(`hivedb: ${printable(s.replace(/^error: /, '').replace(/\n$/, ''))}\n`),
    });

  const bind = (cmd: Command, action: Action) => {
    cmd.action((...args: unknown[]) => {
      const command = args[args.length - 1] as Command;
      const globals = command.optsWithGlobals() as GlobalOptions;
      const ctx = new CommandContext(globals, out);
      const own = command.opts();
      const positional = args.slice(0, -2);
      onAction((action as (...a: unknown[]) => Promise<void>)(ctx, ...positional, own));
    });
    // every subcommand accepts the global options after its name too
    cmd.option('--root <dir>', 'the .hive-mind folder, or a project folder holding one');
    cmd.option('--json', 'print one JSON document on stdout');
    cmd.option('--verbose', 'print the cause of an error');
    return cmd;
  };
  const sub = (name: string, desc: string) =>
    program.command(name).description(desc).exitOverride();

  bind(sub('init', 'create the root and both databases, migrated'), initCommand);
  bind(
    sub('status', 'sizes, WAL, migrations, entries by namespace, a quick integrity check'),
    statusCommand,
  );
  bind(
    sub('migrate', 'apply pending migrations')
      .option('--to <tag>', 'last migration to apply (with --database)')
      .option('--database <name>', 'memory, hive or all', 'all'),
    migrateCommand,
  );
  bind(
    sub('rollback', 'revert migrations after --to (none: all) with their down files')
      .option('--to <tag>', 'the migration to keep, or none')
      .option('--database <name>', 'memory or hive', 'memory'),
    rollbackCommand,
  );
  bind(sub('check', 'full integrity report (integrity_check, foreign keys, schema)'), checkCommand);
  bind(
    sub('optimize', 'ANALYZE, vacuum, WAL checkpoint').option('--full', 'VACUUM the whole file'),
    optimizeCommand,
  );

  // parseNamespace runs while commander parses: a bad -n is exit 2 before anything is opened
  const ns = () =>
    new Option('-n, --namespace <ns>', 'namespace (default: shared_state)').argParser(
      parseNamespace,
    );
  const onlyNs = () =>
    new Option('-n, --namespace <ns>', 'only this namespace (default: every namespace)').argParser(
      parseNamespace,
    );
  const force = 'replace an existing FILE (never a database, its -wal/-shm, or a file of the root)';
  bind(sub('get', 'print an entry as JSON').argument('<key>').addOption(ns()), getCommand);
  bind(
    sub('set', 'write an entry: VALUE is JSON unless --string')
      .argument('<key>')
      .argument('<value>')
      .addOption(ns())
      .option('--ttl <ms>', 'expire after this many ms')
      .option('--type <dataType>', 'persistent, cached, versioned, shared or locked')
      .option('--string', 'store VALUE as a string, not JSON')
      .option('--agent <id>', 'agent id for the access log', 'hivedb-cli'),
    setCommand,
  );
  bind(sub('delete', 'delete an entry').argument('<key>').addOption(ns()), deleteCommand);
  bind(
    sub('list', "list live entries, with the count of those left and the next page's cursor")
      .addOption(onlyNs())
      .option('--prefix <p>', 'only keys starting with this')
      .option('--limit <n>', `at most this many (1 to ${MAX_LIST_LIMIT})`, '100')
      .option('--cursor <c>', 'the page after the one that printed this cursor'),
    listCommand,
  );
  bind(sub('stats', 'live entries, bytes and entries per namespace'), statsCommand);

  bind(
    sub('backup', 'online backup of memory.db to FILE').argument('<file>').option('--force', force),
    backupCommand,
  );
  bind(
    sub('restore', "replace memory.db's contents with a checked backup").argument('<file>'),
    restoreCommand,
  );
  bind(
    sub('export', 'entries as JSON Lines to FILE (or stdout)')
      .argument('[file]')
      .addOption(onlyNs())
      .option('--force', force),
    exportCommand,
  );
  bind(
    sub('import', 'entries from a JSON Lines file (all or nothing)').argument('<file>'),
    importCommand,
  );

  bind(
    sub('report', 'the performance report from hive.db')
      .option('--html <file>', 'also write a self-contained HTML report')
      .option('--force', force.replace('FILE', '--html file'))
      .option('--last <duration>', 'only the last part of the data (30s, 5m)'),
    reportCommand,
  );
  bind(
    sub('demo', 'a swarm of agent processes sharing one memory.db, with the monitor attached')
      .option('--agents <n>', 'agent processes', '24')
      .option('--duration <d>', 'how long they work (30s, 1m)', '20s')
      .option('--html <file>', 'where the HTML report goes (default <root>/report.html)')
      .option(
        '--sample-rate <r>',
        'share of ordinary operations the monitors persist to hive.db',
        '0.05',
      )
      .option('--force', force.replace('FILE', '--html file'))
      .option(
        '--fresh',
        "first remove what earlier demos left in the demo's own namespaces (demo:*)",
      )
      .option(
        '--allow-existing-data',
        'run on a root that holds entries outside demo:* (the demo never touches them)',
      ),
    demoCommand,
  );
  return program;
}

/**
 * Runs the CLI with `argv` (without `node` and the script) and resolves to the exit status:
 * 0 ok, 1 a failed command or check, 2 bad usage. Never calls `process.exit`.
 */
export async function run(
  argv: readonly string[],
  output: Output = processOutput,
): Promise<number> {
  let pending: Promise<void> | undefined;
  // With --json, stdout is one document: a command that printed its result and then failed a
  // check (status, check, demo) does not get a second, error document after it.
  let wroteStdout = false;
  const out: Output = {
    write: (text) => {
      wroteStdout = true;
      output.write(text);
    },
    error: (text) => output.error(text),
    get isTTY() {
      return output.isTTY;
    },
    get closed() {
      return output.closed;
    },
  };
  const program = buildProgram(out, (p) => {
    pending = p;
  });
  const wantsJson = argv.includes('--json');
  const verbose = argv.includes('--verbose');
  try {
    await program.parseAsync([...argv], { from: 'user' });
    if (pending !== undefined) await pending;
    return 0;
  } catch (err) {
    // The reader of stdout went away (`| head`): what failed is only the printing. Quietly 0.
    if (output.closed === true) return 0;
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return 0;
      // Help shown because no command was given is a usage error; `hivedb help` is not.
      if (err.code === 'commander.help') return err.exitCode === 0 ? 0 : EXIT_USAGE;
      if (wantsJson)
        out.write(
          `${JSON.stringify({ ok: false, error: { code: 'CLI_USAGE', message: err.message.replace(/^error: /, '') } })}\n`,
        );
      return EXIT_USAGE;
    }
    const code = exitCodeOf(err);
    out.error(`hivedb: ${describeError(err, verbose)}\n`);
    if (wantsJson && !wroteStdout) {
      const c = (err as { code?: unknown }).code;
      out.write(
        `${JSON.stringify({ ok: false, error: { code: typeof c === 'string' ? c : 'ERROR', message: err instanceof Error ? err.message : String(err), details: (err as { details?: unknown }).details } })}\n`,
      );
    }
    return code;
  }
}
