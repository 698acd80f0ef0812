/** Groups between muster and SCIM: displayName is the group's name; members are users of the same directory. */
import type { GroupChanges, GroupMember, VersionedGroup } from '../../domain/group.ts';
import { GROUP_SCHEMA } from './registry.ts';
import { isObject, type JsonObject } from './resource.ts';
import { etagOf } from './userTranslate.ts';

export function renderGroup(group: VersionedGroup, members: readonly GroupMember[], location: string, usersBase: string): JsonObject {
  return {
    schemas: [GROUP_SCHEMA],
    id: group.id,
    ...(group.externalId !== null && { externalId: group.externalId }),
    displayName: group.name,
    members: members.map((m) => ({ value: m.userId, $ref: `${usersBase}/${m.userId}`, display: m.username, type: 'User' })),
    meta: { resourceType: 'Group', created: group.createdAt.toISOString(), lastModified: group.updatedAt.toISOString(), location, version: etagOf(group.version) },
  };
}

/** The changes a canonical Group resource asks (a full replacement: members absent means none). */
export function groupChangesOf(resource: JsonObject): Required<GroupChanges> {
  const members = Array.isArray(resource.members) ? resource.members : [];
  return {
    name: String(resource.displayName),
    externalId: typeof resource.externalId === 'string' ? resource.externalId : null,
    memberIds: members.filter(isObject).map((m) => String(m.value)),
  };
}
