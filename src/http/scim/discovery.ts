/**
 * Discovery (RFC 7644 §4): /ServiceProviderConfig, /ResourceTypes and /Schemas,
 * generated from the attribute registry and the configured limits. Only what
 * is really supported is advertised, and no value is null: bulk is advertised
 * as unsupported (muster has no Bulk endpoint yet), sorting, filtering, PATCH
 * and ETags as supported.
 */
import { RESOURCE_TYPES, SCHEMAS, type AttributeDef, type ResourceTypeDef, type SchemaDef } from './registry.ts';

export const LIST_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
const SPC_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig';
const RESOURCE_TYPE_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:ResourceType';
const SCHEMA_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Schema';

export interface DiscoveryLimits {
  readonly maxResults: number;
  readonly bulkMaxOperations: number;
  readonly bulkMaxPayloadBytes: number;
}

export function serviceProviderConfig(base: string, limits: DiscoveryLimits) {
  return {
    schemas: [SPC_SCHEMA],
    documentationUri: 'https://github.com/muster/muster/blob/main/docs/dialects/scim.md',
    patch: { supported: true },
    bulk: { supported: true, maxOperations: limits.bulkMaxOperations, maxPayloadSize: limits.bulkMaxPayloadBytes },
    filter: { supported: true, maxResults: limits.maxResults },
    changePassword: { supported: true },
    sort: { supported: true },
    etag: { supported: true },
    authenticationSchemes: [
      {
        type: 'oauthbearertoken',
        name: 'Bearer token',
        description: 'Authorization: Bearer <a muster API key, or a JWT from POST /v1/tokens>.',
        specUri: 'https://www.rfc-editor.org/rfc/rfc6750',
        primary: true,
      },
    ],
    meta: { resourceType: 'ServiceProviderConfig', location: `${base}/ServiceProviderConfig` },
  };
}

export function renderResourceType(base: string, type: ResourceTypeDef) {
  return {
    schemas: [RESOURCE_TYPE_SCHEMA],
    id: type.name,
    name: type.name,
    endpoint: type.endpoint,
    description: type.name === 'User' ? 'User Account' : 'Group',
    schema: type.schema,
    schemaExtensions: type.extensions.map((schema) => ({ schema, required: false })),
    meta: { resourceType: 'ResourceType', location: `${base}/ResourceTypes/${type.name}` },
  };
}

function renderAttribute(a: AttributeDef): Record<string, unknown> {
  return {
    name: a.name,
    type: a.type,
    multiValued: a.multiValued,
    description: a.description,
    required: a.required,
    caseExact: a.caseExact,
    mutability: a.mutability,
    returned: a.returned,
    uniqueness: a.uniqueness,
    ...(a.canonicalValues && { canonicalValues: a.canonicalValues }),
    ...(a.referenceTypes && { referenceTypes: a.referenceTypes }),
    ...(a.subAttributes && { subAttributes: a.subAttributes.map(renderAttribute) }),
  };
}

export function renderSchema(base: string, schema: SchemaDef) {
  return {
    schemas: [SCHEMA_SCHEMA],
    id: schema.id,
    name: schema.name,
    description: schema.description,
    attributes: schema.attributes.map(renderAttribute),
    meta: { resourceType: 'Schema', location: `${base}/Schemas/${schema.id}` },
  };
}

export function listOf(resources: object[]) {
  return { schemas: [LIST_SCHEMA], totalResults: resources.length, startIndex: 1, itemsPerPage: resources.length, Resources: resources };
}

export const allResourceTypes = (base: string) => RESOURCE_TYPES.map((t) => renderResourceType(base, t));
export const allSchemas = (base: string) => SCHEMAS.map((s) => renderSchema(base, s));
