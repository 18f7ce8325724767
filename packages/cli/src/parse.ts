import { CliError } from './errors.js';
import { findInexactNumber } from './json-numbers.js';
import { hasUnprintable, printable } from './terminal-text.js';

/**
 * Parses JSON given on the command line; `CLI_BAD_JSON` (exit 2) names where it failed. A
 * number a double cannot hold as written (`123456789012345678901234567890`) is refused too,
 * rather than stored rounded.
 */
export function parseJson(text: string, what: string): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new CliError(
      'CLI_BAD_JSON',
      `${what} is not valid JSON: ${cause instanceof Error ? cause.message : String(cause)} (pass --string to store it as text)`,
      { cause },
    );
  }
  const inexact = findInexactNumber(text);
  if (inexact !== null)
    throw new CliError(
      'CLI_BAD_JSON',
      `${what}: the number ${inexact.literal} (at character ${inexact.index + 1}) cannot be stored exactly: JSON numbers are doubles and it would become ${inexact.becomes}. Quote it to keep it as text: --string for the whole VALUE, or '"${inexact.literal}"' inside JSON`,
      { details: { literal: inexact.literal, index: inexact.index, becomes: inexact.becomes } },
    );
  return value;
}

/** Parses a whole number option (`--ttl 5000`); `CLI_USAGE` otherwise. */
export function parseInteger(
  value: string | undefined,
  option: string,
  min = 0,
  max = Number.MAX_SAFE_INTEGER,
): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^-?\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min || n > max)
    throw new CliError(
      'CLI_USAGE',
      `${option}: expected a whole number ${max === Number.MAX_SAFE_INTEGER ? `≥ ${min}` : `from ${min} to ${max}`} (got ${JSON.stringify(value)})`,
    );
  return n;
}

/** Parses a duration: `30`, `30s`, `1500ms`, `2m` → ms. */
export function parseDuration(value: string | undefined, option: string): number | undefined {
  if (value === undefined) return undefined;
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(value.trim());
  if (m === null)
    throw new CliError(
      'CLI_USAGE',
      `${option}: expected a duration such as 30s, 1500ms or 2m (got ${JSON.stringify(value)})`,
    );
  const n = Number(m[1]);
  const unit = m[2] ?? 's';
  return Math.round(unit === 'ms' ? n : unit === 's' ? n * 1000 : n * 60_000);
}

/** The longest namespace the CLI accepts: the store's default `maxNamespaceLength`. */
export const MAX_NAMESPACE_LENGTH = 256;

/**
 * Checks `-n`: a non-empty name of at most 256 UTF-16 units without control characters or lone
 * surrogates, or `CLI_USAGE` (exit 2). Used as commander's parser of the option, so it runs
 * before any command opens or writes anything.
 */
export function parseNamespace(value: string): string {
  const why =
    value.length === 0
      ? 'it is empty'
      : value.length > MAX_NAMESPACE_LENGTH
        ? `it is ${value.length} characters long, more than ${MAX_NAMESPACE_LENGTH}`
        : // a control character or lone surrogate cannot be typed back or told apart on a terminal
          hasUnprintable(value)
          ? 'it holds a control character or a lone surrogate'
          : null;
  if (why === null) return value;
  throw new CliError(
    'CLI_USAGE',
    `-n: invalid namespace "${printable(value.length > 80 ? `${value.slice(0, 80)}…` : value)}": ${why}`,
  );
}

/**
 * Checks a file argument (`FILE`, `--html FILE`): a non-empty path without a NUL byte (which no
 * file system accepts, and which Node's fs calls turn into a crash of a stream), or `CLI_USAGE`.
 */
export function parseFilePath(value: string, what: string): string {
  if (value.length === 0) throw new CliError('CLI_USAGE', `${what}: the file name is empty`);
  if (value.includes('\0'))
    throw new CliError(
      'CLI_USAGE',
      `${what}: the file name "${printable(value)}" holds a NUL byte (\\x00), which no file name can`,
    );
  return value;
}
