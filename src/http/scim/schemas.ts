/**
 * Wire schemas of the SCIM dialect, for validation and the OpenAPI document.
 * Resources are open objects here: the attribute registry (registry.ts) checks
 * them attribute by attribute, with SCIM's case-insensitive names, which JSON
 * Schema cannot express; unknown attributes are dropped there, not refused.
 */
import { Type } from 'typebox';
import { ERROR_SCHEMA } from './errors.ts';

export const ScimError = Type.Object(
  {
    schemas: Type.Array(Type.Literal(ERROR_SCHEMA)),
    status: Type.String({ description: 'The HTTP status, as a string.' }),
    scimType: Type.Optional(Type.String({ description: 'RFC 7644 §3.12 detail error keyword.' })),
    detail: Type.String(),
  },
  { $id: 'ScimError' },
);

export const ScimResource = Type.Object(
  { schemas: Type.Array(Type.String(), { description: 'The resource\'s schema URNs.' }) },
  { additionalProperties: true, description: 'A SCIM resource (see /scim/v2/Schemas for its attributes).' },
);

export const ScimMessage = Type.Object(
  { schemas: Type.Array(Type.String()) },
  { additionalProperties: true, description: 'A SCIM message (PatchOp, SearchRequest).' },
);

export const ScimList = Type.Object(
  {
    schemas: Type.Array(Type.String()),
    totalResults: Type.Integer(),
    startIndex: Type.Integer(),
    itemsPerPage: Type.Integer(),
    Resources: Type.Array(Type.Object({}, { additionalProperties: true })),
  },
  { additionalProperties: false },
);

export const IdParams = Type.Object({ directory: Type.Optional(Type.String()), id: Type.String({ maxLength: 512 }) });
export const ScopeParams = Type.Object({ directory: Type.Optional(Type.String()) });

export const ProjectionQuery = Type.Object({
  attributes: Type.Optional(Type.String({ maxLength: 4096 })),
  excludedAttributes: Type.Optional(Type.String({ maxLength: 4096 })),
});

export const ListQuery = Type.Object({
  filter: Type.Optional(Type.String({ maxLength: 8192 })),
  startIndex: Type.Optional(Type.Integer()),
  count: Type.Optional(Type.Integer()),
  sortBy: Type.Optional(Type.String({ maxLength: 512 })),
  sortOrder: Type.Optional(Type.String({ maxLength: 32 })),
  attributes: Type.Optional(Type.String({ maxLength: 4096 })),
  excludedAttributes: Type.Optional(Type.String({ maxLength: 4096 })),
});

export const scimErrors = (...statuses: number[]) => Object.fromEntries(statuses.map((s) => [s, ScimError]));
