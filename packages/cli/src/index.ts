/**
 * @hivedb/cli — the `hivedb` command line: inspect, repair, back up and measure a shared memory;
 * the demo swarm and its HTML performance report. The same commands are callable from code.
 * @packageDocumentation
 */
export { run, buildProgram } from './program.js';
export { CommandContext, processOutput } from './context.js';
export type { GlobalOptions, Output } from './context.js';
export { CliError, EXIT_FAILED, EXIT_INTERRUPTED, EXIT_USAGE, exitCodeOf } from './errors.js';
export type { CliErrorCode } from './errors.js';
export { resolveRoot, DATA_DIR_NAME } from './root.js';
export type { HiveRoot } from './root.js';
export { readReportData, CLI_ROW_PREFIX } from './report/data.js';
export type {
  AlertRow,
  LatencyPoint,
  OperationRow,
  PoolPoint,
  ReportData,
  ReportDataOptions,
  SlowRow,
} from './report/data.js';
export { renderHtml } from './report/html.js';
export type { DemoSummary } from './demo/summary.js';
export { VERSION } from './version.js';
