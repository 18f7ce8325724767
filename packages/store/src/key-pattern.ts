import { invalidArgument } from './errors.js';

const REGEX_SPECIAL = /[.*+?^${}()|[\]\\]/g;

/**
 * The one key pattern language of `keys({ pattern })` and `subscribe(pattern)`: a glob matched
 * against the whole key. `*` matches any run of characters (none included), `?` exactly one
 * character (one code point), and `\` makes the character after it literal (`\*`, `\?`, `\\`; a
 * `\` at the end is itself). Every other character matches itself, case-sensitively. `'*'` and
 * `''` match every key.
 *
 * @example
 * keyMatcher('task:*')('task:17');   // true
 * keyMatcher('task:?')('task:17');   // false (one character only)
 * keyMatcher('100\\*')('100*');      // true  (the pattern text is 100\*)
 */
export function keyMatcher(pattern: unknown): (key: string) => boolean {
  if (typeof pattern !== 'string')
    throw invalidArgument(
      'pattern',
      pattern,
      pattern instanceof RegExp
        ? "a glob string, not a RegExp: * matches any characters, ? one (e.g. 'task:*'); to filter with a regular expression, filter the keys yourself"
        : "a key pattern: a string where * matches any characters and ? one (e.g. 'task:*')",
    );
  if (pattern === '' || pattern === '*') return () => true;
  if (!/[*?\\]/.test(pattern)) return (key) => key === pattern;
  let source = '';
  const chars = [...pattern];
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i]!;
    if (c === '*') source += '[\\s\\S]*';
    else if (c === '?') source += '[\\s\\S]';
    else if (c === '\\' && i + 1 < chars.length)
      source += chars[++i]!.replace(REGEX_SPECIAL, '\\$&');
    else source += c.replace(REGEX_SPECIAL, '\\$&');
  }
  const re = new RegExp(`^${source}$`, 'u');
  return (key) => re.test(key);
}
