/** Alloy Embedded wire schemas (seed 003 and Alloy's 2025-09 user reference). */
import { Type, type Static } from 'typebox';

export const ALLOY_DIRECTORY = 'alloy';
export const ALLOY_API_VERSION = '2025-09';
/** The seed: "Limited to 1000 users at a time". */
export const ALLOY_BATCH_LIMIT = 1000;

export const Message = Type.Object({ message: Type.String() });
export const Empty = Type.Object({});
export const AlloyUser = Type.Object({ userId: Type.String(), username: Type.String(), fullName: Type.String() });
export type AlloyUserWire = Static<typeof AlloyUser>;
export const UserInput = Type.Object({ username: Type.String({ minLength: 1, maxLength: 256 }), fullName: Type.Optional(Type.String({ maxLength: 256 })) });
export const UserUpdate = Type.Object({ username: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })), fullName: Type.Optional(Type.String({ maxLength: 256 })) });
export const UserParams = Type.Object({ userId: Type.String({ description: 'The userId, or the username.' }) });
export const VersionHeaders = Type.Object({ 'x-api-version': Type.Literal(ALLOY_API_VERSION, { description: `Required: ${ALLOY_API_VERSION}, the Alloy API version this service speaks.` }) });

