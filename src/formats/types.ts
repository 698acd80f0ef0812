/**
 * The contract between import file readers, format mappers and the import
 * pipeline (DESIGN.md "Import jobs"). Pure types: formats/ turns bytes into
 * drafts and per-row errors and knows nothing about the store or HTTP.
 *
 * A reader (csv, ndjson, json array, json object member) streams SourceRows
 * from the stored file; a mapper turns one SourceRow into a UserDraft or a
 * per-row error. A malformed record is a row with an error, never a failed
 * job; only a file that cannot be read at all (wrong encoding of the whole
 * file, a JSON document that is not an array where one is required) fails it.
 */
import type { MusterError } from '../domain/errors.ts';
import type { UserDraft } from '../domain/user.ts';

/** One input record as read. `row` counts data records from 1; `line` is the first source line of the record (CSV, NDJSON). */
export interface SourceRow {
  readonly row: number;
  readonly line?: number;
  /** CSV: header -> cell text (headerless formats name their columns); JSON formats: the parsed object. */
  readonly fields: Readonly<Record<string, unknown>>;
}

/** A record the reader could not read (bad quoting, invalid JSON on an NDJSON line): a failed row in the report. */
export interface UnreadableRow {
  readonly row: number;
  readonly line?: number;
  readonly error: MusterError;
}

/** How a format's file is read: which reader, with what settings. */
export type ReaderSpec =
  | {
      readonly kind: 'csv';
      /** Column names for a headerless file (Firebase's CSV); absent: the first record is the header. */
      readonly columns?: readonly string[];
      /** A first line that precedes the header and is checked, then skipped (Entra's `version:v1.0`). */
      readonly preamble?: RegExp;
    }
  | { readonly kind: 'ndjson' }
  /** A JSON array, at the top level or as the member `member` of the top-level object (`{"users": [...]}`), streamed element by element. */
  | { readonly kind: 'json'; readonly member?: string };

/**
 * A mapper's answer for one row: the draft to create, why the row cannot
 * become one, or that the row is not a user at all (Entra's template example
 * row): `skip` is reported as a skipped row with its reason, never created,
 * and is no failure (an atomic job goes on).
 */
export type MappedRow = { readonly draft: UserDraft } | { readonly error: MusterError } | { readonly skip: MusterError };

/**
 * A file format: how it is read and how one record becomes a draft.
 * `Options` are the format's own job options (Firebase's hash parameters),
 * validated once when the job is created by `parseOptions`, which throws a
 * MusterError (`import.invalid_options`) naming the option at fault.
 */
export interface ImportFormat<Options = unknown> {
  readonly name: string;
  readonly reader: ReaderSpec;
  parseOptions(raw: Readonly<Record<string, string>>): Options;
  map(row: SourceRow, options: Options): MappedRow;
}
