/**
 * Import jobs over the native API (/v1): start one from an uploaded file,
 * follow it (JSON, Server-Sent Events), download its report, cancel, undo,
 * delete. Thin: each route parses, calls one engine function, renders.
 *
 * The upload is never buffered: these routes take the body as the raw
 * request stream (for text/csv, application/x-ndjson, application/jsonl and
 * application/json), which the engine writes to the database as it arrives;
 * IMPORT_MAX_BYTES (not BODY_LIMIT_BYTES) bounds it. The report is streamed
 * from the store a page at a time.
 */
import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import multipart, { type Multipart } from '@fastify/multipart';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { isMusterError, MusterError } from '../../domain/errors.ts';
import { isFinished, progressOf, topFailures, type ImportJob } from '../../domain/importJob.ts';
import type { Engine } from '../../engine/engine.ts';
import type { ReportRow } from '../../engine/imports/index.ts';
import { actorOf } from '../auth/apiKeyAuth.ts';
import { errorResponses } from './openapi.ts';
import { DirectoryParams } from './schemas.ts';
import { ImportJobBody, ImportListQuery, ImportPageBody, ImportParams, ImportStartHeaders, ImportStartQuery, ReportQuery, type ImportJobWire } from './importSchemas.ts';

const UPLOAD_MEDIA_TYPES = ['text/csv', 'application/x-ndjson', 'application/jsonl', 'application/json'];
/** How often the event stream looks at the job (the contract: at least once a second). */
const EVENT_INTERVAL_MS = 500;
const REPORT_COLUMNS = ['row', 'line', 'status', 'userId', 'username', 'code', 'message', 'field'] as const;

export function renderImportJob(job: ImportJob, now: Date = new Date()): ImportJobWire {
  const iso = (date: Date | null) => date?.toISOString() ?? null;
  return {
    id: job.id,
    directory: job.directoryName,
    directoryId: job.directoryId,
    // `uploading` is never shown; a replayed request can see its job before the upload finished.
    status: job.status === 'uploading' ? 'queued' : job.status,
    format: job.format,
    options: { ...job.options },
    bytes: job.bytes,
    totals: { ...job.totals },
    progress: progressOf(job, now),
    failures: topFailures(job.failureCounts),
    error: job.error,
    undo: job.undo && {
      status: job.undo.status,
      deleted: job.undo.deleted,
      kept: job.undo.kept,
      keptChanged: job.undo.keptChanged,
      keptGone: job.undo.keptGone,
      at: job.undo.at,
    },
    createdAt: job.createdAt.toISOString(),
    startedAt: iso(job.startedAt),
    finishedAt: iso(job.finishedAt),
  };
}

