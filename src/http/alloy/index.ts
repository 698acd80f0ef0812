/**
 * The Alloy Embedded dialect, mounted at `/users`: the batch endpoint (seed 003,
 * partial success) and the rest of Alloy's user resource (create, list, get,
 * update, delete). Every request needs `Authorization: bearer <muster API key>`
 * (scheme in any letter case) and `x-api-version: 2025-09`. Alloy accounts map
 * to the tenant's `alloy` directory, created on first use. Decisions where the
 * seed is silent are in docs/dialects/alloy.md.
 */
import type { FastifyInstance } from 'fastify';
import type { StoredResponse } from '../../engine/idempotency.ts';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { MusterError } from '../../domain/errors.ts';
import { isUuid } from '../../domain/directory.ts';
import type { User } from '../../domain/user.ts';
import { ALLOY_API_VERSION, ALLOY_BATCH_LIMIT, ALLOY_DIRECTORY, AlloyUser, Empty, Message, UserInput, UserParams, UserUpdate, VersionHeaders, type AlloyUserWire } from './schemas.ts';
import { batchAnswer, batchItemFromWire, renderUser } from './translate.ts';
import type { Engine } from '../../engine/engine.ts';
import { principalOf, useApiKeyAuth } from '../auth/apiKeyAuth.ts';
import { useErrorShape } from '../errors.ts';


/** Alloy's error bodies: `{}` for a 401, `{"message"}` otherwise. */
export function renderAlloyError(error: MusterError): StoredResponse {
  return { status: error.status, body: error.status === 401 ? {} : { message: error.message } };
}


export function alloyPlugin(engine: Engine) {
  return async function alloy(app: FastifyInstance): Promise<void> {
    useErrorShape(app, renderAlloyError);
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
          body: Type.Object({ users: Type.Array(Type.Unknown(), { description: `At most ${ALLOY_BATCH_LIMIT}.` }) }, { examples: [{ users: [{ username: 'ada', fullName: 'Ada Lovelace' }, { username: 'grace' }] }] }),
          response: { 200: Type.Object({ message: Type.String(), invalidUsers: Type.Array(Type.Unknown()) }), 400: Message, 401: Empty },
        },
      },
      async (request) => {
        const submitted = request.body.users;
        if (submitted.length > ALLOY_BATCH_LIMIT) throw new MusterError('request.invalid', `Limited to ${ALLOY_BATCH_LIMIT} users at a time; this request has ${submitted.length}.`);
        const items = submitted.map(batchItemFromWire);
        if (!items.some((i) => 'draft' in i)) throw new MusterError('request.invalid', 'No valid users provided');
        const { tenantId } = principalOf(request);
        const outcome = await engine.provisioning.createUsers(tenantId, await directoryOf(tenantId), items, { mode: 'partial', onConflict: 'fail', dryRun: false });
        const answer = batchAnswer(outcome, items, submitted);
        if (answer instanceof MusterError) throw answer;
        return answer;
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
        const data: AlloyUserWire[] = [];
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
