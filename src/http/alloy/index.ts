/**
 * The Alloy Embedded dialect, mounted at `/users`: the batch endpoint (seed 003,
 * partial success) and the rest of Alloy's user resource (create, list, get,
 * update, delete). Every request needs `Authorization: bearer <muster API key>`
 * (scheme in any letter case) and `x-api-version: 2025-09`. Alloy accounts map
 * to the tenant's `alloy` directory, created on first use. Decisions where the
 * seed is silent are in docs/dialects/alloy.md.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type, type Static } from 'typebox';
import { MusterError } from '../../domain/errors.ts';
import { isUuid } from '../../domain/directory.ts';
import type { User } from '../../domain/user.ts';
import type { Engine } from '../../engine/engine.ts';
import { principalOf, useApiKeyAuth } from '../auth/apiKeyAuth.ts';
import { useErrorShape } from '../errors.ts';

export const ALLOY_DIRECTORY = 'alloy';
export const ALLOY_API_VERSION = '2025-09';
/** The seed: "Limited to 1000 users at a time". */
export const ALLOY_BATCH_LIMIT = 1000;

const Message = Type.Object({ message: Type.String() });
const Empty = Type.Object({});
const AlloyUser = Type.Object({ userId: Type.String(), username: Type.String(), fullName: Type.String() });
const UserInput = Type.Object({ username: Type.String({ minLength: 1, maxLength: 256 }), fullName: Type.Optional(Type.String({ maxLength: 256 })) });
const UserUpdate = Type.Object({ username: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })), fullName: Type.Optional(Type.String({ maxLength: 256 })) });
const UserParams = Type.Object({ userId: Type.String({ description: 'The userId, or the username.' }) });
const VersionHeaders = Type.Object({ 'x-api-version': Type.Optional(Type.String({ description: `Required: ${ALLOY_API_VERSION}.` })) });

/** Alloy's error bodies: `{}` for a 401, `{"message"}` otherwise. */
function sendError(reply: FastifyReply, error: MusterError) {
  return reply.code(error.status).send(error.status === 401 ? {} : { message: error.message });
}

const renderUser = (user: User): Static<typeof AlloyUser> => ({ userId: user.id, username: user.username, fullName: user.displayName ?? '' });

/** What was submitted for a batch item, for `invalidUsers` (the object as the caller sent it). */
type Submitted = Record<string, unknown>;

