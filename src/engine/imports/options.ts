/**
 * An import request's options, from the query (or form fields) as strings:
 * the pipeline's own (format, mode, onConflict, dryRun, invite, redirectUrl,
 * message, delimiter) and the rest, which belong to the format (`mapping`,
 * `externalId` for the native formats; a provider's hash parameters) and are
 * checked by its parseOptions. Every problem is `import.invalid_options`
 * naming the option; nothing is stored or queued before they pass.
 */
import { BATCH_MODES, CONFLICT_POLICIES, type BatchMode, type ConflictPolicy } from '../../domain/batch.ts';
import { MusterError } from '../../domain/errors.ts';
import type { ImportOptions } from '../../domain/importJob.ts';
import { findFormat, formatNameFor, IMPORT_FORMAT_NAMES } from '../../formats/index.ts';
import { CSV_DELIMITERS } from '../../formats/readers/index.ts';
import type { ImportFormat } from '../../formats/types.ts';

const PIPELINE_OPTIONS = new Set(['format', 'mode', 'onConflict', 'dryRun', 'invite', 'redirectUrl', 'message', 'delimiter']);

/** The format a body's media type implies when `format` is absent. */
const FORMAT_BY_MEDIA_TYPE: Readonly<Record<string, string>> = {
  'text/csv': 'csv',
  'application/x-ndjson': 'ndjson',
  'application/jsonl': 'ndjson',
  'application/json': 'json',
};

export interface ImportRequest {
  readonly format: ImportFormat;
  readonly options: ImportOptions;
  /** Handed to the format's parseOptions when the job runs (already checked once here). */
  readonly formatOptions: Readonly<Record<string, string>>;
}

const invalid = (option: string, message: string) => new MusterError('import.invalid_options', message, { option });

function oneOf<T extends string>(raw: Readonly<Record<string, string>>, option: string, allowed: readonly T[], fallback: T): T {
  const value = raw[option];
  if (value === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(value)) throw invalid(option, `${option} must be one of ${allowed.join(', ')}.`);
  return value as T;
}

function flag(raw: Readonly<Record<string, string>>, option: string): boolean {
  const value = raw[option];
  if (value === undefined || value === 'false') return false;
  if (value === 'true') return true;
  throw invalid(option, `${option} must be true or false.`);
}

export function parseImportRequest(raw: Readonly<Record<string, string>>, mediaType: string | undefined): ImportRequest {
  const named = raw.format ?? (mediaType && FORMAT_BY_MEDIA_TYPE[mediaType]) ?? 'csv';
  const formatName = formatNameFor(named, mediaType);
  const format = findFormat(formatName);
  if (!format) throw invalid('format', `format must be one of ${IMPORT_FORMAT_NAMES.join(', ')}.`);
  const mode: BatchMode = oneOf(raw, 'mode', BATCH_MODES, 'partial');
  const onConflict: ConflictPolicy = oneOf(raw, 'onConflict', CONFLICT_POLICIES, 'fail');
  const dryRun = flag(raw, 'dryRun');
  const invite = flag(raw, 'invite');
  const delimiterName = raw.delimiter === '\\t' || raw.delimiter === 'tab' ? '\t' : raw.delimiter;
  if (delimiterName !== undefined && !(CSV_DELIMITERS as readonly string[]).includes(delimiterName)) throw invalid('delimiter', 'delimiter must be one of , ; or a tab.');
  for (const option of ['redirectUrl', 'message'] as const) {
    if (raw[option] !== undefined && !invite) throw invalid(option, `${option} needs invite=true.`);
  }
  const formatOptions = Object.fromEntries(Object.entries(raw).filter(([key]) => !PIPELINE_OPTIONS.has(key)));
  format.parseOptions(formatOptions);
  let mapping: Record<string, string> | undefined;
  if (raw.mapping !== undefined) {
    try {
      mapping = JSON.parse(raw.mapping) as Record<string, string>;
    } catch {
      throw invalid('mapping', 'mapping must be a JSON object of source column -> field.');
    }
  }
  const options: ImportOptions = {
    mode,
    onConflict,
    dryRun,
    invite,
    ...(raw.redirectUrl !== undefined && { redirectUrl: raw.redirectUrl }),
    ...(raw.message !== undefined && { message: raw.message }),
    ...(mapping !== undefined && { mapping }),
    ...(delimiterName !== undefined && { delimiter: delimiterName }),
    ...(raw.externalId !== undefined && { externalId: raw.externalId }),
  };
  return { format, options, formatOptions };
}
