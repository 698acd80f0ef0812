/**
 * /Users (RFC 7644 §3.2-§3.6) over the engine's users: the resource routes of
 * resourceRoutes.ts (create, get, list and search, replace, patch, delete,
 * ETags), and the root `/.search`, which searches Users. A password (POST,
 * PUT, PATCH) is hashed before the engine's transaction opens and never returned.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Actor } from '../../domain/actor.ts';
import { MusterError } from '../../domain/errors.ts';
import type { User } from '../../domain/user.ts';
import { actorOf } from '../auth/apiKeyAuth.ts';
import { baseUrl } from './discoveryRoutes.ts';
import { userFilter, userSort } from './filter.ts';
import type { ScimOptions } from './index.ts';
import { applyPatch, readPatch, type PatchOperation } from './patch.ts';
import { project } from './projection.ts';
import { resourceType } from './registry.ts';
import { isObject, readResource } from './resource.ts';
import { resourceRoutes, searchQuery } from './resourceRoutes.ts';
import { scimErrors, ScimList, ScimMessage, ScopeParams } from './schemas.ts';
import { draftOf, profileOf, renderUser } from './userTranslate.ts';

const USER = resourceType('User');

/** The password a PATCH sets, if any (hashed before the engine's transaction opens). */
function patchedPassword(operations: readonly PatchOperation[]): string | undefined {
  let password: string | undefined;
  for (const op of operations) {
    if (op.op === 'remove') continue;
    if (op.path?.toLowerCase() === 'password' && typeof op.value === 'string') password = op.value;
    if (op.path === undefined && isObject(op.value)) {
      const key = Object.keys(op.value).find((k) => k.toLowerCase() === 'password');
      if (key !== undefined && typeof op.value[key] === 'string') password = op.value[key];
    }
  }
  return password;
}

/**
 * The writes of /Users, each one engine call, shared by the routes and Bulk.
 * `version` is the If-Match version (the engine checks it under the row lock).
 */
export function userWrites(engine: ScimOptions['engine']) {
  return {
    create: async (actor: Actor, directory: string, body: unknown): Promise<User> =>
      (await engine.users.createUser(actor, directory, draftOf(readResource(USER, body)))).user,

    /** PUT: replaces every readWrite attribute; a password in the body is set (hashed before the transaction). */
    replace(actor: Actor, directory: string, id: string, body: unknown, version: number | undefined): Promise<User> {
      const resource = readResource(USER, body);
      const password = typeof resource.password === 'string' ? resource.password : undefined;
      return engine.users.modifyUser(actor, directory, { id }, (current) => profileOf(resource, current), version, password);
    },

    /** PATCH: every operation applied to the user as it is under the row lock; all or none. */
    patch(actor: Actor, directory: string, id: string, body: unknown, version: number | undefined): Promise<User> {
      const operations = readPatch(body);
      const derive = (current: User) => {
        const patched = applyPatch(renderUser(current, ''), USER, operations);
        if (typeof patched.userName !== 'string' || patched.userName === '') throw new MusterError('scim.invalid_value', 'Attribute "userName" is required.', { field: 'userName' });
        return profileOf(patched, current);
      };
      return engine.users.modifyUser(actor, directory, { id }, derive, version, patchedPassword(operations));
    },

    remove: (actor: Actor, directory: string, id: string, version: number | undefined): Promise<void> => engine.users.deleteUser(actor, directory, { id }, version),
  };
}

export function userRoutes(app: FastifyInstance, options: ScimOptions): void {
  const { engine } = options;
  const usersBase = (request: FastifyRequest) => `${baseUrl(options.publicUrl, request)}/Users`;
  const groupsBase = (request: FastifyRequest) => `${baseUrl(options.publicUrl, request)}/Groups`;
  const { list } = resourceRoutes<User>(
    app,
    options,
    {
      plural: 'Users',
      noun: 'user',
      docs: {
        replace: 'SCIM: replace a user',
        replaceDescription: 'Replaces every readWrite attribute (absent ones are cleared); readOnly attributes in the body are ignored.',
        patch: 'SCIM: change a user (PatchOp)',
        patchDescription: 'All operations apply atomically, under the user\'s row lock and version check. 200 with the user; 204 with `Prefer: return=minimal`.',
        remove: 'SCIM: delete a user',
      },
      writes: userWrites(engine),
      get: (actor, directory, id) => engine.users.getUser(actor, directory, { id }),
      async list(actor, directory, query) {
        const page = await engine.users.listUsersMatching(actor, directory, query);
        return { count: page.count, resources: page.users };
      },
      filterOf: (filter) => userFilter(USER, filter),
      sortOf: (sortBy, sortOrder) => userSort(USER, sortBy, sortOrder),
      async render(request, actor, users, projection) {
        const groups = users.length === 0 ? new Map() : await engine.groups.groupsOf(actor, users.map((u) => u.id));
        return users.map((u) => project(renderUser(u, `${usersBase(request)}/${u.id}`, groups.get(u.id) ?? [], groupsBase(request)), USER, projection));
      },
      patchAnswersNoContent: (request) => /return=minimal/i.test(String(request.headers.prefer ?? '')),
    },
    (request, id) => `${usersBase(request)}/${id}`,
  );

  app.withTypeProvider<TypeBoxTypeProvider>().post(
    '/.search',
    {
      config: { scope: 'users:read' },
      schema: {
        tags: ['scim'],
        security: [{ scimBearer: [] }],
        summary: 'SCIM: search from the root (Users; a SearchRequest body)',
        params: ScopeParams,
        body: ScimMessage,
        response: { 200: ScimList, ...scimErrors(400, 401, 403, 404) },
      },
    },
    async (request) => list(request, actorOf(request), searchQuery(request.body)),
  );
}
