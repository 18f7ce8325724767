import { CliError } from './errors.js';

/** Parses JSON given on the command line; `CLI_BAD_JSON` (exit 2) names where it failed. */
export function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw new CliError(
      'CLI_BAD_JSON',
      `${what} is not valid JSON: ${cause instanceof Error ? cause.message : String(cause)} (pass --string to store it as text)`,
      { cause },
    );
  }
}

/** Parses a whole number option (`--ttl 5000`); `CLI_USAGE` otherwise. */
export function parseInteger(
  value: string | undefined,
  option: string,
  min = 0,
): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^-?\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min)
    throw new CliError(
      'CLI_USAGE',
      `${option}: expected a whole number${min === 0 ? ' ≥ 0' : ` ≥ ${min}`} (got ${JSON.stringify(value)})`,
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
