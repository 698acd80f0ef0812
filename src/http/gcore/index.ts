/**
 * The Gcore dialect, mounted at `/cloud/v1/registries`: container registries
 * and their users, wire-compatible with Gcore's Cloud API and SDKs (seeds 000,
 * 001). A registry is a directory; registry users are muster users. Decisions
 * where the seeds are silent are in docs/dialects/gcore.md.
 *
 * Wire facts honoured: `Authorization: APIKey <key>` in any letter case; JSON
 * bodies may be empty (refresh_secret, DELETE) even with a JSON content type;
 * integer ids; `{count, results}` lists with limit/offset; errors in Gcore's
 * shape, identical for identical retries.
 */
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { MusterError } from '../../domain/errors.ts';
import type { Engine } from '../../engine/engine.ts';
import type { Actor } from '../../domain/actor.ts';
import type { RegistryPlace } from '../../engine/registries.ts';
import { actorOf, useApiKeyAuth } from '../auth/apiKeyAuth.ts';
import { useErrorShape } from '../errors.ts';
import { sendStored } from '../idempotency.ts';
import { renderGcoreError } from './errors.ts';
import {
  BatchCreateBody,
  BatchCreatedBody,
  GcoreError,
  PageQuery,
  RegistryBody,
  RegistryCreateBody,
  RegistryListBody,
  RegistryParams,
  RegistryResizeBody,
  RegistryUserBody,
  RegistryUserCreatedBody,
  RegistryUserListBody,
  ScopeParams,
  UserCreateBody,
  UserParams,
  UserUpdateBody,
} from './schemas.ts';
import { batchItemFromWire, draftFromWire, patchFromWire, renderBatch, renderRegistry, renderUser } from './translate.ts';

const errors = (...statuses: number[]) => Object.fromEntries(statuses.map((s) => [s, GcoreError]));

