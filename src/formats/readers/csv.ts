/**
 * CSV reader (RFC 4180), streamed with csv-parse: a well-kept streaming
 * parser that already handles quoted fields with embedded newlines, a BOM,
 * and a record-size cap, so none of that is hand-written here.
 *
 * Contract: UTF-8 with or without a BOM; the delimiter is `,` `;` or tab,
 * detected from the first line when not given; the first record is the
 * header unless the spec names the columns (a headerless file); a spec's
 * `preamble` line is checked and skipped first. A record that cannot be read
 * (bad quoting, a field count that differs from the header's) is an
 * UnreadableRow, and reading goes on. A headerless format's columns are the
 * widest the format defines: a record may stop early (its missing trailing
 * columns are empty: older exports have fewer) or end in empty fields past
 * them (a trailing delimiter, as firebase-tools writes). A record larger than
 * `maxRowBytes` is an UnreadableRow too: csv-parse cannot find the next
 * record after one, so csvRecordSize.ts frames the bytes first and keeps
 * such records from it (an oversized header fails the file). Empty lines are
 * skipped and count no row. Memory: one record at a time (plus the parser's
 * and the framing's buffers of at most `maxRowBytes` each).
 */
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { parse, type CsvError } from 'csv-parse';
import { MusterError } from '../../domain/errors.ts';
import type { SourceRow, UnreadableRow } from '../types.ts';
import { withoutOversizedRecords } from './csvRecordSize.ts';
import { peekFirstChunk, type RecordSource } from './source.ts';

export const CSV_DELIMITERS = [',', ';', '\t'] as const;
export type CsvDelimiter = (typeof CSV_DELIMITERS)[number];

export interface CsvReadOptions {
  readonly columns?: readonly string[];
  readonly preamble?: RegExp;
  readonly delimiter?: CsvDelimiter;
  readonly maxRowBytes: number;
}

/** The delimiter that occurs most often (outside quotes) in the first line; `,` when none does. */
export function detectDelimiter(firstLine: string): CsvDelimiter {
  const counts = new Map<CsvDelimiter, number>(CSV_DELIMITERS.map((d) => [d, 0]));
  let quoted = false;
  for (const char of firstLine) {
    if (char === '"') quoted = !quoted;
    else if (!quoted && counts.has(char as CsvDelimiter)) counts.set(char as CsvDelimiter, counts.get(char as CsvDelimiter)! + 1);
  }
  let best: CsvDelimiter = ',';
  for (const [delimiter, count] of counts) if (count > counts.get(best)!) best = delimiter;
  return best;
}

function unreadable(row: number, line: number | undefined, message: string): UnreadableRow {
  return { row, ...(line !== undefined && { line }), error: new MusterError('import.unreadable_row', message) };
}

export function readCsv(bytes: AsyncIterable<Uint8Array>, options: CsvReadOptions): RecordSource {
  let columns: string[] | undefined = options.columns ? [...options.columns] : undefined;
  async function* records(): AsyncGenerator<SourceRow | UnreadableRow> {
    const { first, rest } = await peekFirstChunk(bytes);
    let head = first[0] === 0xef && first[1] === 0xbb && first[2] === 0xbf ? first.subarray(3) : first;
    let lineOffset = 0;
    if (options.preamble) {
      const end = head.indexOf(0x0a);
      const preambleLine = (end < 0 ? head : head.subarray(0, end)).toString('utf8').replace(/\r$/, '');
      if (!options.preamble.test(preambleLine)) {
        throw new MusterError('import.unreadable_file', 'The file does not start with the line this format requires.');
      }
      head = end < 0 ? Buffer.alloc(0) : head.subarray(end + 1);
      lineOffset = 1;
    }
    const firstLineEnd = head.indexOf(0x0a);
    const delimiter = options.delimiter ?? detectDelimiter((firstLineEnd < 0 ? head : head.subarray(0, firstLineEnd)).toString('utf8'));
    const skipped: CsvError[] = [];
    // Stands for an oversized record; random, so no file can hold it.
    const oversizedMarker = `\u0000muster-oversized-${randomBytes(8).toString('hex')}`;
    const framed = withoutOversizedRecords(
      (async function* () {
        yield head;
        yield* rest;
      })(),
      delimiter.charCodeAt(0),
      options.maxRowBytes,
      oversizedMarker,
    );
    const parser = Readable.from(framed).pipe(
      parse({
        delimiter,
        bom: true,
        info: true,
        raw: true,
        relax_column_count: true,
        relax_quotes: true,
        skip_empty_lines: true,
        skip_records_with_error: true,
        max_record_size: options.maxRowBytes,
        on_skip: (error) => void (error && skipped.push(error)),
      }),
    );
    let row = 0;
    const drainSkipped = function* (): Generator<UnreadableRow> {
      for (const error of skipped.splice(0)) {
        const line = typeof (error as { lines?: unknown }).lines === 'number' ? (error as unknown as { lines: number }).lines + lineOffset : undefined;
        // Kept from csv-parse by the framing; should one get through, it cannot resync after it.
        if (error.code === 'CSV_MAX_RECORD_SIZE') {
          throw new MusterError('import.unreadable_file', `The record at line ${line ?? '?'} is larger than ${options.maxRowBytes} bytes (IMPORT_MAX_ROW_BYTES).`);
        }
        row += 1;
        yield unreadable(row, line, `The record could not be read: ${error.message.replace(/^[^:]*: ?/, '')}.`);
      }
    };
    for await (const { record, info, raw } of parser as AsyncIterable<{ record: string[]; info: { lines: number }; raw: string }>) {
      yield* drainSkipped();
      const line = info.lines - (raw.replace(/^[\r\n]+|[\r\n]+$/g, '').match(/\n/g)?.length ?? 0) + lineOffset;
      if (record.length === 1 && record[0]!.startsWith(oversizedMarker)) {
        if (columns === undefined) throw new MusterError('import.unreadable_file', `The header is larger than ${options.maxRowBytes} bytes (IMPORT_MAX_ROW_BYTES).`);
        row += 1;
        yield unreadable(row, line, `The record is larger than ${options.maxRowBytes} bytes (IMPORT_MAX_ROW_BYTES); it was skipped.`);
        // The lines it spanned inside quotes, which csv-parse never saw.
        lineOffset += Number(record[0]!.slice(oversizedMarker.length + 1));
        continue;
      }
      if (columns === undefined) {
        columns = record.map((name) => name.trim());
        continue;
      }
      row += 1;
      if (options.columns) fitToNamedColumns(record, columns.length);
      if (record.length !== columns.length) {
        yield unreadable(row, line, `The record has ${record.length} fields; the header has ${columns.length}.`);
        continue;
      }
      const fields: Record<string, string> = {};
      columns.forEach((name, i) => (fields[name] = record[i]!));
      yield { row, line, fields };
    }
    yield* drainSkipped();
  }
  return { records: records(), columns: () => columns };
}

/** A headerless record fitted to its format's columns (see the contract): padded with empty fields, or cut where only empty fields follow. */
function fitToNamedColumns(record: string[], width: number): void {
  while (record.length < width) record.push('');
  if (record.length > width && record.slice(width).every((field) => field === '')) record.length = width;
}
