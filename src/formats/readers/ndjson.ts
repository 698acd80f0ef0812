/**
 * NDJSON reader: one JSON object per line, split on the bytes (so a chunk
 * boundary inside a UTF-8 character is harmless). A line that is not JSON,
 * not an object, or longer than `maxRowBytes` is an UnreadableRow and reading
 * goes on; blank lines count no row. Memory: one line (at most maxRowBytes).
 */
import { MusterError } from '../../domain/errors.ts';
import type { SourceRow, UnreadableRow } from '../types.ts';
import type { RecordSource } from './source.ts';

const NEWLINE = 0x0a;

/** The lines of `bytes` with their numbers (from 1); a line over `maxBytes` comes back as null. */
async function* lines(bytes: AsyncIterable<Uint8Array>, maxBytes: number): AsyncGenerator<{ line: number; text: string | null }> {
  let parts: Buffer[] = [];
  let size = 0;
  let tooLong = false;
  let line = 0;
  const finish = () => {
    line += 1;
    const text = tooLong ? null : Buffer.concat(parts, size).toString('utf8');
    parts = [];
    size = 0;
    tooLong = false;
    return { line, text };
  };
  for await (const chunk of bytes) {
    let start = 0;
    const buffer = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    for (let end = buffer.indexOf(NEWLINE, start); end >= 0; end = buffer.indexOf(NEWLINE, start)) {
      if (!tooLong) parts.push(buffer.subarray(start, end));
      size += end - start;
      if (size > maxBytes) tooLong = true;
      yield finish();
      start = end + 1;
    }
    if (start < buffer.length) {
      size += buffer.length - start;
      if (size > maxBytes) tooLong = true;
      if (!tooLong) parts.push(Buffer.from(buffer.subarray(start)));
    }
  }
  if (size > 0 || tooLong) yield finish();
}

export function readNdjson(bytes: AsyncIterable<Uint8Array>, options: { readonly maxRowBytes: number }): RecordSource {
  async function* records(): AsyncGenerator<SourceRow | UnreadableRow> {
    let row = 0;
    for await (const { line, text } of lines(bytes, options.maxRowBytes)) {
      const trimmed = text?.replace(/^\uFEFF/, '').trim();
      if (trimmed === '') continue;
      row += 1;
      if (trimmed === undefined) {
        yield { row, line, error: new MusterError('import.unreadable_row', `The line is longer than ${options.maxRowBytes} bytes.`) };
        continue;
      }
      let value: unknown;
      try {
        value = JSON.parse(trimmed);
      } catch {
        yield { row, line, error: new MusterError('import.unreadable_row', 'The line is not valid JSON.') };
        continue;
      }
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        yield { row, line, error: new MusterError('import.unreadable_row', 'The line is not a JSON object.') };
        continue;
      }
      yield { row, line, fields: value as Record<string, unknown> };
    }
  }
  return { records: records(), columns: () => undefined };
}
