import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { invalidArgument, StoreError } from './errors.js';
import type { ExportRow } from './transfer-backend.js';

/** What `import()` reads: a file path, a Node stream, or any async iterable of text or bytes. */
export type ImportSource = string | NodeJS.ReadableStream | AsyncIterable<string | Uint8Array>;

// Stored JSON text is JSON.stringify's output, which never holds a raw line break; a value that
// came from elsewhere (the seed's layout) might, and would split its line: it is re-serialized.
const LINE_BREAK = /[\n\r]/;

function jsonText(text: string): string {
  return LINE_BREAK.test(text) ? JSON.stringify(JSON.parse(text)) : text;
}

/**
 * One entry as a JSON Lines record (with its `\n`). The stored JSON text of the value and the
 * metadata is embedded as is, so that what is exported is byte for byte what was stored.
 */
export function formatLine(r: ExportRow): string {
  return `{"namespace":${JSON.stringify(r.namespace)},"key":${JSON.stringify(r.key)},"value":${jsonText(r.value)},"dataType":${JSON.stringify(r.dataType)},"metadata":${r.metadata === null ? 'null' : jsonText(r.metadata)},"version":${r.version},"createdAt":${r.createdAt},"updatedAt":${r.updatedAt},"expiresAt":${r.expiresAt === null ? 'null' : r.expiresAt}}\n`;
}

/** A `STORE_IMPORT_INVALID` naming the line. */
export function invalidLine(line: number, reason: string, cause?: unknown): StoreError {
  return new StoreError(
    'STORE_IMPORT_INVALID',
    `import refused: line ${line}: ${reason}; nothing was imported`,
    {
      details: { line, reason },
      ...(cause === undefined ? {} : { cause }),
    },
  );
}

function chunksOf(source: ImportSource): AsyncIterable<unknown> {
  if (typeof source === 'string') {
    if (source.length === 0 || source.includes('\0'))
      throw invalidArgument(
        'source',
        source,
        'a file path, a readable stream or an async iterable',
      );
    return createReadStream(source);
  }
  if (source !== null && typeof source === 'object') {
    if (Symbol.asyncIterator in source) return source as AsyncIterable<unknown>;
    // An old-style stream (`on('data')` without async iteration).
    if (typeof (source as NodeJS.ReadableStream).on === 'function')
      return new Readable({ objectMode: false }).wrap(source as NodeJS.ReadableStream);
  }
  throw invalidArgument('source', source, 'a file path, a readable stream or an async iterable');
}

/**
 * The lines of `source` (without their `\n` or `\r\n`; a leading BOM dropped), read chunk by
 * chunk: memory holds one chunk and one line. A line longer than `maxLength` characters is
 * refused with `STORE_IMPORT_INVALID` rather than buffered without bound.
 */
export async function* readLines(source: ImportSource, maxLength: number): AsyncGenerator<string> {
  const decoder = new StringDecoder('utf8');
  let rest = '';
  let line = 0;
  const emit = (text: string): string => {
    line++;
    let t = text.endsWith('\r') ? text.slice(0, -1) : text;
    if (line === 1 && t.charCodeAt(0) === 0xfeff) t = t.slice(1);
    if (t.length > maxLength)
      throw invalidLine(line, `the line is longer than ${maxLength} characters`);
    return t;
  };
  const chunks = chunksOf(source);
  try {
    for await (const chunk of chunks) {
      let text: string;
      if (typeof chunk === 'string') text = chunk;
      else if (chunk instanceof Uint8Array)
        text = decoder.write(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
      else throw invalidArgument('source chunk', chunk, 'a string or a Uint8Array');
      let start = 0;
      for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', start)) {
        const piece = rest + text.slice(start, nl);
        rest = '';
        start = nl + 1;
        yield emit(piece);
      }
      rest += text.slice(start);
      if (rest.length > maxLength)
        throw invalidLine(line + 1, `the line is longer than ${maxLength} characters`);
    }
  } catch (err) {
    if (err instanceof StoreError) throw err;
    const code = (err as { code?: unknown }).code;
    throw new StoreError(
      'STORE_INVALID_ARGUMENT',
      `could not read the import source: ${err instanceof Error ? err.message : String(err)}`,
      {
        cause: err,
        details: { argument: 'source', ...(typeof code === 'string' ? { code } : {}) },
      },
    );
  }
  rest += decoder.end();
  if (rest.length > 0) yield emit(rest);
}
