/**
 * JSON numbers are IEEE doubles once parsed: `123456789012345678901234567890` becomes
 * `1.2345678901234568e+29`, `9007199254740993` becomes `9007199254740992`. What the CLI stores
 * must be what the operator typed, so such a literal is found and refused, not rounded.
 */

/** A number literal of some JSON text that a double cannot hold as written. */
export interface InexactNumber {
  /** The literal as written. */
  readonly literal: string;
  /** Its offset in the text. */
  readonly index: number;
  /** What parsing makes of it (`JSON.stringify` of the double: `null` for ±Infinity). */
  readonly becomes: string;
}

// A string (skipped: digits inside text are text) or a number, as JSON's grammar writes them.
const TOKEN = /"(?:[^"\\]|\\.)*"|-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/g;

/** sign, significant digits (no leading or trailing zeros) and the power of ten of the last one. */
function decimal(literal: string): string {
  const m = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/.exec(literal);
  if (m === null) return literal;
  const digits = `${m[2]}${m[3] ?? ''}`;
  let exp = Number(m[4] ?? 0) - (m[3]?.length ?? 0);
  const lead = digits.replace(/^0+/, '');
  if (lead === '') return '0';
  const trimmed = lead.replace(/0+$/, '');
  exp += lead.length - trimmed.length;
  return `${m[1]}${trimmed}e${exp}`;
}

/**
 * The first number literal in `json` (valid JSON text) that does not survive `JSON.parse` as
 * written: an integer literal beyond ±(2^53 − 1), or any literal whose double prints as another
 * decimal value (too many digits, an overflow to Infinity, an underflow to 0). `null` when every
 * number is exact.
 *
 * @example
 * findInexactNumber('{"id": 123456789012345678901234567890}')?.becomes // '1.2345678901234568e+29'
 */
export function findInexactNumber(json: string): InexactNumber | null {
  for (const m of json.matchAll(TOKEN)) {
    const literal = m[0];
    if (literal.startsWith('"')) continue;
    const n = Number(literal);
    const integer = /^-?\d+$/.test(literal);
    const exact = integer
      ? Number.isSafeInteger(n)
      : Number.isFinite(n) && decimal(String(n)) === decimal(literal);
    if (!exact) return { literal, index: m.index, becomes: JSON.stringify(n) };
  }
  return null;
}
