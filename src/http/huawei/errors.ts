/**
 * Huawei's error shape: `{"error_code", "error_msg"}`, with the request id in the
 * X-Request-Id response header (set for every response by app.ts). Codes follow
 * Huawei's style; which ones come from Huawei's own documents and which are
 * muster's choices is listed in docs/dialects/huawei.md.
 */
import type { MusterError } from '../../domain/errors.ts';
import type { StoredResponse } from '../../engine/idempotency.ts';

export const HUAWEI_CODES = {
  emptyBody: 'WKS.0001',
  invalidParameter: 'WKS.00170101',
  userExists: 'WKS.00170201',
  groupNotFound: 'WKS.00170208',
  userNotFound: 'WKS.00170312',
  projectNotFound: 'WKS.00170117',
  authentication: 'APIGW.0301',
  permission: 'APIGW.0302',
  noSuchApi: 'APIGW.0101',
  /** API Gateway's throttling answer (429). */
  throttled: 'APIGW.0308',
  internal: 'WKS.00000500',
  unavailable: 'WKS.00000503',
} as const;

/**
 * Status and code for a registered error, by its category, and by its code
 * where Huawei's contract names that failure (a missing user is 400
 * WKS.00170312, an existing one 400 WKS.00170201).
 */
function codeFor(error: MusterError): { status: number; code: string } {
  if (error.category === 'conflict' && (error.code.startsWith('user.') || error.code.startsWith('batch.'))) return { status: 400, code: HUAWEI_CODES.userExists };
  switch (error.code) {
    case 'request.body_required':
      return { status: 400, code: HUAWEI_CODES.emptyBody };
    case 'group.not_found':
      return { status: 400, code: HUAWEI_CODES.groupNotFound };
    case 'user.not_found':
      return { status: 400, code: HUAWEI_CODES.userNotFound };
    case 'directory.not_found':
      return { status: 404, code: HUAWEI_CODES.projectNotFound };
    case 'route.not_found':
      return { status: 404, code: HUAWEI_CODES.noSuchApi };
    case 'rate.limited':
      return { status: 429, code: HUAWEI_CODES.throttled };
  }
  if (error.category === 'forbidden') return { status: 403, code: HUAWEI_CODES.permission };
  if (error.category === 'auth' || error.category === 'credentials') return { status: 401, code: HUAWEI_CODES.authentication };
  if (error.category === 'unavailable') return { status: 503, code: HUAWEI_CODES.unavailable };
  if (error.category === 'internal') return { status: 500, code: HUAWEI_CODES.internal };
  // Too large (body 413, path 414, headers 431) and too slow (408) keep their status.
  return { status: [408, 413, 414, 431].includes(error.status) ? error.status : 400, code: HUAWEI_CODES.invalidParameter };
}

export function renderHuaweiError(error: MusterError): StoredResponse {
  const { status, code } = codeFor(error);
  return { status, body: { error_code: code, error_msg: error.message } };
}
