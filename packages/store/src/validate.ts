import { describe, invalidArgument, StoreError } from './errors.js';
import type { DataType } from './types.js';

// A NUL would make two (namespace, key) pairs share a cache key; a lone surrogate would be
// stored as U+FFFD (UTF-8 has no encoding for it), i.e. not verbatim.
const MALFORMED = /[\0\p{Cs}]/u;

/** Returns `key` if it is a non-empty, well-formed string of at most `max` UTF-16 units; else `STORE_INVALID_KEY`. */
export function checkKey(key: unknown, max: number): string {
  if (typeof key === 'string' && key.length > 0 && key.length <= max && !MALFORMED.test(key))
    return key;
  throw new StoreError('STORE_INVALID_KEY', `invalid key ${describe(key)}: ${why(key, max)}`);
}

/** Returns `namespace` if valid; else `STORE_INVALID_NAMESPACE`. */
export function checkNamespace(namespace: unknown, max: number): string {
  if (
    typeof namespace === 'string' &&
    namespace.length > 0 &&
    namespace.length <= max &&
    !MALFORMED.test(namespace)
  )
    return namespace;
  throw new StoreError(
    'STORE_INVALID_NAMESPACE',
    `invalid namespace ${describe(namespace)}: ${why(namespace, max)}`,
  );
}

function why(s: unknown, max: number): string {
  if (typeof s !== 'string') return `expected a string, got ${s === null ? 'null' : typeof s}`;
  if (s.length === 0) return 'it is empty';
  if (s.length > max) return `it is ${s.length} characters long, more than ${max}`;
  if (s.includes('\0')) return 'it contains a NUL character';
  return 'it contains a lone UTF-16 surrogate (not valid Unicode)';
}

const DATA_TYPE_SET = new Set<string>([
  'persistent',
  'transient',
  'cached',
  'versioned',
  'shared',
  'locked',
]);

/** Returns the data type, or throws `STORE_INVALID_ARGUMENT`. */
export function checkDataType(dataType: unknown): DataType {
  if (typeof dataType === 'string' && DATA_TYPE_SET.has(dataType)) return dataType as DataType;
  throw invalidArgument('dataType', dataType, [...DATA_TYPE_SET].join(', '));
}

/** A TTL in ms: `undefined`/`null` for none, else a finite number > 0. */
export function checkTtl(ttl: unknown): number | null {
  if (ttl === undefined || ttl === null) return null;
  if (typeof ttl === 'number' && Number.isFinite(ttl) && ttl > 0) return ttl;
  throw invalidArgument('ttl', ttl, 'milliseconds > 0, or null for none');
}

/** A version to compare with: a positive safe integer. */
export function checkVersion(version: unknown, name = 'version'): number {
  if (typeof version === 'number' && Number.isSafeInteger(version) && version > 0) return version;
  throw invalidArgument(name, version, 'an integer ≥ 1');
}

/** An agent id: a non-empty string (or absent). */
export function checkAgentId(agentId: unknown): string | undefined {
  if (agentId === undefined) return undefined;
  if (typeof agentId === 'string' && agentId.length > 0 && agentId.length <= 1024) return agentId;
  throw invalidArgument('agentId', agentId, 'a non-empty string');
}

// Built-ins whose content JSON drops or mangles: storing them would not give them back.
const LOSSY: ReadonlyArray<[abstract new (...args: never[]) => unknown, string]> = [
  [Map, 'a Map'],
  [Set, 'a Set'],
  [WeakMap, 'a WeakMap'],
  [WeakSet, 'a WeakSet'],
  [RegExp, 'a RegExp'],
  [Error, 'an Error'],
  [Promise, 'a Promise'],
  [ArrayBuffer, 'an ArrayBuffer'],
];

function invalid(what: string, path: readonly (string | number)[], reason: string): StoreError {
  let at = '(top)';
  for (const seg of path) at += typeof seg === 'number' ? `[${seg}]` : `.${seg}`;
  return new StoreError(
    'STORE_INVALID_VALUE',
    `${what} cannot be stored as JSON faithfully: ${at} ${reason}`,
    { details: { path: at, reason } },
  );
}

