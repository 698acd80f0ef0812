/** Groups: named sets of users in a directory (Huawei group_ids, SCIM Groups). */
import type { Actor } from '../domain/actor.ts';
import { isUuid } from '../domain/directory.ts';
import { MusterError } from '../domain/errors.ts';
import type { DomainEvent } from '../domain/events.ts';
import type { RecordFilter, RecordSort } from '../domain/filter.ts';
import { GROUP_NAME_MAX_LENGTH, type Group, type GroupChanges, type GroupMember, type VersionedGroup } from '../domain/group.ts';
import { newId } from '../crypto/ids.ts';
import { mappingConstraints } from '../store/constraints.ts';
import * as repo from '../store/repositories/groups.ts';
import type { EngineContext } from './context.ts';
import { resolveDirectory } from './directories.ts';
import { inUnitOfWork } from './unitOfWork.ts';

function groupEvent(type: 'group.created' | 'group.deleted', group: Group, directoryId: string): DomainEvent {
  return { type, subject: { type: 'group', id: group.id }, directoryId, data: { name: group.name } };
}

function checkName(name: string): void {
  if (name.trim() === '' || [...name].length > GROUP_NAME_MAX_LENGTH) {
    throw new MusterError('request.invalid', `name must be 1 to ${GROUP_NAME_MAX_LENGTH} characters.`, { field: 'name' });
  }
}

/** Member ids are user ids (UUIDs); anything else names no user of the directory. */
function checkMemberIds(ids: readonly string[]): string[] {
  const bad = ids.find((id) => !isUuid(id));
  if (bad !== undefined) throw new MusterError('user.not_found', `No user "${bad}" in the directory to be a member.`, { field: 'members' });
  return [...new Set(ids.map((id) => id.toLowerCase()))];
}

export interface GroupListQuery {
  readonly filter?: RecordFilter;
  readonly sort?: RecordSort;
  readonly offset: number;
  readonly limit: number;
}

