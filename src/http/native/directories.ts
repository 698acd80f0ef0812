/** Native directory routes. */
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Engine } from '../../engine/engine.ts';
import { actorOf } from '../auth/apiKeyAuth.ts';
import { errorResponses } from './openapi.ts';
import { renderDirectory } from './render.ts';
import { DirectoryBody, DirectoryCreateBody, DirectoryDeleteQuery, DirectoryListBody, DirectoryParams } from './schemas.ts';

export function directoryRoutes(app: FastifyInstance, engine: Engine): void {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['directories'];

  r.post(
    '/directories',
    {
      config: { scope: 'admin' },
      schema: {
        tags,
        summary: 'Create a directory',
        body: DirectoryCreateBody,
        response: { 201: DirectoryBody, ...errorResponses(400, 401, 403, 409, 415) },
      },
    },
    async (request, reply) => {
      const { name, confusables } = request.body;
      const directory = await engine.directories.createDirectory(actorOf(request), name, confusables === undefined ? {} : { confusables });
      reply.code(201).header('location', `/v1/directories/${directory.id}`);
      return renderDirectory(directory);
    },
  );

  r.get(
    '/directories',
    {
      config: { scope: 'users:read' },
      schema: { tags, summary: 'List directories', response: { 200: DirectoryListBody, ...errorResponses(401, 403) } },
    },
    async (request) => ({
      directories: (await engine.directories.listDirectories(actorOf(request))).map(renderDirectory),
    }),
  );

  r.get(
    '/directories/:directory',
    {
      config: { scope: 'users:read' },
      schema: { tags, summary: 'Get a directory', params: DirectoryParams, response: { 200: DirectoryBody, ...errorResponses(401, 403, 404) } },
    },
    async (request) => renderDirectory(await engine.directories.getDirectory(actorOf(request), request.params.directory)),
  );

  r.delete(
    '/directories/:directory',
    {
      config: { scope: 'admin' },
      schema: {
        tags,
        summary: 'Delete a directory',
        description: 'Refused with 409 `directory.not_empty` while it has users, unless `force=true`.',
        params: DirectoryParams,
        querystring: DirectoryDeleteQuery,
        response: { 204: Type.Null(), ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      await engine.directories.deleteDirectory(actorOf(request), request.params.directory, request.query.force);
      return reply.code(204).send(null);
    },
  );
}
