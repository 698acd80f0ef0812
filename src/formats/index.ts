/** The import formats by name: the native ones (csv, ndjson, json) and the identity-provider exports. */
import { NATIVE_FORMATS } from './native.ts';
import { PROVIDER_FORMATS } from './providers/index.ts';
import type { ImportFormat } from './types.ts';

export const IMPORT_FORMATS: readonly ImportFormat[] = [...(NATIVE_FORMATS as readonly ImportFormat[]), ...PROVIDER_FORMATS];

export const IMPORT_FORMAT_NAMES: readonly string[] = IMPORT_FORMATS.map((format) => format.name);

export function findFormat(name: string): ImportFormat | undefined {
  return IMPORT_FORMATS.find((format) => format.name === name);
}

/**
 * Formats whose export comes as JSON or as CSV under one provider name: a
 * text/csv body chooses the CSV variant (`firebase` with Firebase's headerless
 * CSV is `firebase-csv`, which may also be named directly).
 */
const CSV_VARIANTS: Readonly<Record<string, string>> = { firebase: 'firebase-csv' };

/** The format a job named `name` reads, given its body's media type. */
export function formatNameFor(name: string, mediaType: string | undefined): string {
  return mediaType === 'text/csv' ? (CSV_VARIANTS[name] ?? name) : name;
}
