import { StoreError } from './errors.js';

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

type Path = readonly (string | number)[];

/** Segments shown at each end of a long path in a message. */
const PATH_ENDS = 6;

/** `(top).a.b[1]`; a path of more than a dozen segments keeps its ends and says how deep it is. */
function pathText(path: Path): string {
  const seg = (s: string | number) => (typeof s === 'number' ? `[${s}]` : `.${s}`);
  if (path.length <= 2 * PATH_ENDS) return `(top)${path.map(seg).join('')}`;
  const head = path.slice(0, PATH_ENDS).map(seg).join('');
  const tail = path.slice(-PATH_ENDS).map(seg).join('');
  return `(top)${head}…${tail} (${path.length} levels down)`;
}

function invalid(what: string, path: Path, reason: string): StoreError {
  const at = pathText(path);
  return new StoreError(
    'STORE_INVALID_VALUE',
    `${what} cannot be stored as JSON faithfully: ${at} ${reason}`,
    { details: { path: at, reason } },
  );
}

// Below this depth no cycle is looked for: a cycle always goes deeper (or reaches the depth
// limit, where it is looked for too). It keeps the common, shallow value free of the search.
const CYCLE_CHECK_DEPTH = 32;

/**
 * Checks one value at `path` as JSON.stringify will see it (after its `toJSON`, which JSON calls
 * once); returns the object or array to walk into, or null for a scalar.
 */
function examine(v: unknown, path: Path, what: string, viaToJSON = true): object | null {
  switch (typeof v) {
    case 'string':
    case 'boolean':
      return null;
    case 'number':
      if (!Number.isFinite(v))
        throw invalid(what, path, `is ${v} (JSON has no non-finite numbers)`);
      return null;
    case 'undefined':
      throw invalid(what, path, 'is undefined');
    case 'function':
      throw invalid(what, path, 'is a function');
    case 'symbol':
      throw invalid(what, path, 'is a symbol');
    case 'bigint':
      throw invalid(what, path, 'is a BigInt');
  }
  if (v === null) return null;
  const obj = v as object;
  const toJSON = (obj as { toJSON?: unknown }).toJSON;
  // JSON.stringify stores what toJSON returns (a Date becomes its ISO string).
  if (viaToJSON && typeof toJSON === 'function')
    return examine(toJSON.call(obj, ''), path, what, false);
  const proto = Object.getPrototypeOf(obj);
  if (proto !== Object.prototype && proto !== Array.prototype && proto !== null) {
    if (ArrayBuffer.isView(obj)) throw invalid(what, path, 'is a typed array or DataView');
    for (const [ctor, name] of LOSSY)
      if (obj instanceof ctor) throw invalid(what, path, `is ${name}`);
  }
  return obj;
}

/** `STORE_INVALID_VALUE` naming the shortest cycle among `stack` and `obj` (at `path`), if there is one. */
function refuseCycle(obj: object, stack: readonly object[], path: Path, what: string): void {
  if (!stack.includes(obj)) return;
  // The first object met twice on the way down: its second visit refers back to its first.
  const first = new Map<object, number>();
  const chain = [...stack, obj];
  for (let depth = 0; depth < chain.length; depth++) {
    const seen = first.get(chain[depth]!);
    if (seen !== undefined)
      throw invalid(
        what,
        path.slice(0, depth),
        `refers back to ${pathText(path.slice(0, seen))} (a cycle)`,
      );
    first.set(chain[depth]!, depth);
  }
}

/**
 * Walks a value the way JSON.stringify will, refusing what it would drop or change. `stack`
 * holds the objects and arrays above `v`, `path` the keys down to it. The recursion is bounded:
 * it never goes more than `maxDepth` (at most 2048, see the option) levels down.
 */
function walk(
  v: unknown,
  path: (string | number)[],
  what: string,
  stack: object[],
  maxDepth: number,
): void {
  const obj = examine(v, path, what);
  if (obj === null) return;
  if (stack.length >= CYCLE_CHECK_DEPTH || stack.length >= maxDepth)
    refuseCycle(obj, stack, path, what);
  if (stack.length >= maxDepth)
    throw invalid(
      what,
      path,
      `is nested deeper than maxValueDepth (${maxDepth} levels of objects and arrays)`,
    );
  stack.push(obj);
  if (Array.isArray(obj)) {
    for (let i = 0; i < obj.length; i++) {
      path.push(i);
      if (!(i in obj)) throw invalid(what, path, 'is a hole in a sparse array');
      walk(obj[i], path, what, stack, maxDepth);
      path.pop();
    }
  } else {
    for (const k in obj) {
      if (!Object.hasOwn(obj, k)) continue;
      const child = (obj as Record<string, unknown>)[k];
      // An undefined property is left out, as JSON does: `{ a: undefined }` reads back as `{}`.
      if (child === undefined) continue;
      path.push(k);
      walk(child, path, what, stack, maxDepth);
      path.pop();
    }
  }
  stack.pop();
}

/**
 * The JSON text of `value`, or `STORE_INVALID_VALUE` naming why it cannot be stored faithfully
 * and where: undefined (at the top or in an array), functions, symbols, BigInt, cycles (naming
 * the path that refers back and where to), NaN and ±Infinity, sparse arrays, built-ins whose
 * content JSON loses (Map, Set, typed arrays, …), and nesting deeper than `maxDepth` objects and
 * arrays. Never overflows the stack, however deep the value.
 */
export function serialize(value: unknown, maxDepth: number, what = 'the value'): string {
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
  walk(value, [], what, [], maxDepth);
  try {
    return JSON.stringify(value);
  } catch (err) {
    // A getter that throws, or a toJSON that returns something new on its second call.
    throw new StoreError(
      'STORE_INVALID_VALUE',
      `${what} cannot be stored as JSON: ${err instanceof Error ? err.message : String(err)}`,
      { cause: err },
    );
  }
}

/** The JSON text of `metadata` (a plain object), or `null` when absent. */
export function serializeMetadata(metadata: unknown, maxDepth: number): string | null {
  if (metadata === undefined || metadata === null) return null;
  if (typeof metadata !== 'object' || Array.isArray(metadata))
    throw new StoreError(
      'STORE_INVALID_VALUE',
      `metadata must be a plain object or null, got ${Array.isArray(metadata) ? 'an array' : typeof metadata}`,
      { details: { path: '(top)', reason: 'not an object' } },
    );
  return serialize(metadata, maxDepth, 'the metadata');
}
