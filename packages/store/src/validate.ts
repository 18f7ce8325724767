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

/** UTF-8 bytes of a string. */
export function byteLength(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}
