/**
 * SCIM's error shape (RFC 7644 §3.12): `{"schemas": [Error URN], "status": "<code
 * as a string>", "scimType"?, "detail"}`, for every failure of every route under
 * /scim/v2, authentication and routing included. `detail` is always present
 * (the registered message). `scimType` is given where the RFC defines one for
 * the failure; a 429 keeps the `Retry-After` the generic layer sets.
 */
import type { ErrorCode, MusterError } from '../../domain/errors.ts';
import type { StoredResponse } from '../../engine/idempotency.ts';

export const ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error';
export const SCIM_CONTENT_TYPE = 'application/scim+json; charset=utf-8';

const SCIM_TYPE_BY_CODE: Partial<Record<ErrorCode, string>> = {
  'scim.invalid_filter': 'invalidFilter',
  'scim.invalid_path': 'invalidPath',
  'scim.no_target': 'noTarget',
  'scim.mutability': 'mutability',
  'scim.invalid_value': 'invalidValue',
  'scim.invalid_syntax': 'invalidSyntax',
  'request.invalid': 'invalidSyntax',
  'request.malformed_json': 'invalidSyntax',
  'request.body_required': 'invalidSyntax',
  'user.invalid_username': 'invalidValue',
  'user.invalid_email': 'invalidValue',
  'user.invalid_password': 'invalidValue',
  'user.invalid_field': 'invalidValue',
  'group.not_found': 'invalidValue',
  'user.not_found': 'invalidValue',
  'user.username_taken': 'uniqueness',
  'user.email_taken': 'uniqueness',
  'group.name_taken': 'uniqueness',
  'batch.duplicate_in_batch': 'uniqueness',
};

/** The SCIM status of a registered error: its own, but a missing group or member named in a body is the body's fault (400). */
function statusOf(error: MusterError): number {
  if ((error.code === 'group.not_found' || error.code === 'user.not_found') && error.details?.field !== undefined) return 400;
  return error.status;
}

export function scimErrorBody(error: MusterError): Record<string, unknown> {
  const status = statusOf(error);
  const scimType = status === 400 || status === 409 ? SCIM_TYPE_BY_CODE[error.code] : undefined;
  return { schemas: [ERROR_SCHEMA], status: String(status), ...(scimType && { scimType }), detail: error.message };
}

export function renderScimError(error: MusterError): StoredResponse {
  return { status: statusOf(error), headers: { 'content-type': SCIM_CONTENT_TYPE }, body: scimErrorBody(error) };
}
