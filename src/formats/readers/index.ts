/** The readers: a ReaderSpec and the stored file's bytes -> records (see formats/types.ts). */
import type { ReaderSpec } from '../types.ts';
import { readCsv, type CsvDelimiter } from './csv.ts';
import { readJson } from './json.ts';
import { readNdjson } from './ndjson.ts';
import type { RecordSource } from './source.ts';

export { CSV_DELIMITERS, type CsvDelimiter } from './csv.ts';
export { isUnreadable, type RecordSource } from './source.ts';

export interface ReadOptions {
  /** CSV only; detected from the first line when absent. */
  readonly delimiter?: CsvDelimiter;
  /** The largest record accepted; a larger one is an unreadable row. */
  readonly maxRowBytes: number;
}

export function readRecords(spec: ReaderSpec, bytes: AsyncIterable<Uint8Array>, options: ReadOptions): RecordSource {
  switch (spec.kind) {
    case 'csv':
      return readCsv(bytes, {
        maxRowBytes: options.maxRowBytes,
        ...(spec.columns && { columns: spec.columns }),
        ...(spec.preamble && { preamble: spec.preamble }),
        ...(options.delimiter && { delimiter: options.delimiter }),
      });
    case 'ndjson':
      return readNdjson(bytes, options);
    case 'json':
      return readJson(bytes, spec.member === undefined ? {} : { member: spec.member });
  }
}
