/** Native user routes: thin translations between the wire and the engine. */
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { MusterError } from '../../domain/errors.ts';
import type { UserPatch } from '../../domain/user.ts';
import type { Engine } from '../../engine/engine.ts';
import type { StoredResponse } from '../../engine/idempotency.ts';
import { createdUserOf, type CreatedUser, type UserCredentials } from '../../engine/users.ts';
import { sendIdempotent } from '../idempotency.ts';
import { actorOf } from '../auth/apiKeyAuth.ts';
import { errorResponses } from './openapi.ts';
import { renderUser } from './render.ts';
import { draftFromWire, renderErrorResponse } from './translate.ts';
import {
  AuthenticateBody,
  CreatedUserBody,
  DirectoryParams,
  IdempotencyHeaders,
  UserBody,
  SingleCreateBody,
  UserListQuery,
  UserPageBody,
  UserParams,
  UserPatchBody,
  UnlockBody,
  AddressUnlockBody,
  AddressUnlockRequest,
} from './schemas.ts';

const toDate = (value: string | null): Date | null => (value === null ? null : new Date(value));

/** `3`, `"3"` or `W/"3"` -> 3; anything else is a 400. */
function versionFromIfMatch(header: string | undefined): number | undefined {
  if (header === undefined) return undefined;
  const match = /^(?:W\/)?"?(\d{1,9})"?$/.exec(header.trim());
  if (!match) throw new MusterError('request.invalid', 'If-Match must be the user\'s version, e.g. "3".', { field: 'header.if-match' });
  return Number(match[1]);
}

