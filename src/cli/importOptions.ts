/**
 * The arguments of `muster import` and `muster migrate-from`, turned into the
 * job request of the import-job HTTP contract (directory, content type, job
 * options), and the job's Idempotency-Key: a digest of the file's sha256 and
 * everything the request says, so running the same command again names the
 * same job. Pure functions; nothing here reads the file or the network.
 */
import { createHash } from 'node:crypto';
import { extname } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';

export const FORMATS = ['csv', 'ndjson', 'json', 'auth0', 'firebase', 'keycloak', 'cognito', 'entra'] as const;
export const PROVIDERS = ['auth0', 'firebase', 'keycloak', 'cognito', 'entra'] as const;
export type Provider = (typeof PROVIDERS)[number];

/** Bad arguments: reported with the command's usage (exit 64). */
export class UsageError extends Error {}

/** --url, --key, --key-file, --json, --help: every client command has them. */
export const CONNECTION_OPTIONS = {
  url: { type: 'string' },
  key: { type: 'string' },
  'key-file': { type: 'string' },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const satisfies ParseArgsConfig['options'];

export interface ConnectionArgs {
  readonly url: string | undefined;
  readonly key: string | undefined;
  readonly keyFile: string | undefined;
}

const IMPORT_OPTIONS = {
  directory: { type: 'string', short: 'd' },
  format: { type: 'string' },
  map: { type: 'string', multiple: true },
  mode: { type: 'string' },
  'on-conflict': { type: 'string' },
  'dry-run': { type: 'boolean' },
  invite: { type: 'boolean' },
  'redirect-url': { type: 'string' },
  message: { type: 'string' },
  delimiter: { type: 'string' },
  'external-id': { type: 'string' },
  option: { type: 'string', multiple: true },
  attach: { type: 'string' },
  report: { type: 'string' },
  ...CONNECTION_OPTIONS,
} as const satisfies ParseArgsConfig['options'];

/** Firebase's password-hash parameters (`firebase auth:export` prints them): flag -> job option. */
export const FIREBASE_FLAGS = { 'signer-key': 'signerKey', 'salt-separator': 'saltSeparator', rounds: 'rounds', 'mem-cost': 'memCost' } as const;

/** Job options that are secrets: sent in the body (multipart fields), never in the URL, where access logs would keep them. */
export const SECRET_OPTIONS: ReadonlySet<string> = new Set(['signerKey', 'saltSeparator']);

const MIGRATE_OPTIONS = {
  ...IMPORT_OPTIONS,
  'signer-key': { type: 'string' },
  'salt-separator': { type: 'string' },
  rounds: { type: 'string' },
  'mem-cost': { type: 'string' },
} as const satisfies ParseArgsConfig['options'];

/** Options the CLI itself names; --option cannot set them. */
const NAMED_OPTIONS = new Set(['format', 'mode', 'onConflict', 'dryRun', 'invite', 'redirectUrl', 'message', 'mapping', 'delimiter', 'externalId', ...Object.values(FIREBASE_FLAGS)]);

/** A new job: what to upload and with which options. */
export interface UploadRequest {
  readonly file: string;
  readonly directory: string;
  readonly contentType: string;
  /** The job options as the contract names them, defaults left out (so `--mode partial` and no --mode are the same job). */
  readonly options: Readonly<Record<string, string>>;
}

export type ImportCommand = {
  readonly json: boolean;
  readonly help: boolean;
  readonly connection: ConnectionArgs;
  /** --report PATH: the full report (CSV when PATH ends in .csv, else NDJSON). */
  readonly reportPath: string | undefined;
} & ({ readonly kind: 'upload'; readonly upload: UploadRequest } | { readonly kind: 'attach'; readonly jobId: string; readonly file: string | undefined } | { readonly kind: 'help' });

const CONTENT_TYPES: Record<string, string> = {
  '.csv': 'text/csv',
  '.tsv': 'text/csv',
  '.ndjson': 'application/x-ndjson',
  '.jsonl': 'application/x-ndjson',
  '.json': 'application/json',
};
const FORMAT_CONTENT_TYPES: Record<string, string> = {
  csv: 'text/csv',
  cognito: 'text/csv',
  entra: 'text/csv',
  ndjson: 'application/x-ndjson',
  auth0: 'application/json',
  json: 'application/json',
  firebase: 'application/json',
  keycloak: 'application/json',
};

/** The upload's Content-Type: from the file's extension, else from the format; a usage error when neither tells. */
export function contentTypeFor(file: string, format: string | undefined): string {
  const type = CONTENT_TYPES[extname(file).toLowerCase()] ?? (format === undefined ? undefined : FORMAT_CONTENT_TYPES[format]);
  if (type === undefined) throw new UsageError(`cannot tell the format of ${file} from its name; give --format (${FORMATS.join('|')})`);
  return type;
}

function oneOf(flag: string, value: string | undefined, allowed: readonly string[]): string | undefined {
  if (value !== undefined && !allowed.includes(value)) throw new UsageError(`--${flag} must be one of ${allowed.join(', ')} (got "${value}")`);
  return value;
}

/** `--map "E-mail=email"` pairs -> the mapping object (split at the last `=`: source columns may contain one, native fields do not). */
export function mappingOf(pairs: readonly string[]): Record<string, string> {
  const mapping: Record<string, string> = {};
  for (const pair of pairs) {
    const at = pair.lastIndexOf('=');
    if (at <= 0 || at === pair.length - 1) throw new UsageError(`--map takes SOURCE=FIELD, e.g. --map "E-mail=email" (got "${pair}")`);
    mapping[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return mapping;
}

const DELIMITERS: Record<string, string> = { ',': ',', ';': ';', '\t': '\t', '\\t': '\t', tab: '\t' };

function providerOptions(pairs: readonly string[]): Record<string, string> {
  const options: Record<string, string> = {};
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    if (at <= 0) throw new UsageError(`--option takes NAME=VALUE, a job option of the format (got "${pair}")`);
    const name = pair.slice(0, at);
    if (NAMED_OPTIONS.has(name)) throw new UsageError(`--option ${name}: use the command's own flag for it (see --help)`);
    options[name] = pair.slice(at + 1);
  }
  return options;
}

function positiveInteger(flag: string, value: string | undefined): string | undefined {
  if (value !== undefined && !/^[1-9]\d*$/.test(value)) throw new UsageError(`--${flag} must be a positive integer (got "${value}")`);
  return value;
}

type ImportValues = ReturnType<typeof parseArgs<{ args: string[]; allowPositionals: true; options: typeof MIGRATE_OPTIONS }>>['values'];

/** Where Firebase's signer key may come from instead of --signer-key (which the process list shows). */
export const SIGNER_KEY_VARIABLE = 'MUSTER_FIREBASE_SIGNER_KEY';

/** The job options the flags ask for, in the contract's names, with defaults left out. */
function jobOptions(values: ImportValues, format: string | undefined, env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  if (!values.invite && (values['redirect-url'] !== undefined || values.message !== undefined)) {
    throw new UsageError('--redirect-url and --message go with --invite');
  }
  const mode = oneOf('mode', values.mode, ['partial', 'atomic']);
  const onConflict = oneOf('on-conflict', values['on-conflict'], ['fail', 'skip', 'upsert']);
  let delimiter: string | undefined;
  if (values.delimiter !== undefined) {
    delimiter = DELIMITERS[values.delimiter];
    if (delimiter === undefined) throw new UsageError('--delimiter must be one of , ; tab');
  }
  const mapping = mappingOf(values.map ?? []);
  const firebase = Object.entries(FIREBASE_FLAGS).filter(([flag]) => values[flag as keyof typeof FIREBASE_FLAGS] !== undefined);
  if (firebase.length > 0 && format !== 'firebase') throw new UsageError(`--${firebase[0]![0]} is a Firebase option (muster migrate-from firebase)`);
  const options: Record<string, string | undefined> = {
    format,
    ...(mode !== 'partial' && { mode }),
    ...(onConflict !== 'fail' && { onConflict }),
    ...(values['dry-run'] && { dryRun: 'true' }),
    ...(values.invite && { invite: 'true', redirectUrl: values['redirect-url'], message: values.message }),
    ...(Object.keys(mapping).length > 0 && { mapping: JSON.stringify(mapping) }),
    delimiter,
    externalId: values['external-id'],
    signerKey: values['signer-key'] ?? (format === 'firebase' ? env[SIGNER_KEY_VARIABLE] || undefined : undefined),
    saltSeparator: values['salt-separator'],
    rounds: positiveInteger('rounds', values.rounds),
    memCost: positiveInteger('mem-cost', values['mem-cost']),
    ...providerOptions(values.option ?? []),
  };
  return Object.fromEntries(Object.entries(options).filter((entry): entry is [string, string] => entry[1] !== undefined));
}

/**
 * `muster import FILE --directory D ...` (provider undefined) or `muster
 * migrate-from PROVIDER FILE ...` (argv after the provider); `env` may hold
 * the Firebase signer key (SIGNER_KEY_VARIABLE). Throws UsageError.
 */
export function parseImportArgs(argv: readonly string[], provider?: Provider, env: Readonly<Record<string, string | undefined>> = {}): ImportCommand {
  const { values, positionals } = parseArgs({ args: [...argv], allowPositionals: true, options: provider === undefined ? IMPORT_OPTIONS : MIGRATE_OPTIONS, strict: true });
  const v = values as ImportValues;
  const common = {
    json: v.json ?? false,
    help: v.help ?? false,
    connection: { url: v.url, key: v.key, keyFile: v['key-file'] },
    reportPath: v.report,
  };
  if (common.help) return { ...common, kind: 'help' };
  if (positionals.length > 1) throw new UsageError(`one FILE at a time (got ${positionals.length}: ${positionals.join(' ')})`);
  const [file] = positionals;
  if (v.attach !== undefined) return { ...common, kind: 'attach', jobId: v.attach, file };
  if (file === undefined) throw new UsageError('give the FILE to import (or --attach JOB)');
  if (!v.directory) throw new UsageError('--directory <name> is required: the directory the users go into');
  if (provider !== undefined && v.format !== undefined) throw new UsageError(`migrate-from ${provider} sets the format itself; leave out --format`);
  const format = provider ?? oneOf('format', v.format, FORMATS);
  return { ...common, kind: 'upload', upload: { file, directory: v.directory, contentType: contentTypeFor(file, format), options: jobOptions(v, format, env) } };
}

/**
 * The job's Idempotency-Key: sha256 over the file's sha256 and the whole
 * request (directory, content type, every option, sorted), so the same file
 * with the same options names the same job on the same tenant, and any other
 * difference a new one. 75 visible ASCII characters; reveals nothing of the
 * options (the signer key among them).
 */
export function idempotencyKey(fileSha256: string, request: Omit<UploadRequest, 'file'>): string {
  const options = Object.entries(request.options).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const canonical = JSON.stringify(['muster-import/1', fileSha256, request.directory, request.contentType, options]);
  return `muster-import-${createHash('sha256').update(canonical).digest('hex')}`;
}
