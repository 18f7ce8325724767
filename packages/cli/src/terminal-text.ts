/**
 * Text for a terminal. Keys, namespaces, agent names and stored messages come from agents, and a
 * terminal obeys the control characters in what it prints: an ESC sequence can clear the screen,
 * rewrite earlier lines or set the window title; a line break can forge a line of output. Every
 * human-readable output passes such text through {@link printable}; `--json` output stays exact.
 */

// C0 controls, DEL, C1 controls (U+0080–U+009F: 8-bit terminals read U+009B as CSI), and lone
// UTF-16 surrogates (no character at all; a terminal would show garbage or U+FFFD).
const UNPRINTABLE =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: finding them is the point
  /[\u0000-\u001f\u007f-\u009f]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
const HAS_UNPRINTABLE = new RegExp(UNPRINTABLE.source);

const NAMED: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function escapeOne(c: string): string {
  const named = NAMED[c];
  if (named !== undefined) return named;
  const code = c.charCodeAt(0);
  return code < 0x80
    ? `\\x${code.toString(16).padStart(2, '0')}`
    : `\\u${code.toString(16).padStart(4, '0')}`;
}

/**
 * `text` with every control character (C0, DEL, C1) and lone surrogate shown as an escape:
 * `\n`, `\r`, `\t`, `\x1b`, `\x7f`, `\u009b`, `\ud800`. Everything else is left as it is.
 *
 * @example
 * printable('a\u001b[2Jb\n') // 'a\\x1b[2Jb\\n'
 */
export function printable(text: string): string {
  return text.replace(UNPRINTABLE, escapeOne);
}

/** Whether `text` holds a character {@link printable} would escape. */
export function hasUnprintable(text: string): boolean {
  return HAS_UNPRINTABLE.test(text);
}

/** `"text"`, quoted for a message, with {@link printable}'s escapes. */
export function quoted(text: string): string {
  return `"${printable(text)}"`;
}

/**
 * A template tag that passes every interpolated value through {@link printable} (the literal
 * parts are the CLI's own text, line breaks included).
 *
 * @example
 * safe`deleted ${ns}:${key}`
 */
export function safe(strings: TemplateStringsArray, ...values: readonly unknown[]): string {
  let out = strings[0] ?? '';
  for (let i = 0; i < values.length; i++)
    out += printable(String(values[i])) + (strings[i + 1] ?? '');
  return out;
}

// JSON.stringify already escapes C0 controls and lone surrogates; DEL and C1 it leaves raw.
const RAW_IN_JSON = /[\u007f-\u009f]/g;

/**
 * JSON text for a terminal: DEL and C1 controls written as `\u007f` … `\u009f`, which is still
 * the same JSON (the value parses back unchanged).
 */
export function printableJson(json: string): string {
  return json.replace(RAW_IN_JSON, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