export function userRoutes(app: FastifyInstance, engine: Engine): void {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['users'];

  r.post(
    '/directories/:directory/users',
    {
      config: { scope: 'users:write' },
      schema: {
        tags,
        summary: 'Create a user',
        params: DirectoryParams,
        headers: IdempotencyHeaders,
        body: SingleCreateBody,
        response: { 201: CreatedUserBody, ...errorResponses(400, 401, 403, 404, 409, 413, 415, 422) },
      },
    },
    async (request, reply) => {
      const actor = actorOf(request);
      const { invite, ...user } = request.body;
      const draft = draftFromWire(user);
      return sendIdempotent(request, reply, engine, actor, renderErrorResponse, async (owned) => {
        const render = (created: CreatedUser): StoredResponse => ({
          status: 201,
          headers: { location: `${request.url.replace(/\/$/, '')}/${created.user.id}` },
          body: { ...renderUser(created.user), ...(created.secret !== undefined && { secret: created.secret }) },
        });
        let recorded: StoredResponse | undefined;
        const created = await engine.users.createUser(actor, request.params.directory, draft, {
          ...(invite && { invite }),
          ...(owned && { record: { owned, render: (outcome) => (recorded = render(createdUserOf(outcome))) } }),
        });
        return recorded ?? render(created);
      });
    },
  );

  r.get(
    '/directories/:directory/users',
    {
      config: { scope: 'users:read' },
      schema: {
        tags,
        summary: 'List users (cursor pagination, sorted by a column)',
        params: DirectoryParams,
        querystring: UserListQuery,
        response: { 200: UserPageBody, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const page = await engine.users.listUsers(actorOf(request), request.params.directory, request.query);
      return { users: page.users.map(renderUser), nextCursor: page.nextCursor };
    },
  );

  r.get(
    '/directories/:directory/users/:userId',
    {
      config: { scope: 'users:read' },
      schema: { tags, summary: 'Get a user', params: UserParams, response: { 200: UserBody, ...errorResponses(401, 403, 404) } },
    },
    async (request, reply) => {
      const user = await engine.users.getUser(actorOf(request), request.params.directory, request.params.userId);
      reply.header('etag', `"${user.version}"`);
      return renderUser(user);
    },
  );

  r.patch(
    '/directories/:directory/users/:userId',
    {
      config: { scope: 'users:write' },
      schema: {
        tags,
        summary: 'Update a user',
        description: 'Send `If-Match: "<version>"` to update only if the user has not changed since.',
        params: UserParams,
        headers: Type.Object({ 'if-match': Type.Optional(Type.String()) }),
        body: UserPatchBody,
        response: { 200: UserBody, ...errorResponses(400, 401, 403, 404, 409, 412, 413, 415) },
      },
    },
    async (request, reply) => {
      const { expiresAt, ...rest } = request.body;
      const patch: UserPatch = { ...rest, ...(expiresAt !== undefined && { expiresAt: toDate(expiresAt) }) };
      const user = await engine.users.updateUser(
        actorOf(request),
        request.params.directory,
        request.params.userId,
        patch,
        versionFromIfMatch(request.headers['if-match']),
      );
      reply.header('etag', `"${user.version}"`);
      return renderUser(user);
    },
  );

  r.delete(
    '/directories/:directory/users/:userId',
    {
      config: { scope: 'users:write' },
      schema: { tags, summary: 'Delete a user', params: UserParams, response: { 204: Type.Null(), ...errorResponses(401, 403, 404) } },
    },
    async (request, reply) => {
      await engine.users.deleteUser(actorOf(request), request.params.directory, request.params.userId);
      return reply.code(204).send(null);
    },
  );

  r.post(
    '/directories/:directory/users/:userId/secret',
    {
      config: { scope: 'users:write' },
      schema: {
        tags,
        summary: "Rotate a user's generated secret",
        description: 'Gives the user a new generated secret, returned only in this response; the previous password or secret stops working.',
        params: UserParams,
        response: { 200: CreatedUserBody, ...errorResponses(401, 403, 404) },
      },
    },
    async (request) => {
      const rotated = await engine.users.rotateSecret(actorOf(request), request.params.directory, request.params.userId);
      return { ...renderUser(rotated.user), secret: rotated.secret };
    },
  );

  r.post(
    '/directories/:directory/authenticate',
    {
      config: { scope: 'users:read' },
      schema: {
        tags,
        summary: "Check a user's password or secret",
        description:
          'Answers 200 with the user when the credential is right and the user is active and unexpired; otherwise 401 ' +
          '(`credentials.invalid`, or after a right credential `credentials.user_pending`, `credentials.user_disabled`, `credentials.user_expired`). ' +
          'Repeated failures for a username or from an address are answered slower, then 429 `credentials.locked` with Retry-After (LOCKOUT_*), alike whether or not the username exists.',
        params: DirectoryParams,
        body: AuthenticateBody,
        response: { 200: UserBody, ...errorResponses(400, 401, 403, 404, 415, 429) },
      },
    },
    async (request) => {
      const { username, password, secret } = request.body;
      if ((password === undefined) === (secret === undefined)) {
        throw new MusterError('request.invalid', 'Give exactly one of password or secret.', { field: 'password' });
      }
      const credentials: UserCredentials = password !== undefined ? { username, password } : { username, secret: secret! };
      return renderUser(await engine.users.authenticate(actorOf(request), request.params.directory, credentials, request.ip));
    },
  );

  r.post(
    '/directories/:directory/users/:userId/unlock',
    {
      config: { scope: 'admin' },
      schema: {
        tags,
        summary: "Lift a user's sign-in lockout",
        description: 'Forgets the failed authentications counted against the user\'s username, so `credentials.locked` ends at once; records `user.unlocked` in the audit trail. A client address\'s lockout is lifted with POST /v1/lockouts/addresses/unlock.',
        params: UserParams,
        response: { 200: UnlockBody, ...errorResponses(401, 403, 404) },
      },
    },
    async (request) => {
      const { user, hadFailures } = await engine.users.unlock(actorOf(request), request.params.directory, request.params.userId);
      return { user: renderUser(user), hadFailures };
    },
  );

  r.post(
    '/lockouts/addresses/unlock',
    {
      config: { scope: 'admin' },
      schema: {
        tags,
        summary: "Lift a client address's sign-in lockout",
        description:
          'Forgets the failed authentications (POST .../authenticate, every directory) counted against the address in this tenant, so its `credentials.locked` ends at once; ' +
          'records `address.unlocked` (subject: the address) in the audit trail. Other tenants\' counts are their own. The invitation page\'s lockout of the address (it names no tenant) is lifted too: its tokens cannot be guessed, so it only spares the page traffic.',
        body: AddressUnlockRequest,
        response: { 200: AddressUnlockBody, ...errorResponses(400, 401, 403, 415) },
      },
    },
    async (request) => engine.users.unlockAddress(actorOf(request), request.body.address),
  );
}
