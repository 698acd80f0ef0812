/**
 * The Huawei Cloud Workspace dialect, mounted at `/v2/{project_id}/users`:
 * create, batch-create (seed 002), list, show and delete users, wire-compatible
 * with Huawei's API and SDKs. `{project_id}` names a directory of the caller's
 * tenant (by name or id). Authentication: X-Auth-Token (a muster API key) or
 * SDK-HMAC-SHA256 with a muster access key. Decisions where the seed is silent
 * are in docs/dialects/huawei.md.
 */
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Engine } from '../../engine/engine.ts';
import { actorOf } from '../auth/apiKeyAuth.ts';
import { useHuaweiAuth } from '../auth/huaweiAuth.ts';
import { useErrorShape } from '../errors.ts';
import { renderHuaweiError } from './errors.ts';
import { BatchCreateBody, CreatedUserBody, CreateUserRequest, HuaweiError, ListQuery, ListUsersBody, ProjectParams, ShowUserBody, UserParams } from './schemas.ts';
import { batchError, draftFromWire, listRequestFromWire, renderUser, renderUserDetail } from './translate.ts';

const errors = (...statuses: number[]) => Object.fromEntries(statuses.map((s) => [s, HuaweiError]));
const ATOMIC = { mode: 'atomic', onConflict: 'fail', dryRun: false } as const;

export function huaweiPlugin(engine: Engine) {
  return async function huawei(app: FastifyInstance): Promise<void> {
    useErrorShape(app, renderHuaweiError);
    useHuaweiAuth(app, engine);

    const r = app.withTypeProvider<TypeBoxTypeProvider>();
    const tags = ['huawei'];
    const security = [{ huaweiToken: [] }, { huaweiSignature: [] }];

    r.post(
      '/:project_id/users/batch-create',
      {
        config: { scope: 'users:write', batchUsersField: 'users' },
        schema: {
          tags,
          security,
          summary: 'Create users in batches (seed 002), all or nothing',
          description: '200 `{}` when every user was created; otherwise nothing is created and one error names every problem.',
          params: ProjectParams,
          body: BatchCreateBody,
          response: { 200: Type.Object({}), ...errors(400, 401, 403, 404, 500, 503) },
        },
      },
      async (request, reply) => {
        const items = request.body.users.map(draftFromWire);
        const outcome = await engine.provisioning.createUsers(actorOf(request), request.params.project_id, items, ATOMIC);
        if (!outcome.summary.committed) throw batchError(outcome);
        return reply.code(200).send({});
      },
    );

    r.post(
      '/:project_id/users',
      {
        config: { scope: 'users:write' },
        schema: { tags, security, summary: 'Create a user', params: ProjectParams, body: CreateUserRequest, response: { 201: CreatedUserBody, ...errors(400, 401, 403, 404, 500, 503) } },
      },
      async (request, reply) => {
        const item = draftFromWire(request.body);
        if ('rejected' in item) throw item.rejected;
        const created = await engine.users.createUser(actorOf(request), request.params.project_id, item.draft);
        return reply.code(201).send({ id: created.user.id });
      },
    );

    r.get(
      '/:project_id/users',
      {
        config: { scope: 'users:read' },
        schema: { tags, security, summary: 'List users', description: 'Filters as in Huawei\'s ListUsersRequest; parameters muster cannot answer (domain, platform_type, enterprise_project_id) and unknown ones are refused with a 400 naming them.', params: ProjectParams, querystring: ListQuery, response: { 200: ListUsersBody, ...errors(400, 401, 403, 404, 500, 503) } },
      },
      async (request) => {
        const actor = actorOf(request);
        const page = await engine.users.listUsersByOffset(actor, request.params.project_id, listRequestFromWire(request.query));
        const groups = await engine.groups.groupsOf(actor, page.users.map((u) => u.id));
        const now = new Date();
        return { total_count: page.count, users: page.users.map((u) => renderUser(u, groups.get(u.id) ?? [], now)) };
      },
    );

    r.get(
      '/:project_id/users/:user_id',
      {
        config: { scope: 'users:read' },
        schema: { tags, security, summary: 'Show a user', params: UserParams, response: { 200: ShowUserBody, ...errors(400, 401, 403, 404, 500, 503) } },
      },
      async (request) => {
        const actor = actorOf(request);
        const user = await engine.users.getUser(actor, request.params.project_id, request.params.user_id);
        const groups = await engine.groups.groupsOf(actor, [user.id]);
        return { user_detail: renderUserDetail(user, groups.get(user.id) ?? [], new Date()) };
      },
    );

    r.delete(
      '/:project_id/users/:user_id',
      {
        config: { scope: 'users:write' },
        schema: { tags, security, summary: 'Delete a user', params: UserParams, response: { 204: Type.Null(), ...errors(400, 401, 403, 404, 500, 503) } },
      },
      async (request, reply) => {
        await engine.users.deleteUser(actorOf(request), request.params.project_id, request.params.user_id);
        return reply.code(204).send(null);
      },
    );
  };
}