// Below this depth no cycle is looked for: a cycle always goes deeper, and JSON.stringify
// refuses one anyway. It keeps the common, shallow value free of the ancestor search.
const CYCLE_CHECK_DEPTH = 32;

/**
 * Walks a value the way JSON.stringify will, refusing what it would drop or change. `path` is
 * the key path to `v` (built into a string only for an error message).
 */
function walk(v: unknown, path: (string | number)[], what: string, stack: object[]): void {
  switch (typeof v) {
    case 'string':
    case 'boolean':
      return;
    case 'number':
      if (!Number.isFinite(v))
        throw invalid(what, path, `is ${v} (JSON has no non-finite numbers)`);
      return;
    case 'undefined':
      throw invalid(what, path, 'is undefined');
    case 'function':
      throw invalid(what, path, 'is a function');
    case 'symbol':
      throw invalid(what, path, 'is a symbol');
    case 'bigint':
      throw invalid(what, path, 'is a BigInt');
  }
  if (v === null) return;
  const obj = v as object;
  if (stack.length >= CYCLE_CHECK_DEPTH && stack.includes(obj))
    throw invalid(what, path, 'refers back to itself (a cycle)');
  const toJSON = (obj as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === 'function') {
    // JSON.stringify stores what toJSON returns (a Date becomes its ISO string).
    stack.push(obj);
    walk(toJSON.call(obj, ''), path, what, stack);
    stack.pop();
    return;
  }
  const proto = Object.getPrototypeOf(obj);
  if (proto !== Object.prototype && proto !== Array.prototype && proto !== null) {
    if (ArrayBuffer.isView(obj)) throw invalid(what, path, 'is a typed array or DataView');
    for (const [ctor, name] of LOSSY) {
      if (obj instanceof ctor) throw invalid(what, path, `is ${name}`);
    }
  }
  stack.push(obj);
  if (Array.isArray(obj)) {
    for (let i = 0; i < obj.length; i++) {
      path.push(i);
      if (!(i in obj)) throw invalid(what, path, 'is a hole in a sparse array');
      walk(obj[i], path, what, stack);
      path.pop();
    }
  } else {
    for (const k in obj) {
      if (!Object.hasOwn(obj, k)) continue;
      const child = (obj as Record<string, unknown>)[k];
      // An undefined property is left out, as JSON does: `{ a: undefined }` reads back as `{}`.
      if (child === undefined) continue;
      path.push(k);
      walk(child, path, what, stack);
      path.pop();
    }
  }
  stack.pop();
}

/**
 * The JSON text of `value`, or `STORE_INVALID_VALUE` naming why it cannot be stored faithfully:
 * undefined (at the top or in an array), functions, symbols, BigInt, cycles, NaN and ±Infinity,
 * sparse arrays, and built-ins whose content JSON loses (Map, Set, typed arrays, …).
 */
export function serialize(value: unknown, what = 'the value'): string {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (Number.isFinite(value)) return JSON.stringify(value);
      break;
    case 'object':
      if (value === null) return 'null';
      break;
  }
  walk(value, [], what, []);
  try {
    return JSON.stringify(value);
  } catch (err) {
    if (err instanceof TypeError && /circular/i.test(err.message))
      throw invalid(what, [], 'refers back to itself (a cycle)');
    // A getter that throws, or a toJSON that returns something new on its second call.
    throw new StoreError(
      'STORE_INVALID_VALUE',
      `${what} cannot be stored as JSON: ${err instanceof Error ? err.message : String(err)}`,
      { cause: err },
    );
  }
}

/** The JSON text of `metadata` (a plain object), or `null` when absent. */
export function serializeMetadata(metadata: unknown): string | null {
  if (metadata === undefined || metadata === null) return null;
  if (typeof metadata !== 'object' || Array.isArray(metadata))
    throw new StoreError(
      'STORE_INVALID_VALUE',
      `metadata must be a plain object or null, got ${Array.isArray(metadata) ? 'an array' : typeof metadata}`,
      { details: { path: '(top)', reason: 'not an object' } },
    );
  return serialize(metadata, 'the metadata');
}

/** UTF-8 bytes of a string. */
export function byteLength(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}
