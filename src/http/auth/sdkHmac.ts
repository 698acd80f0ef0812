/**
 * Huawei Cloud's `SDK-HMAC-SHA256` request signatures, as its SDKs make them:
 *
 *   Authorization: SDK-HMAC-SHA256 Access=<AK>, SignedHeaders=<h1;h2>, Signature=<hex>
 *   X-Sdk-Date: yyyyMMddTHHmmssZ
 *
 * signature = hex(HMAC-SHA256(SK bytes, "SDK-HMAC-SHA256\n" + X-Sdk-Date + "\n" + hex(sha256(canonicalRequest))))
 *
 * canonicalRequest joins with "\n": the method; the path with each segment
 * percent-decoded then re-encoded (RFC 3986 unreserved kept) and a "/"
 * appended; the sorted, encoded query; "name:value" (value trimmed) for each
 * signed header in the listed order, then an empty line; the signed header
 * list; hex sha256 of the raw body bytes. The body is hashed as received,
 * never re-serialised. Checked against a request captured from the real SDK
 * (shared/vectors/huawei-sdk-hmac-sha256.json).
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export const SDK_HMAC_ALGORITHM = 'SDK-HMAC-SHA256';
/** How far X-Sdk-Date may be from the server's clock, either way. */
export const MAX_CLOCK_SKEW_MS = 15 * 60 * 1000;

export interface SignedRequest {
  readonly method: string;
  /** The path as received (percent-encoded), without the query. */
  readonly path: string;
  /** The query string as received, without "?". */
  readonly query: string;
  /** Header values by lower-case name. */
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: Uint8Array;
}

export interface SdkAuthorization {
  readonly accessKey: string;
  readonly signedHeaders: readonly string[];
  readonly signature: string;
}

/** RFC 3986: everything but unreserved characters percent-encoded, upper-case hex. */
function encode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function decode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

function canonicalPath(path: string): string {
  const encoded = path.split('/').map((segment) => encode(decode(segment))).join('/');
  return encoded.endsWith('/') ? encoded : `${encoded}/`;
}

function canonicalQuery(query: string): string {
  if (query === '') return '';
  return query
    .split('&')
    .filter((part) => part !== '')
    .map((part) => {
      const [key, ...rest] = part.split('=');
      return [encode(decode(key!.replace(/\+/g, ' '))), encode(decode(rest.join('=').replace(/\+/g, ' ')))] as const;
    })
    .sort(([ka, va], [kb, vb]) => (ka < kb ? -1 : ka > kb ? 1 : va < vb ? -1 : va > vb ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
}

function headerValue(headers: SignedRequest['headers'], name: string): string {
  const value = headers[name];
  return (Array.isArray(value) ? value.join(',') : (value ?? '')).trim();
}

export function canonicalRequest(request: SignedRequest, signedHeaders: readonly string[]): string {
  return [
    request.method.toUpperCase(),
    canonicalPath(request.path),
    canonicalQuery(request.query),
    signedHeaders.map((name) => `${name}:${headerValue(request.headers, name)}`).join('\n') + '\n',
    signedHeaders.join(';'),
    createHash('sha256').update(request.body).digest('hex'),
  ].join('\n');
}

export function stringToSign(sdkDate: string, canonical: string): string {
  return `${SDK_HMAC_ALGORITHM}\n${sdkDate}\n${createHash('sha256').update(canonical, 'utf8').digest('hex')}`;
}

export function signature(secretKey: string, toSign: string): string {
  return createHmac('sha256', Buffer.from(secretKey, 'utf8')).update(toSign, 'utf8').digest('hex');
}

/** Parses the Authorization header; undefined when it is not an SDK-HMAC-SHA256 one. */
export function parseSdkAuthorization(header: string | undefined): SdkAuthorization | undefined {
  const match = /^SDK-HMAC-SHA256\s+Access=([^,\s]+),\s*SignedHeaders=([^,\s]+),\s*Signature=([0-9a-fA-F]{64})\s*$/.exec(header ?? '');
  if (!match) return undefined;
  return { accessKey: match[1]!, signedHeaders: match[2]!.toLowerCase().split(';'), signature: match[3]!.toLowerCase() };
}

/** `yyyyMMddTHHmmssZ` to a Date, or undefined. */
export function parseSdkDate(value: string | undefined): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value ?? '');
  if (!m) return undefined;
  const date = new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!));
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/** True when the request carries a valid signature by `secretKey` (the clock is checked separately). */
export function verifySignature(request: SignedRequest, authorization: SdkAuthorization, secretKey: string): boolean {
  if (!authorization.signedHeaders.includes('x-sdk-date')) return false;
  const sdkDate = headerValue(request.headers, 'x-sdk-date');
  const expected = Buffer.from(signature(secretKey, stringToSign(sdkDate, canonicalRequest(request, authorization.signedHeaders))), 'hex');
  const given = Buffer.from(authorization.signature, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}
