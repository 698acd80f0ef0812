/** Schemas of the import-job routes (native dialect); the OpenAPI document is generated from them. */
import { Type, type Static, type TSchema } from 'typebox';
import { LIST_DEFAULT_LIMIT, LIST_MAX_LIMIT } from '../../config.ts';
import { IMPORT_STATUSES, REPORT_STATUSES } from '../../domain/importJob.ts';
import { Defaulted } from '../validation.ts';

const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
const DateTime = Type.String({ format: 'date-time' });
const Count = Type.Integer({ minimum: 0 });

export const ImportJobBody = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    directory: Type.String({ description: 'The directory\'s name.' }),
    directoryId: Type.String({ format: 'uuid' }),
    status: Type.Enum(IMPORT_STATUSES),
    format: Type.String(),
    options: Type.Object(
      {
        mode: Type.String(),
        onConflict: Type.String(),
        dryRun: Type.Boolean(),
        invite: Type.Boolean(),
        redirectUrl: Type.Optional(Type.String()),
        message: Type.Optional(Type.String()),
        mapping: Type.Optional(Type.Record(Type.String(), Type.String())),
        delimiter: Type.Optional(Type.String()),
        externalId: Type.Optional(Type.String()),
      },
      { description: 'The pipeline\'s options; a provider format\'s own options (a signer key) are never shown.' },
    ),
    bytes: Count,
    totals: Type.Object({
      rows: Nullable(Count),
      processed: Count,
      created: Count,
      updated: Count,
      skipped: Count,
      failed: Count,
    }),
    progress: Type.Object({ percent: Type.Integer({ minimum: 0, maximum: 100 }), rowsPerSecond: Type.Number(), etaSeconds: Nullable(Type.Number()) }),
    failures: Type.Array(Type.Object({ code: Type.String(), count: Count }), { description: 'The most frequent error codes, most frequent first (at most 10).' }),
    error: Nullable(Type.Object({ code: Type.String(), message: Type.String() })),
    undo: Nullable(
      Type.Object({
        status: Type.String(),
        deleted: Count,
        kept: Count,
        keptChanged: Count,
        keptGone: Count,
        at: Nullable(DateTime),
      }),
    ),
    createdAt: DateTime,
    startedAt: Nullable(DateTime),
    finishedAt: Nullable(DateTime),
  },
  { description: 'An import job.' },
);
export type ImportJobWire = Static<typeof ImportJobBody>;

export const ImportPageBody = Type.Object({ imports: Type.Array(ImportJobBody), nextCursor: Nullable(Type.String()) });

export const ImportParams = Type.Object({ id: Type.String({ maxLength: 64 }) });

export const ImportListQuery = Type.Object({
  cursor: Type.Optional(Type.String({ maxLength: 512 })),
  limit: Defaulted(Type.Integer({ minimum: 1, maximum: LIST_MAX_LIMIT, default: LIST_DEFAULT_LIMIT })),
});

const option = (description: string) => Type.Optional(Type.String({ maxLength: 65_536, description }));
/** Options arrive as strings and are checked by the engine, so every problem is `import.invalid_options` naming the option. */
export const ImportStartQuery = Type.Object(
  {
    format: option('csv | ndjson | json | auth0 | firebase | keycloak | cognito | entra; default from the Content-Type.'),
    mode: option('partial (default): valid rows are written | atomic: nothing is kept unless every row is valid.'),
    onConflict: option('fail (default) | skip | upsert.'),
    dryRun: option('true | false.'),
    invite: option('true | false: invite every created user by email.'),
    redirectUrl: option('With invite: where the invitation page sends the person.'),
    message: option('With invite: a note in the mail.'),
    mapping: option('JSON object, source column -> field, e.g. {"E-mail":"email"}.'),
    delimiter: option(', or ; or \\t (CSV; detected when absent).'),
    externalId: option('The source column that carries the external id.'),
  },
  { additionalProperties: Type.String({ maxLength: 65_536 }), description: 'Further options belong to the format (Firebase: signerKey, saltSeparator, rounds, memCost).' },
);

export const ImportStartHeaders = Type.Object({
  'idempotency-key': Type.Optional(Type.String({ minLength: 1, maxLength: 255, description: 'The same key (same tenant) answers the job it started, 200, without a second upload.' })),
});

export const ReportQuery = Type.Object({
  status: Defaulted(Type.Enum(['all', ...REPORT_STATUSES] as const, { default: 'all' })),
  format: Defaulted(Type.Enum(['ndjson', 'csv'] as const, { default: 'ndjson' })),
  rejected: Defaulted(
    Type.Boolean({
      default: false,
      description: 'With status=failed&format=csv: the failed rows in the input\'s own columns plus `error` ("code: message (field)"), to fix and upload again (CSV inputs).',
    }),
  ),
});
