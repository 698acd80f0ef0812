/** What every reader returns, and helpers shared by the readers. */
import type { SourceRow, UnreadableRow } from '../types.ts';

export interface RecordSource {
  /** The records in file order; throws a MusterError only when the file as a whole cannot be read. */
  readonly records: AsyncIterable<SourceRow | UnreadableRow>;
  /** The header's column names once read (CSV), for the rejected-rows download; undefined for JSON formats. */
  columns(): readonly string[] | undefined;
}

export function isUnreadable(record: SourceRow | UnreadableRow): record is UnreadableRow {
  return 'error' in record;
}

/** How far the first line is looked for (delimiter detection, a preamble). */
const HEAD_MAX_BYTES = 64 * 1024;

/** The start of `bytes` up to its first newline (or HEAD_MAX_BYTES, or the end), and the rest of them, unread. */
export async function peekFirstChunk(bytes: AsyncIterable<Uint8Array>): Promise<{ first: Buffer; rest: AsyncIterable<Uint8Array> }> {
  const iterator = bytes[Symbol.asyncIterator]();
  const parts: Buffer[] = [];
  let size = 0;
  while (size < HEAD_MAX_BYTES) {
    const next = await iterator.next();
    if (next.done) break;
    const part = Buffer.from(next.value);
    parts.push(part);
    size += part.length;
    if (part.includes(0x0a)) break;
  }
  return { first: Buffer.concat(parts, size), rest: { [Symbol.asyncIterator]: () => iterator } };
}
