/**
 * Keeps CSV records over a size out of csv-parse, which cannot find the next
 * record after one (its `max_record_size` ends the parse): a framing pass over
 * the bytes finds where each record ends, as csv-parse reads them with
 * `relax_quotes` (a `"` opens a quoted field only at the field's start; inside
 * one, `""` is a quote and a lone `"` closes it; a line feed outside quotes
 * ends the record), and forwards records of up to `maxRecordBytes` (line feed
 * aside) unchanged. An oversized record is replaced by a one-field record
 * `<marker>:<n>`, n being the line feeds it held inside quotes, so the reader
 * reports it as one unreadable row and keeps counting lines right.
 *
 * Memory: at most one record (`maxRecordBytes`) is held back, besides the
 * chunk being scanned. Framing only: csv-parse still reads every field.
 */

const QUOTE = 0x22;
const LF = 0x0a;

/** Where the framing is in a record: at a field's start, in an unquoted or a quoted field, or just after a `"` inside a quoted one (an escaped quote if another follows, else the field's end). */
const FIELD_START = 0;
const UNQUOTED = 1;
const QUOTED = 2;
const QUOTE_IN_QUOTED = 3;

export async function* withoutOversizedRecords(
  bytes: AsyncIterable<Uint8Array>,
  delimiter: number,
  maxRecordBytes: number,
  marker: string,
): AsyncGenerator<Buffer> {
  let state: number = FIELD_START;
  /** The current record's bytes from earlier chunks (while it is not oversized). */
  let held: Buffer[] = [];
  let heldBytes = 0;
  /** Set while the current record has passed the limit: its bytes are dropped, its line feeds counted. */
  let oversized = false;
  let droppedLineFeeds = 0;
  const markerRecord = (lineFeeds: number, ended: boolean) => Buffer.from(`${marker}:${lineFeeds}${ended ? '\n' : ''}`);

  for await (const input of bytes) {
    const chunk = Buffer.from(input.buffer, input.byteOffset, input.byteLength);
    const out: Buffer[] = [];
    /** Where the current record starts in this chunk (0 when it began in an earlier one). */
    let recordStart = 0;
    /** Where this chunk's bytes not yet passed on start: whole records from here to `recordStart` go out as one slice. */
    let spanStart = 0;
    for (let i = 0; i < chunk.length; i++) {
      const byte = chunk[i]!;
      let recordEnds = false;
      switch (state) {
        case FIELD_START:
          if (byte === QUOTE) state = QUOTED;
          else if (byte === LF) recordEnds = true;
          else if (byte !== delimiter) state = UNQUOTED;
          break;
        case UNQUOTED:
          if (byte === LF) recordEnds = true;
          else if (byte === delimiter) state = FIELD_START;
          break;
        case QUOTED:
          if (byte === QUOTE) state = QUOTE_IN_QUOTED;
          else if (byte === LF && oversized) droppedLineFeeds += 1;
          break;
        case QUOTE_IN_QUOTED:
          if (byte === QUOTE) state = QUOTED;
          else if (byte === LF) recordEnds = true;
          else if (byte === delimiter) state = FIELD_START;
          else state = UNQUOTED;
          break;
      }
      if (!oversized && !recordEnds && heldBytes + (i + 1 - recordStart) > maxRecordBytes) {
        // Past the limit: the records before it go out; what was held of it, and what of it this chunk has, is dropped.
        out.push(chunk.subarray(spanStart, recordStart));
        oversized = true;
        droppedLineFeeds = countLineFeeds(held) + countLineFeeds([chunk.subarray(recordStart, i + 1)]);
        held = [];
        heldBytes = 0;
      }
      if (recordEnds) {
        if (oversized) {
          out.push(markerRecord(droppedLineFeeds, true));
          oversized = false;
          spanStart = i + 1;
        } else if (heldBytes > 0) {
          // Its start came in earlier chunks: it goes out first, and its rest with this chunk's span.
          out.push(...held);
          held = [];
          heldBytes = 0;
        }
        recordStart = i + 1;
        state = FIELD_START;
      }
    }
    if (!oversized) {
      out.push(chunk.subarray(spanStart, recordStart));
      if (recordStart < chunk.length) {
        held.push(chunk.subarray(recordStart));
        heldBytes += chunk.length - recordStart;
      }
    }
    const passed = out.filter((part) => part.length > 0);
    if (passed.length > 0) yield passed.length === 1 ? passed[0]! : Buffer.concat(passed);
  }
  if (oversized) yield markerRecord(droppedLineFeeds, false);
  else if (heldBytes > 0) yield Buffer.concat(held);
}

function countLineFeeds(parts: readonly Buffer[]): number {
  let count = 0;
  for (const part of parts) for (let at = part.indexOf(LF); at >= 0; at = part.indexOf(LF, at + 1)) count += 1;
  return count;
}
