/** Groups: named sets of users of one directory (Huawei group_ids, SCIM Groups). Pure. */
export const GROUP_NAME_MAX_LENGTH = 128;

export interface Group {
  readonly id: string;
  readonly name: string;
  readonly description: string | null;
  readonly createdAt: Date;
}
