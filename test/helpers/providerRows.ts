/**
 * SourceRows as the import readers hand them to a format's `map`, read from
 * the provider fixtures (test/fixtures/providers): a JSON array element as
 * parsed; a CSV record as header (or the format's column name) -> cell text.
 * csv-parse stands in for the pipeline's CSV reader here, so these tests
 * exercise the mappers only.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import type { ReaderSpec, SourceRow } from '../../src/formats/types.ts';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/providers/${name}`, import.meta.url), 'utf8');

export function fixtureRows(name: string, reader: ReaderSpec): SourceRow[] {
  const text = fixture(name);
  if (reader.kind === 'json') {
    const document: unknown = JSON.parse(text);
    const elements = (reader.member ? (document as Record<string, unknown>)[reader.member] : document) as unknown[];
    return elements.map((fields, index) => ({ row: index + 1, fields: fields as Record<string, unknown> }));
  }
  if (reader.kind !== 'csv') throw new Error(`no fixture reader for ${reader.kind}`);
  let body = text;
  if (reader.preamble) {
    const [first, ...rest] = text.split('\n');
    if (!reader.preamble.test(first!)) throw new Error(`${name}: the first line is not the format's preamble`);
    body = rest.join('\n');
  }
  const records = parse(body, { relax_column_count: true, skip_empty_lines: true }) as string[][];
  const header = reader.columns ?? records.shift()!;
  return records.map((record, index) => ({ row: index + 1, fields: Object.fromEntries(header.map((column, i) => [column, record[i] ?? ''])) }));
}
