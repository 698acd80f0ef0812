/** Royalti wire schemas (seed 004). Unknown user fields are ignored: Royalti's schema does not restrict them. */
import { Type, type Static } from 'typebox';
import { Defaulted } from '../validation.ts';

export const RoyaltiUser = Type.Object({
  firstName: Type.Optional(Type.String({ maxLength: 256 })),
  lastName: Type.Optional(Type.String({ maxLength: 256 })),
  nickName: Type.Optional(Type.String({ maxLength: 256 })),
  userType: Type.Optional(Type.String({ maxLength: 64 })),
  email: Type.Optional(Type.String({ maxLength: 320 })),
  ipi: Type.Optional(Type.String({ maxLength: 64 })),
  role: Type.Optional(Type.String({ maxLength: 64 })),
  phone: Type.Optional(Type.String({ maxLength: 64 })),
  country: Type.Optional(Type.String({ maxLength: 64 })),
});
export type RoyaltiUserWire = Static<typeof RoyaltiUser>;

export const BulkBody = Type.Object({
  users: Type.Array(RoyaltiUser, { minItems: 1, description: 'At most BATCH_MAX_ITEMS (default 1000).' }),
  sendEmail: Defaulted(Type.Boolean({ default: true, description: 'Invite every created user by email.' })),
  redirect_url: Type.Optional(Type.String({ maxLength: 2048, description: 'Where the invitation page sends people; must be on the tenant\'s allow-list.' })),
  message: Type.Optional(Type.String({ maxLength: 2000, description: 'A custom message in the invitation mail.' })),
});

export const BulkResult = Type.Object({
  message: Type.String(),
  createdUsers: Type.Array(Type.String()),
  processedCount: Type.Integer(),
  errors: Type.Array(Type.String()),
});

export const RoyaltiError = Type.Object({
  success: Type.Boolean(),
  error: Type.Object({
    code: Type.String(),
    message: Type.String(),
    details: Type.Array(Type.String(), { description: 'muster\'s error code, then one `field: problem` line per invalid field.' }),
  }),
});