export function groupService(ctx: EngineContext) {
  return {
    /**
     * Throws `group.name_taken` (decided by `groups_name_uq`), and
     * `user.not_found` (field `members`) when a member is no user of the
     * directory (decided by `group_members_user_fk`).
     */
    create(
      actor: Actor,
      directoryRef: string,
      name: string,
      description: string | null,
      options: { readonly externalId?: string | null; readonly memberIds?: readonly string[] } = {},
    ): Promise<VersionedGroup> {
      checkName(name);
      const memberIds = checkMemberIds(options.memberIds ?? []);
      return mappingConstraints(() =>
        inUnitOfWork(ctx, actor, async (uow) => {
          const directory = await resolveDirectory(uow.tx, actor.tenantId, directoryRef);
          const group = await repo.insertGroup(uow.tx, actor.tenantId, directory.id, { id: newId(), name, description, externalId: options.externalId ?? null });
          if (memberIds.length > 0) await repo.replaceMembers(uow.tx, actor.tenantId, directory.id, group.id, memberIds);
          uow.emit(groupEvent('group.created', group, directory.id));
          return group;
        }),
      );
    },

    /** Throws `group.not_found`. */
    async get(actor: Actor, directoryRef: string, groupId: string): Promise<VersionedGroup> {
      const directory = await resolveDirectory(ctx.db, actor.tenantId, directoryRef);
      const group = isUuid(groupId) ? await repo.findGroup(ctx.db, actor.tenantId, directory.id, groupId) : undefined;
      if (!group) throw new MusterError('group.not_found');
      return group;
    },

    /** A page by offset of the groups matching `filter` (compiled to SQL), in `sort` order then id, with the total. */
    async listMatching(actor: Actor, directoryRef: string, query: GroupListQuery): Promise<{ count: number; groups: VersionedGroup[] }> {
      const directory = await resolveDirectory(ctx.db, actor.tenantId, directoryRef);
      return repo.listGroupsMatching(ctx.db, actor.tenantId, directory.id, query);
    },

    /** The members of each given group, in username order. */
    membersOf: (actor: Actor, groupIds: readonly string[]): Promise<Map<string, GroupMember[]>> => repo.membersOf(ctx.db, actor.tenantId, groupIds),

    /**
     * Read-modify-write of a group in one unit of work: locks it, checks
     * `expectedVersion` (`group.version_mismatch`), asks `derive` for the changes
     * from the group and its members as they are now, writes them (a new member
     * set replaces the old one) and emits `group.updated` with what changed.
     * Throws `group.not_found`, `group.name_taken`, `user.not_found` (field
     * `members`) for a member that is no user of the directory.
     */
    modify(
      actor: Actor,
      directoryRef: string,
      groupId: string,
      derive: (current: VersionedGroup, members: readonly GroupMember[]) => GroupChanges,
      expectedVersion?: number,
    ): Promise<VersionedGroup> {
      return mappingConstraints(() =>
        inUnitOfWork(ctx, actor, async (uow) => {
          const directory = await resolveDirectory(uow.tx, actor.tenantId, directoryRef);
          const current = isUuid(groupId) ? await repo.findGroup(uow.tx, actor.tenantId, directory.id, groupId, true) : undefined;
          if (!current) throw new MusterError('group.not_found');
          if (expectedVersion !== undefined && current.version !== expectedVersion) throw new MusterError('group.version_mismatch');
          const members = (await repo.membersOf(uow.tx, actor.tenantId, [current.id])).get(current.id) ?? [];
          const changes = derive(current, members);
          if (changes.name !== undefined) checkName(changes.name);
          const updated = await repo.updateGroup(uow.tx, actor.tenantId, directory.id, current.id, changes);
          if (!updated) throw new MusterError('group.not_found');
          const membership = changes.memberIds === undefined ? { added: [], removed: [] } : await repo.replaceMembers(uow.tx, actor.tenantId, directory.id, current.id, checkMemberIds(changes.memberIds));
          const data: Record<string, unknown> = {};
          if (updated.name !== current.name) data.name = updated.name;
          if (updated.externalId !== current.externalId) data.externalId = updated.externalId;
          if (membership.added.length > 0) data.membersAdded = membership.added;
          if (membership.removed.length > 0) data.membersRemoved = membership.removed;
          uow.emit({ type: 'group.updated', subject: { type: 'group', id: current.id }, directoryId: directory.id, data });
          return updated;
        }),
      );
    },

    async list(actor: Actor, directoryRef: string): Promise<Group[]> {
      return repo.listGroups(ctx.db, actor.tenantId, (await resolveDirectory(ctx.db, actor.tenantId, directoryRef)).id);
    },

    /**
     * Deletes the group and its memberships (not its users). Waits for batches
     * that are adding members to it. With `expectedVersion`, throws
     * `group.version_mismatch` unless it is the group's version.
     */
    delete: (actor: Actor, directoryRef: string, groupId: string, expectedVersion?: number): Promise<void> =>
      inUnitOfWork(ctx, actor, async (uow) => {
        const directory = await resolveDirectory(uow.tx, actor.tenantId, directoryRef);
        if (expectedVersion !== undefined) {
          const current = isUuid(groupId) ? await repo.findGroup(uow.tx, actor.tenantId, directory.id, groupId, true) : undefined;
          if (current && current.version !== expectedVersion) throw new MusterError('group.version_mismatch');
        }
        const deleted = isUuid(groupId) ? await repo.deleteGroup(uow.tx, actor.tenantId, directory.id, groupId) : undefined;
        if (!deleted) throw new MusterError('group.not_found');
        uow.emit(groupEvent('group.deleted', deleted, directory.id));
      }),

    /** The groups of each user (for dialects that report them). */
    groupsOf: (actor: Actor, userIds: readonly string[]) => repo.groupsOfUsers(ctx.db, actor.tenantId, userIds),
  };
}

export type GroupService = ReturnType<typeof groupService>;