export function gcorePlugin(engine: Engine, registryHost: string) {
  return async function gcore(app: FastifyInstance): Promise<void> {
    // Gcore's SDKs send `Content-Type: application/json` with no body on
    // refresh_secret and DELETE: the root's parser (http/app.ts) takes that as no body.
    useErrorShape(app, renderGcoreError);
    useApiKeyAuth(app, engine, 'gcore', 'APIKey');

    const r = app.withTypeProvider<TypeBoxTypeProvider>();
    const tags = ['gcore'];
    const security = [{ gcoreApiKey: [] }];
    const placeOf = (p: { project_id: number; region_id: number }): RegistryPlace => ({ projectId: p.project_id, regionId: p.region_id });
    const registryOf = (actor: Actor, p: { project_id: number; region_id: number; registry_id: number }) => engine.registries.get(actor, placeOf(p), p.registry_id);

    r.post(
      '/:project_id/:region_id',
      {
        config: { scope: 'admin' },
        schema: { tags, security, summary: 'Create a registry', params: ScopeParams, body: RegistryCreateBody, response: { 201: RegistryBody, ...errors(400, 401, 403, 409) } },
      },
      async (request, reply) => {
        const registry = await engine.registries.create(actorOf(request), placeOf(request.params), request.body.name, request.body.storage_limit);
        return reply.code(201).send(renderRegistry(registry, registryHost));
      },
    );

    r.get(
      '/:project_id/:region_id',
      {
        config: { scope: 'users:read' },
        schema: { tags, security, summary: 'List registries', params: ScopeParams, querystring: PageQuery, response: { 200: RegistryListBody, ...errors(400, 401, 403) } },
      },
      async (request) => {
        const { count, registries } = await engine.registries.list(actorOf(request), placeOf(request.params), request.query.limit, request.query.offset);
        return { count, results: registries.map((g) => renderRegistry(g, registryHost)) };
      },
    );

    r.get(
      '/:project_id/:region_id/:registry_id',
      { config: { scope: 'users:read' }, schema: { tags, security, summary: 'Get a registry', params: RegistryParams, response: { 200: RegistryBody, ...errors(401, 403, 404) } } },
      async (request) => renderRegistry(await registryOf(actorOf(request), request.params), registryHost),
    );

    r.patch(
      '/:project_id/:region_id/:registry_id/resize',
      {
        config: { scope: 'admin' },
        schema: { tags, security, summary: 'Change a registry\'s storage limit', params: RegistryParams, body: RegistryResizeBody, response: { 200: RegistryBody, ...errors(400, 401, 403, 404) } },
      },
      async (request) => {
        const actor = actorOf(request);
        return renderRegistry(await engine.registries.resize(actor, placeOf(request.params), request.params.registry_id, request.body.storage_limit), registryHost);
      },
    );

    r.delete(
      '/:project_id/:region_id/:registry_id',
      { config: { scope: 'admin' }, schema: { tags, security, summary: 'Delete a registry and its users', params: RegistryParams, response: { 204: Type.Null(), ...errors(401, 403, 404) } } },
      async (request, reply) => {
        await engine.registries.delete(actorOf(request), placeOf(request.params), request.params.registry_id);
        return reply.code(204).send(null);
      },
    );

    r.post(
      '/:project_id/:region_id/:registry_id/users',
      {
        config: { scope: 'users:write' },
        schema: {
          tags,
          security,
          summary: 'Create a registry user (seed 001)',
          params: RegistryParams,
          body: UserCreateBody,
          response: { 201: RegistryUserCreatedBody, ...errors(400, 401, 403, 404, 409) },
        },
      },
      async (request, reply) => {
        const actor = actorOf(request);
        const registry = await registryOf(actor, request.params);
        const created = await engine.users.createUser(actor, registry.directoryId, draftFromWire(request.body));
        return reply.code(201).send({ ...renderUser(created.user), secret: created.secret ?? request.body.secret });
      },
    );

    r.post(
      '/:project_id/:region_id/:registry_id/users/batch',
      {
        config: { scope: 'users:write', batchUsersField: 'users' },
        schema: {
          tags,
          security,
          summary: 'Create registry users, all or nothing (seed 000)',
          description: '201 with the first created user\'s fields at the top level (the one `RegistryUserCreated` the SDKs read) and every created user with its secret in `results`; 409 (nothing written) when any user exists or repeats; 400 (nothing written) naming every invalid field.',
          params: RegistryParams,
          body: BatchCreateBody,
          response: { 201: BatchCreatedBody, ...errors(400, 401, 403, 404, 409, 413) },
        },
      },
      async (request, reply) => {
        const actor = actorOf(request);
        const registry = await registryOf(actor, request.params);
        const items = request.body.users.map(batchItemFromWire);
        const outcome = await engine.provisioning.createUsers(actor, registry.directoryId, items, { mode: 'atomic', onConflict: 'fail', dryRun: false });
        const answer = renderBatch(outcome, request.body.users);
        if (answer instanceof MusterError) throw answer;
        return sendStored(reply, answer);
      },
    );

    r.get(
      '/:project_id/:region_id/:registry_id/users',
      {
        config: { scope: 'users:read' },
        schema: { tags, security, summary: 'List registry users (never their secrets)', params: RegistryParams, querystring: PageQuery, response: { 200: RegistryUserListBody, ...errors(400, 401, 403, 404) } },
      },
      async (request) => {
        const actor = actorOf(request);
        const registry = await registryOf(actor, request.params);
        const { count, users } = await engine.users.listUsersByOffset(actor, registry.directoryId, request.query);
        return { count, results: users.map(renderUser) };
      },
    );

    r.patch(
      '/:project_id/:region_id/:registry_id/users/:user_id',
      {
        config: { scope: 'users:write' },
        schema: {
          tags,
          security,
          summary: 'Change a registry user\'s duration and read-only flag',
          description: 'The new expiry is the user\'s creation time plus `duration` days (none for -1).',
          params: UserParams,
          body: UserUpdateBody,
          response: { 200: RegistryUserBody, ...errors(400, 401, 403, 404) },
        },
      },
      async (request) => {
        const actor = actorOf(request);
        const registry = await registryOf(actor, request.params);
        return renderUser(await engine.users.modifyUser(actor, registry.directoryId, { seq: request.params.user_id }, (user) => patchFromWire(user, request.body)));
      },
    );

    r.delete(
      '/:project_id/:region_id/:registry_id/users/:user_id',
      { config: { scope: 'users:write' }, schema: { tags, security, summary: 'Delete a registry user', params: UserParams, response: { 204: Type.Null(), ...errors(401, 403, 404) } } },
      async (request, reply) => {
        const actor = actorOf(request);
        const registry = await registryOf(actor, request.params);
        await engine.users.deleteUser(actor, registry.directoryId, { seq: request.params.user_id });
        return reply.code(204).send(null);
      },
    );

    r.post(
      '/:project_id/:region_id/:registry_id/users/:user_id/refresh_secret',
      {
        config: { scope: 'users:write' },
        schema: { tags, security, summary: 'Give a registry user a new secret (shown once)', params: UserParams, response: { 200: RegistryUserCreatedBody, ...errors(401, 403, 404) } },
      },
      async (request) => {
        const actor = actorOf(request);
        const registry = await registryOf(actor, request.params);
        const rotated = await engine.users.rotateSecret(actor, registry.directoryId, { seq: request.params.user_id });
        return { ...renderUser(rotated.user), secret: rotated.secret };
      },
    );
  };
}
