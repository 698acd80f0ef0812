/** Groups: named sets of users in a directory (Huawei group_ids; SCIM Groups later). */
import type { Actor } from '../domain/actor.ts';
import { isUuid } from '../domain/directory.ts';
import { MusterError } from '../domain/errors.ts';
import type { DomainEvent } from '../domain/events.ts';
import { GROUP_NAME_MAX_LENGTH, type Group } from '../domain/group.ts';
import { newId } from '../crypto/ids.ts';
import { mappingConstraints } from '../store/constraints.ts';
import * as repo from '../store/repositories/groups.ts';
import type { EngineContext } from './context.ts';
import { resolveDirectory } from './directories.ts';
import { inUnitOfWork } from './unitOfWork.ts';

function groupEvent(type: 'group.created' | 'group.deleted', group: Group, directoryId: string): DomainEvent {
  return { type, subject: { type: 'group', id: group.id }, directoryId, data: { name: group.name } };
}

export function groupService(ctx: EngineContext) {
  return {
    /** Throws `group.name_taken` (decided by `groups_name_uq`). */
    create(actor: Actor, directoryRef: string, name: string, description: string | null): Promise<Group> {
      if (name.trim() === '' || [...name].length > GROUP_NAME_MAX_LENGTH) {
        throw new MusterError('request.invalid', `name must be 1 to ${GROUP_NAME_MAX_LENGTH} characters.`, { field: 'name' });
      }
      return mappingConstraints(() =>
        inUnitOfWork(ctx, actor, async (uow) => {
          const directory = await resolveDirectory(uow.tx, actor.tenantId, directoryRef);
          const group = await repo.insertGroup(uow.tx, actor.tenantId, directory.id, { id: newId(), name, description });
          uow.emit(groupEvent('group.created', group, directory.id));
          return group;
        }),
      );
    },

    async list(actor: Actor, directoryRef: string): Promise<Group[]> {
      return repo.listGroups(ctx.db, actor.tenantId, (await resolveDirectory(ctx.db, actor.tenantId, directoryRef)).id);
    },

    /** Deletes the group and its memberships (not its users). Waits for batches that are adding members to it. */
    delete: (actor: Actor, directoryRef: string, groupId: string): Promise<void> =>
      inUnitOfWork(ctx, actor, async (uow) => {
        const directory = await resolveDirectory(uow.tx, actor.tenantId, directoryRef);
        const deleted = isUuid(groupId) ? await repo.deleteGroup(uow.tx, actor.tenantId, directory.id, groupId) : undefined;
        if (!deleted) throw new MusterError('group.not_found');
        uow.emit(groupEvent('group.deleted', deleted, directory.id));
      }),

    /** The groups of each user (for dialects that report them). */
    groupsOf: (actor: Actor, userIds: readonly string[]) => repo.groupsOfUsers(ctx.db, actor.tenantId, userIds),
  };
}

export type GroupService = ReturnType<typeof groupService>;
