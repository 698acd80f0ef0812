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
import type { Actor } from '../../domain/actor.ts';
import { ALLOY_API_VERSION, ALLOY_BATCH_LIMIT, ALLOY_DIRECTORY, AlloyUser, Empty, Message, UserInput, UserParams, UserUpdate, VersionHeaders, type AlloyUserWire } from './schemas.ts';
import { batchAnswer, batchItemFromWire, renderUser } from './translate.ts';
import type { Engine } from '../../engine/engine.ts';
import type { UserRef } from '../../engine/users.ts';
import { actorOf, useApiKeyAuth } from '../auth/apiKeyAuth.ts';
import { useErrorShape } from '../errors.ts';


/** Alloy's error bodies: `{}` for a 401, `{"message"}` otherwise; an oversized batch is the seed's 400. */
export function renderAlloyError(error: MusterError): StoredResponse {
  if (error.code === 'batch.too_large') {
    const { limit, received } = error.details as { limit: number; received: number };
    return { status: 400, body: { message: `Limited to ${limit} users at a time; this request has ${received}.` } };
  }
  return { status: error.status, body: error.status === 401 ? {} : { message: error.message } };
}


export function alloyPlugin(engine: Engine) {
  return async function alloy(app: FastifyInstance): Promise<void> {
    useErrorShape(app, renderAlloyError);
    useApiKeyAuth(app, engine, 'alloy', 'Bearer');
    app.addHook('onRequest', async (request) => {
      const version = request.headers['x-api-version'];
      if (version === undefined) throw new MusterError('request.invalid', `The x-api-version header is required; this service supports ${ALLOY_API_VERSION}.`);
      if (version !== ALLOY_API_VERSION) throw new MusterError('request.invalid', `x-api-version ${String(version)} is not supported; this service supports ${ALLOY_API_VERSION}.`);
    });

    const directoryOf = async (actor: Actor) => (await engine.directories.ensureDirectory(actor, ALLOY_DIRECTORY)).id;
    /** A userId, or (as Alloy allows) a username. */
    const userRef = (ref: string): UserRef => (isUuid(ref) ? { id: ref } : { username: ref });

    const r = app.withTypeProvider<TypeBoxTypeProvider>();
    const tags = ['alloy'];
    const security = [{ apiKey: [] }];

    r.post(
      '/batch',
      {
        config: { scope: 'users:write', batchUsersField: 'users' },
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
        const items = submitted.map(batchItemFromWire);
        if (!items.some((i) => 'draft' in i)) throw new MusterError('request.invalid', 'No valid users provided');
        const actor = actorOf(request);
        // The seed's limit is a policy value: the engine refuses more (batch.too_large), rendered as the seed's 400.
        const policy = { mode: 'partial', onConflict: 'fail', dryRun: false, maxItems: ALLOY_BATCH_LIMIT } as const;
        const outcome = await engine.provisioning.createUsers(actor, await directoryOf(actor), items, policy);
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
        const actor = actorOf(request);
        const created = await engine.users.createUser(actor, await directoryOf(actor), {
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
        const actor = actorOf(request);
        const directoryId = await directoryOf(actor);
        // Alloy's list has no pagination: every user, read a page at a time.
        const data: AlloyUserWire[] = [];
        let cursor: string | undefined;
        do {
          const page = await engine.users.listUsers(actor, directoryId, { limit: 200, ...(cursor !== undefined && { cursor }) });
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
      async (request) => {
        const actor = actorOf(request);
        return renderUser(await engine.users.getUser(actor, await directoryOf(actor), userRef(request.params.userId)));
      },
    );

    r.put(
      '/:userId',
      {
        config: { scope: 'users:write' },
        schema: { tags, security, summary: 'Update a user', headers: VersionHeaders, params: UserParams, body: UserUpdate, response: { 200: AlloyUser, 400: Message, 401: Empty, 404: Message } },
      },
      async (request) => {
        const actor = actorOf(request);
        const updated = await engine.users.updateUser(actor, await directoryOf(actor), userRef(request.params.userId), {
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
        const actor = actorOf(request);
        await engine.users.deleteUser(actor, await directoryOf(actor), userRef(request.params.userId));
        return { success: true };
      },
    );
  };
}
