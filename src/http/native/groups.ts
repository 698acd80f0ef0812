/** Native group routes: named sets of users in a directory (`groupIds` on create adds users to them). */
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Engine } from '../../engine/engine.ts';
import type { Group } from '../../domain/group.ts';
import { actorOf } from '../auth/apiKeyAuth.ts';
import { errorResponses } from './openapi.ts';
import { DirectoryParams, GroupBody, GroupCreateBody, GroupListBody, GroupParams, UserParams } from './schemas.ts';

const renderGroup = (g: Group) => ({ id: g.id, name: g.name, description: g.description, createdAt: g.createdAt.toISOString() });

export function groupRoutes(app: FastifyInstance, engine: Engine): void {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['groups'];

  r.post(
    '/directories/:directory/groups',
    {
      config: { scope: 'users:write' },
      schema: { tags, summary: 'Create a group', params: DirectoryParams, body: GroupCreateBody, response: { 201: GroupBody, ...errorResponses(400, 401, 403, 404, 409, 415) } },
    },
    async (request, reply) => {
      const actor = actorOf(request);
      const group = await engine.groups.create(actor, request.params.directory, request.body.name, request.body.description ?? null);
      return reply.code(201).send(renderGroup(group));
    },
  );

  r.get(
    '/directories/:directory/groups',
    { config: { scope: 'users:read' }, schema: { tags, summary: 'List groups', params: DirectoryParams, response: { 200: GroupListBody, ...errorResponses(401, 403, 404) } } },
    async (request) => ({ groups: (await engine.groups.list(actorOf(request), request.params.directory)).map(renderGroup) }),
  );

  r.delete(
    '/directories/:directory/groups/:groupId',
    {
      config: { scope: 'users:write' },
      schema: { tags, summary: 'Delete a group (its users stay)', params: GroupParams, response: { 204: Type.Null(), ...errorResponses(401, 403, 404) } },
    },
    async (request, reply) => {
      await engine.groups.delete(actorOf(request), request.params.directory, request.params.groupId);
      return reply.code(204).send(null);
    },
  );

  r.get(
    '/directories/:directory/users/:userId/groups',
    {
      config: { scope: 'users:read' },
      schema: { tags, summary: 'The groups a user belongs to', params: UserParams, response: { 200: GroupListBody, ...errorResponses(401, 403, 404) } },
    },
    async (request) => ({ groups: (await engine.users.groupsOfUser(actorOf(request), request.params.directory, request.params.userId)).map(renderGroup) }),
  );
}