/** One RFC 4180 field: quoted when it holds a delimiter, a quote or a line break. */
function csvField(value: unknown): string {
  const text = value === null || value === undefined ? '' : typeof value === 'string' ? value : JSON.stringify(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}
const csvLine = (fields: readonly unknown[]) => `${fields.map(csvField).join(',')}\r\n`;

function reportLine(row: ReportRow): Record<string, unknown> {
  return Object.fromEntries(REPORT_COLUMNS.map((column) => [column, row[column]]).filter(([, value]) => value !== null));
}

function errorText(row: ReportRow): string {
  return `${row.code ?? ''}: ${row.message ?? ''}${row.field ? ` (${row.field})` : ''}`;
}

async function* renderReport(rows: AsyncIterable<ReportRow>, format: 'ndjson' | 'csv', rejectedColumns: readonly string[] | null): AsyncGenerator<string> {
  if (format === 'ndjson') {
    for await (const row of rows) yield `${JSON.stringify(reportLine(row))}\n`;
    return;
  }
  if (rejectedColumns) {
    yield csvLine([...rejectedColumns, 'error']);
    for await (const row of rows) yield csvLine([...rejectedColumns.map((column) => row.source?.[column] ?? ''), errorText(row)]);
    return;
  }
  yield csvLine(REPORT_COLUMNS);
  for await (const row of rows) yield csvLine(REPORT_COLUMNS.map((column) => row[column]));
}

/** What a fault of the multipart body itself (not of the file in it) is: the client's, 400. */
function malformedMultipart(error: unknown): unknown {
  if (isMusterError(error)) return error;
  const { code, message } = error as { code?: string; message?: string };
  return new MusterError(
    'request.malformed_multipart',
    code === 'FST_FILES_LIMIT' ? 'Send one file, in the part `file`; this body has another file part.' : `The multipart/form-data body could not be read: ${message ?? String(error)}.`,
  );
}

/** The parts of a multipart body, the parser's errors turned into `request.malformed_multipart`. */
function multipartParts(parts: AsyncIterator<Multipart>): AsyncIterator<Multipart> {
  return {
    next: () => parts.next().catch((error: unknown) => Promise.reject(malformedMultipart(error))),
  };
}

/**
 * The file part's bytes, then the rest of the body read to its end, so that
 * the engine keeps the upload only once the body has ended well-formed: a
 * field after the file (an option that would be ignored) or a body cut short
 * fails the upload, and no job is left behind.
 */
async function* fileThenRest(file: Readable, rest: AsyncIterator<Multipart>): AsyncGenerator<Uint8Array> {
  try {
    yield* file;
  } catch (error) {
    throw malformedMultipart(error);
  }
  for (let part = await rest.next(); !part.done; part = await rest.next()) {
    if (part.value.type === 'field') {
      throw new MusterError('import.invalid_options', `Options go before the part \`file\`; the field "${part.value.fieldname}" came after it.`, { option: part.value.fieldname });
    }
    part.value.file.resume();
  }
}

export function importRoutes(app: FastifyInstance, engine: Engine): void {
  // Its own context: the upload media types are taken as raw streams here only.
  void app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser(UPLOAD_MEDIA_TYPES, (_request, payload, done) => done(null, payload));
    // multipart/form-data: @fastify/multipart (busboy) streams the parts; the size limit is IMPORT_MAX_BYTES, enforced by the engine.
    await scope.register(multipart, { limits: { fileSize: Infinity, files: 1 }, throwFileSizeLimit: false });
    const r = scope.withTypeProvider<TypeBoxTypeProvider>();
    const tags = ['imports'];
    const job = { 200: ImportJobBody };

    r.post(
      '/directories/:directory/imports',
      {
        config: { scope: 'users:write' },
        schema: {
          tags,
          summary: 'Start an import job from a file',
          description:
            'The body is the file (text/csv, application/x-ndjson or application/json; or multipart/form-data with the file in the part `file` and options as fields before it), streamed into the database as it arrives, up to IMPORT_MAX_BYTES ' +
            '(default 2 GiB; more is 413 `request.too_large`). Options are query parameters. 202 with the job and `Location: /v1/imports/{id}`; ' +
            'with `Idempotency-Key`, a repeat answers 200 with the job the first request started and reads no body. Bad options, or a multipart field after the part `file`, are 400 ' +
            '`import.invalid_options` (`details.option`); a multipart body that is not well-formed to its closing boundary (or holds a second file) is 400 `request.malformed_multipart`, and no job is left; more than IMPORT_MAX_QUEUED_PER_TENANT unfinished jobs is 429 `import.too_many_jobs` with `Retry-After`.',
          params: DirectoryParams,
          querystring: ImportStartQuery,
          headers: ImportStartHeaders,
          response: { 202: ImportJobBody, ...job, ...errorResponses(400, 401, 403, 404, 413, 415, 429) },
        },
      },
      async (request, reply) => {
        const idempotencyKey = request.headers['idempotency-key'];
        const start = (raw: Record<string, string>, mediaType: string | undefined, body: AsyncIterable<Uint8Array>) =>
          engine.imports.start(actorOf(request), request.params.directory, { raw, mediaType, ...(idempotencyKey !== undefined && { idempotencyKey }) }, body);
        let outcome: Awaited<ReturnType<typeof start>> | undefined;
        if (request.isMultipart()) {
          // Options are the query and the fields before the part `file`. The job's upload is the file
          // followed by the rest of the body, so a job is kept only when the whole body is well-formed.
          const raw: Record<string, string> = { ...(request.query as Record<string, string>) };
          const parts = multipartParts(request.parts()[Symbol.asyncIterator]());
          for (let part = await parts.next(); !part.done; part = await parts.next()) {
            const current = part.value;
            if (current.type === 'field') raw[current.fieldname] = String(current.value);
            else if (current.fieldname !== 'file') current.file.resume();
            else {
              outcome = await start(raw, current.mimetype === 'application/octet-stream' ? undefined : current.mimetype, fileThenRest(current.file, parts));
              current.file.resume(); // unread when the job was a replay
            }
          }
          if (!outcome) throw new MusterError('request.body_required', 'Send the file in the multipart part `file`.', { field: 'file' });
        } else {
          const body = request.body as Readable | undefined;
          if (!body) throw new MusterError('request.body_required', 'Send the file as the body (text/csv, application/x-ndjson or application/json).');
          outcome = await start(request.query as Record<string, string>, request.headers['content-type']?.split(';')[0]?.trim().toLowerCase(), body);
          if (outcome.replayed) body.resume(); // the earlier request stored the file; this body is not read
        }
        const { job: started, replayed } = outcome;
        return reply.code(replayed ? 200 : 202).header('location', `/v1/imports/${started.id}`).send(renderImportJob(started));
      },
    );

    const listing = (summary: string) => ({ tags, summary, querystring: ImportListQuery, response: { 200: ImportPageBody, ...errorResponses(400, 401, 403, 404) } });
    r.get('/directories/:directory/imports', { config: { scope: 'users:read' }, schema: { ...listing('List a directory\'s import jobs, newest first'), params: DirectoryParams } }, async (request) => {
      const { cursor, limit } = request.query;
      const page = await engine.imports.list(actorOf(request), request.params.directory, { limit, ...(cursor !== undefined && { cursor }) });
      return { imports: page.jobs.map((j) => renderImportJob(j)), nextCursor: page.nextCursor };
    });
    r.get('/imports', { config: { scope: 'users:read' }, schema: listing('List the tenant\'s import jobs, newest first') }, async (request) => {
      const { cursor, limit } = request.query;
      const page = await engine.imports.list(actorOf(request), null, { limit, ...(cursor !== undefined && { cursor }) });
      return { imports: page.jobs.map((j) => renderImportJob(j)), nextCursor: page.nextCursor };
    });

    r.get(
      '/imports/:id',
      { config: { scope: 'users:read' }, schema: { tags, summary: 'An import job: status, totals, progress, failures', params: ImportParams, response: { ...job, ...errorResponses(401, 403, 404) } } },
      async (request) => renderImportJob(await engine.imports.get(actorOf(request), request.params.id)),
    );

    r.get(
      '/imports/:id/events',
      {
        config: { scope: 'users:read' },
        schema: {
          tags,
          summary: 'Follow an import job (Server-Sent Events)',
          description:
            '`event: progress` with the job at least once a second while it is queued or running, then one `event: done` when it is completed, failed ' +
            'or cancelled, and the stream ends. Events carry an `id:`; a reconnect with `Last-Event-ID` continues the numbering.',
          params: ImportParams,
          headers: Type.Object({ 'last-event-id': Type.Optional(Type.String({ maxLength: 32 })) }),
          produces: ['text/event-stream'],
          response: { 200: Type.String({ description: 'text/event-stream' }), ...errorResponses(401, 403, 404) },
        },
      },
      async (request, reply) => {
        const actor = actorOf(request);
        let current = await engine.imports.get(actor, request.params.id);
        const lastId = Number(request.headers['last-event-id']);
        let eventId = Number.isSafeInteger(lastId) && lastId > 0 ? lastId : 0;
        reply.hijack();
        reply.raw.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', 'x-request-id': request.id });
        let open = true;
        reply.raw.on('close', () => (open = false));
        while (open) {
          const finished = isFinished(current.status);
          eventId += 1;
          reply.raw.write(`id: ${eventId}\nevent: ${finished ? 'done' : 'progress'}\ndata: ${JSON.stringify(renderImportJob(current))}\n\n`);
          if (finished) break;
          await new Promise((resolve) => setTimeout(resolve, EVENT_INTERVAL_MS));
          try {
            current = await engine.imports.get(actor, request.params.id);
          } catch {
            break; // deleted meanwhile (or the store is gone): end the stream
          }
        }
        reply.raw.end();
      },
    );

    r.get(
      '/imports/:id/report',
      {
        config: { scope: 'users:read' },
        schema: {
          tags,
          summary: 'An import job\'s report, one line per input row (streamed)',
          description:
            'ndjson: `{"row","line"?,"status","userId"?,"username"?,"code"?,"message"?,"field"?}`; csv (RFC 4180): row,line,status,userId,username,code,message,field. ' +
            'Never a password or hash. `status=failed&format=csv&rejected=true` gives the failed rows in the input\'s own columns (credential columns blank) plus `error`, for CSV inputs.',
          params: ImportParams,
          querystring: ReportQuery,
          produces: ['application/x-ndjson', 'text/csv'],
          response: { 200: Type.String({ description: 'application/x-ndjson or text/csv' }), ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request, reply) => {
        const actor = actorOf(request);
        const { status, format, rejected } = request.query;
        const found = await engine.imports.get(actor, request.params.id);
        if (rejected && (status !== 'failed' || format !== 'csv' || found.sourceColumns === null)) {
          throw new MusterError('request.invalid', 'rejected=true needs status=failed&format=csv and a CSV input.', { field: 'query.rejected' });
        }
        const rows = engine.imports.report(actor, found.id, status === 'all' ? null : status);
        const stream = Readable.from(renderReport(rows, format, rejected ? found.sourceColumns : null));
        // A stream is sent as is (never serialised); the 200 schema documents its text.
        return reply.type(format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8').send(stream as unknown as string);
      },
    );

    r.post(
      '/imports/:id/cancel',
      { config: { scope: 'users:write' }, schema: { tags, summary: 'Cancel an import job (stops after the current chunk; rows done stay done)', params: ImportParams, response: { 202: ImportJobBody, ...errorResponses(401, 403, 404) } } },
      async (request, reply) => reply.code(202).send(renderImportJob(await engine.imports.cancel(actorOf(request), request.params.id))),
    );
    r.post(
      '/imports/:id/undo',
      {
        config: { scope: 'users:write' },
        schema: {
          tags,
          summary: 'Undo an import job: delete the users it created that nobody changed since',
          description: 'Runs in the background; the job\'s `undo` says how many were deleted and kept (changed since, or already gone). 409 `import.not_finished` while the job runs.',
          params: ImportParams,
          response: { 202: ImportJobBody, ...errorResponses(401, 403, 404, 409) },
        },
      },
      async (request, reply) => reply.code(202).send(renderImportJob(await engine.imports.undo(actorOf(request), request.params.id))),
    );
    r.delete(
      '/imports/:id',
      { config: { scope: 'users:write' }, schema: { tags, summary: 'Delete an import job with its stored file and report', params: ImportParams, response: { 204: Type.Null(), ...errorResponses(401, 403, 404) } } },
      async (request, reply) => {
        await engine.imports.remove(actorOf(request), request.params.id);
        return reply.code(204).send(null);
      },
    );
  });
}
