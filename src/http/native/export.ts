/**
 * `GET /v1/directories/{directory}/export?format=ndjson|csv`: every user of a
 * directory, streamed as it is read (engine `users.exportUsers`: a cursor over
 * the key, a page at a time), so memory stays flat for a million users.
 *
 * Each user is in the native wire shape (`renderUser`, as GET .../users/{id}
 * answers) plus `groups`, the names of its groups (in code-point order), which
 * the native import reads back by name: an export re-imports into another
 * muster whose directory has groups of the same names. Never a password or a
 * generated secret; `passwordHashes=true` adds each user's stored password
 * hash (`passwordHash`, PHC or MCF form, accepted by create as is) and needs
 * the admin scope. CSV: one column per field, `attributes` and `groups` as JSON text;
 * written by csv-stringify (quoting and escaping per RFC 4180).
 *
 * A failure after the first bytes cannot change the status: the stream is cut
 * short (no final newline or CSV record), which a reader sees as truncation.
 */
import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { stringify } from 'csv-stringify';
import { hasScope } from '../../domain/apiKey.ts';
import { MusterError } from '../../domain/errors.ts';
import type { Engine } from '../../engine/engine.ts';
import { actorOf, principalOf } from '../auth/apiKeyAuth.ts';
import { Defaulted } from '../validation.ts';
import { errorResponses } from './openapi.ts';
import { renderUser } from './render.ts';
import { DirectoryParams, type UserWire } from './schemas.ts';

const FORMATS = ['ndjson', 'csv'] as const;

const ExportQuery = Type.Object({
  format: Defaulted(Type.Union(FORMATS.map((f) => Type.Literal(f)), { default: 'ndjson', description: '`ndjson`: one JSON user per line. `csv`: a header row, then one user per row.' })),
  passwordHashes: Defaulted(Type.Boolean({ default: false, description: 'Add each user\'s password hash (`passwordHash`) so passwords keep working after re-import. Needs the admin scope.' })),
});

/** CSV columns, in order: the native user's fields, then its groups. */
const CSV_COLUMNS = ['id', 'directoryId', 'username', 'email', 'displayName', 'givenName', 'familyName', 'phone', 'locale', 'externalId', 'status', 'expiresAt', 'attributes', 'groups', 'hasPassword', 'hasSecret', 'createdAt', 'updatedAt', 'version'] as const;

type ExportedWire = UserWire & { groups: readonly string[]; passwordHash?: string | null };

/** Cells that hold structure are JSON text (a group name may contain any separator). */
const JSON_CELLS: ReadonlySet<string> = new Set(['attributes', 'groups']);

function csvRecord(user: ExportedWire, withHashes: boolean): unknown[] {
  const cells: unknown[] = CSV_COLUMNS.map((column) => (JSON_CELLS.has(column) ? JSON.stringify(user[column]) : user[column]));
  if (withHashes) cells.push(user.passwordHash ?? null);
  return cells;
}

export function exportRoutes(app: FastifyInstance, engine: Engine): void {
  app.withTypeProvider<TypeBoxTypeProvider>().get(
    '/directories/:directory/export',
    {
      config: { scope: 'users:read' },
      schema: {
        tags: ['users'],
        summary: 'Export every user of a directory (NDJSON or CSV), streamed',
        description:
          'Streams every user in the native shape (as GET .../users/{userId}) plus `groups` (the names of its groups), in id order, never a password or secret. ' +
          'The native import reads `groups` back by name, so the export re-imports into a directory that has groups of the same names. ' +
          '`passwordHashes=true` (admin scope) adds `passwordHash`, the stored hash, so that the export re-imports with working passwords. ' +
          'Content-Type `application/x-ndjson` or `text/csv`.',
        params: DirectoryParams,
        querystring: ExportQuery,
        response: { 200: Type.Unknown({ description: 'The users: NDJSON lines or CSV rows, streamed.' }), ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      const { format, passwordHashes } = request.query;
      if (passwordHashes && !hasScope(principalOf(request), 'admin')) {
        throw new MusterError('auth.insufficient_scope', 'Exporting password hashes needs the admin scope.', { requiredScope: 'admin' });
      }
      const pages = await engine.users.exportUsers(actorOf(request), request.params.directory, { passwordHashes });
      const wire = async function* (): AsyncGenerator<ExportedWire[]> {
        for await (const page of pages) yield page.map(({ user, passwordHash, groups }) => ({ ...renderUser(user), groups, ...(passwordHashes && { passwordHash }) }));
      };
      reply.header('cache-control', 'no-store');
      if (format === 'csv') {
        const header = passwordHashes ? [...CSV_COLUMNS, 'passwordHash'] : [...CSV_COLUMNS];
        const rows = Readable.from((async function* () {
          for await (const page of wire()) for (const user of page) yield csvRecord(user, passwordHashes);
        })());
        return reply.type('text/csv; charset=utf-8').send(rows.pipe(stringify({ header: true, columns: header, cast: { boolean: (b) => String(b) } })));
      }
      const lines = Readable.from((async function* () {
        // One chunk per page: a write per user would cost more than the JSON.
        for await (const page of wire()) yield page.map((user) => `${JSON.stringify(user)}\n`).join('');
      })());
      return reply.type('application/x-ndjson; charset=utf-8').send(lines);
    },
  );
}
