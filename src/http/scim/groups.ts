/**
 * /Groups (RFC 7644 §3.2-§3.6) over the engine's groups: create, get, list and
 * search, replace, patch (members added, removed by filter or by a value list,
 * replaced; renamed), delete. PATCH answers 204 unless the client asks for
 * attributes (`attributes`/`excludedAttributes`), as Entra ID expects; its
 * operations run in the engine's group read-modify-write with the version check.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Actor } from '../../domain/actor.ts';
import { MusterError } from '../../domain/errors.ts';
import type { GroupMember, VersionedGroup } from '../../domain/group.ts';
import { baseUrl } from './discoveryRoutes.ts';
import { groupFilter, groupSort } from './filter.ts';
import { groupChangesOf, renderGroup } from './groupTranslate.ts';
import type { ScimOptions } from './index.ts';
import { applyPatch, readPatch } from './patch.ts';
import { project, type Projection } from './projection.ts';
import { resourceType } from './registry.ts';
import { readResource } from './resource.ts';
import { resourceRoutes } from './resourceRoutes.ts';

const GROUP = resourceType('Group');

/** Whether a projection leaves `members` out, so they need not be read. */
function skipsMembers(projection: Projection): boolean {
  const listed = (text: string | undefined) => (text ?? '').split(',').map((p) => p.trim().toLowerCase());
  if (projection.attributes) return !listed(projection.attributes).some((p) => p === 'members' || p.startsWith('members.') || p.endsWith(':members'));
  return listed(projection.excludedAttributes).includes('members');
}

/** The writes of /Groups, each one engine call, shared by the routes and Bulk. `version` is the If-Match version. */
export function groupWrites(engine: ScimOptions['engine']) {
  return {
    create(actor: Actor, directory: string, body: unknown): Promise<VersionedGroup> {
      const changes = groupChangesOf(readResource(GROUP, body));
      return engine.groups.create(actor, directory, changes.name, null, { externalId: changes.externalId, memberIds: changes.memberIds });
    },

    replace(actor: Actor, directory: string, id: string, body: unknown, version: number | undefined): Promise<VersionedGroup> {
      const changes = groupChangesOf(readResource(GROUP, body));
      return engine.groups.modify(actor, directory, id, () => changes, version);
    },

    patch(actor: Actor, directory: string, id: string, body: unknown, version: number | undefined): Promise<VersionedGroup> {
      const operations = readPatch(body);
      const derive = (current: VersionedGroup, members: readonly GroupMember[]) => {
        const patched = applyPatch(renderGroup(current, members, '', ''), GROUP, operations);
        if (typeof patched.displayName !== 'string' || patched.displayName === '') throw new MusterError('scim.invalid_value', 'Attribute "displayName" is required.', { field: 'displayName' });
        return groupChangesOf(patched);
      };
      return engine.groups.modify(actor, directory, id, derive, version);
    },

    remove: (actor: Actor, directory: string, id: string, version: number | undefined): Promise<void> => engine.groups.delete(actor, directory, id, version),
  };
}

export function groupRoutes(app: FastifyInstance, options: ScimOptions): void {
  const { engine } = options;
  const groupsBase = (request: FastifyRequest) => `${baseUrl(options.publicUrl, request)}/Groups`;
  const usersBase = (request: FastifyRequest) => `${baseUrl(options.publicUrl, request)}/Users`;
  resourceRoutes<VersionedGroup>(
    app,
    options,
    {
      plural: 'Groups',
      noun: 'group',
      docs: {
        replace: 'SCIM: replace a group (name, externalId, members)',
        patch: 'SCIM: change a group (PatchOp): rename, add, remove or replace members',
        patchDescription: 'All operations apply atomically under the group\'s row lock and version check. 204, or 200 with the group when `attributes` or `excludedAttributes` is given.',
        remove: 'SCIM: delete a group (not its members)',
      },
      writes: groupWrites(engine),
      get: (actor, directory, id) => engine.groups.get(actor, directory, id),
      async list(actor, directory, query) {
        const page = await engine.groups.listMatching(actor, directory, query);
        return { count: page.count, resources: page.groups };
      },
      filterOf: (filter) => groupFilter(GROUP, filter),
      sortOf: (sortBy, sortOrder) => groupSort(GROUP, sortBy, sortOrder),
      async render(request, actor, groups, projection) {
        const members = groups.length === 0 || skipsMembers(projection) ? new Map() : await engine.groups.membersOf(actor, groups.map((g) => g.id));
        return groups.map((g) => project(renderGroup(g, members.get(g.id) ?? [], `${groupsBase(request)}/${g.id}`, usersBase(request)), GROUP, projection));
      },
      patchAnswersNoContent: (request) => request.query.attributes === undefined && request.query.excludedAttributes === undefined,
    },
    (request, id) => `${groupsBase(request)}/${id}`,
  );
}