export function alloyPlugin(engine: Engine) {
  return async function alloy(app: FastifyInstance): Promise<void> {
    useErrorShape(app, sendError);
    useApiKeyAuth(app, engine, 'Bearer');
    app.addHook('onRequest', async (request) => {
      const version = request.headers['x-api-version'];
      if (version === undefined) throw new MusterError('request.invalid', `The x-api-version header is required; this service supports ${ALLOY_API_VERSION}.`);
      if (version !== ALLOY_API_VERSION) throw new MusterError('request.invalid', `x-api-version ${String(version)} is not supported; this service supports ${ALLOY_API_VERSION}.`);
    });

    const directoryOf = async (tenantId: string) => (await engine.directories.ensureDirectory(tenantId, ALLOY_DIRECTORY)).id;
    /** A userId, or (as Alloy allows) a username. */
    async function findUser(tenantId: string, ref: string): Promise<User> {
      const directoryId = await directoryOf(tenantId);
      if (isUuid(ref)) return engine.users.getUser(tenantId, directoryId, ref);
      const [user] = (await engine.users.listUsers(tenantId, directoryId, { username: ref, limit: 1 })).users;
      if (!user) throw new MusterError('user.not_found', 'User not found.');
      return user;
    }

    const r = app.withTypeProvider<TypeBoxTypeProvider>();
    const tags = ['alloy'];
    const security = [{ apiKey: [] }];

    r.post(
      '/batch',
      {
        config: { scope: 'users:write' },
        schema: {
          tags,
          security,
          summary: 'Create a new batch of users (seed 003)',
          description: `Up to ${ALLOY_BATCH_LIMIT} users. Valid users are created; \`invalidUsers\` lists the submitted objects that were not (missing username, existing, repeated in the batch).`,
          headers: VersionHeaders,
          body: Type.Object({ users: Type.Array(Type.Unknown(), { description: `At most ${ALLOY_BATCH_LIMIT}.` }) }),
          response: { 200: Type.Object({ message: Type.String(), invalidUsers: Type.Array(Type.Unknown()) }), 400: Message, 401: Empty },
        },
      },
      async (request) => {
        const submitted = request.body.users;
        if (submitted.length > ALLOY_BATCH_LIMIT) throw new MusterError('request.invalid', `Limited to ${ALLOY_BATCH_LIMIT} users at a time; this request has ${submitted.length}.`);
        const { tenantId } = principalOf(request);
        const items = submitted.map((raw) => {
          const user = (raw ?? {}) as Submitted;
          if (typeof user.username !== 'string' || user.username === '') return { rejected: new MusterError('user.invalid_username', 'Missing username') };
          if (user.fullName !== undefined && typeof user.fullName !== 'string') return { rejected: new MusterError('user.invalid_field', 'fullName must be a string') };
          return { draft: { username: user.username, ...(typeof user.fullName === 'string' && { displayName: user.fullName }) } };
        });
        if (!items.some((i) => 'draft' in i)) throw new MusterError('request.invalid', 'No valid users provided');
        const outcome = await engine.provisioning.createUsers(tenantId, await directoryOf(tenantId), items, { mode: 'partial', onConflict: 'fail', dryRun: false });
        const failed = outcome.results.filter((r) => r.status === 'failed');
        if (outcome.summary.created === 0) {
          // Nothing created: say why in the seed's words. Items that had a username all exist (or repeat)?
          const existing = failed.filter((r) => 'draft' in items[r.index]!);
          const allExist = existing.length > 0 && existing.every((r) => r.error.code === 'user.username_taken' || r.error.code === 'batch.duplicate_in_batch');
          throw new MusterError('request.invalid', allExist ? 'All users already exist' : 'No valid users provided');
        }
        return { message: 'success', invalidUsers: failed.map((r) => submitted[r.index]) };
      },
    );

    r.post(
      '/',
      {
        config: { scope: 'users:write' },
        schema: { tags, security, summary: 'Create a user (returns its identifier)', headers: VersionHeaders, body: UserInput, response: { 200: Type.Object({ userId: Type.String() }), 400: Message, 401: Empty } },
      },
      async (request) => {
        const { tenantId } = principalOf(request);
        const created = await engine.users.createUser(tenantId, await directoryOf(tenantId), {
          username: request.body.username,
          ...(request.body.fullName !== undefined && { displayName: request.body.fullName }),
        });
        return { userId: created.user.id };
      },
    );

    r.get(
      '/',
      {
        config: { scope: 'users:read' },
        schema: { tags, security, summary: 'List all users', headers: VersionHeaders, response: { 200: Type.Object({ data: Type.Array(AlloyUser) }), 401: Empty } },
      },
      async (request) => {
        const { tenantId } = principalOf(request);
        const directoryId = await directoryOf(tenantId);
        // Alloy's list has no pagination: every user, read a page at a time.
        const data: Static<typeof AlloyUser>[] = [];
        let cursor: string | undefined;
        do {
          const page = await engine.users.listUsers(tenantId, directoryId, { limit: 200, ...(cursor !== undefined && { cursor }) });
          data.push(...page.users.map(renderUser));
          cursor = page.nextCursor ?? undefined;
        } while (cursor !== undefined);
        return { data };
      },
    );

    r.get(
      '/:userId',
      {
        config: { scope: 'users:read' },
        schema: { tags, security, summary: 'Get a user', headers: VersionHeaders, params: UserParams, response: { 200: AlloyUser, 401: Empty, 404: Message } },
      },
      async (request) => renderUser(await findUser(principalOf(request).tenantId, request.params.userId)),
    );

    r.put(
      '/:userId',
      {
        config: { scope: 'users:write' },
        schema: { tags, security, summary: 'Update a user', headers: VersionHeaders, params: UserParams, body: UserUpdate, response: { 200: AlloyUser, 400: Message, 401: Empty, 404: Message } },
      },
      async (request) => {
        const { tenantId } = principalOf(request);
        const user = await findUser(tenantId, request.params.userId);
        const updated = await engine.users.updateUser(tenantId, user.directoryId, user.id, {
          ...(request.body.username !== undefined && { username: request.body.username }),
          ...(request.body.fullName !== undefined && { displayName: request.body.fullName }),
        });
        return renderUser(updated);
      },
    );

    r.delete(
      '/:userId',
      {
        config: { scope: 'users:write' },
        schema: { tags, security, summary: 'Delete a user', headers: VersionHeaders, params: UserParams, response: { 200: Type.Object({ success: Type.Boolean() }), 401: Empty, 404: Message } },
      },
      async (request) => {
        const { tenantId } = principalOf(request);
        const user = await findUser(tenantId, request.params.userId);
        await engine.users.deleteUser(tenantId, user.directoryId, user.id);
        return { success: true };
      },
    );
  };
}
