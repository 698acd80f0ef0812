/** Groups: named sets of users of one directory (Huawei group_ids, SCIM Groups). Pure. */
export const GROUP_NAME_MAX_LENGTH = 128;

export interface Group {
  readonly id: string;
  readonly name: string;
  readonly description: string | null;
  readonly createdAt: Date;
}

/** A group with what versioned writers (SCIM) need: its external id, version and change time. */
export interface VersionedGroup extends Group {
  readonly directoryId: string;
  readonly externalId: string | null;
  readonly version: number;
  readonly updatedAt: Date;
}

/** A member as groups list them: the user's id and username. */
export interface GroupMember {
  readonly userId: string;
  readonly username: string;
}

/** What a group modification asks: absent fields stay; `memberIds` is the whole new set. */
export interface GroupChanges {
  readonly name?: string;
  readonly externalId?: string | null;
  readonly memberIds?: readonly string[];
}
