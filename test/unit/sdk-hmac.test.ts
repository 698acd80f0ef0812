/** Huawei SDK-HMAC-SHA256: the request captured from the real SDK verifies; any change breaks it. */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { canonicalRequest, parseSdkAuthorization, parseSdkDate, signature, stringToSign, verifySignature, type SignedRequest } from '../../src/http/auth/sdkHmac.ts';

/** The project's shared folder sits beside the repository (also in CI). */
const VECTOR_PATH = new URL('../../../shared/vectors/huawei-sdk-hmac-sha256.json', import.meta.url);
if (!existsSync(VECTOR_PATH)) throw new Error(`${VECTOR_PATH.pathname} is missing: the shared/ folder must sit beside this repository`);
const vector = JSON.parse(readFileSync(VECTOR_PATH, 'utf8')) as {
  ak: string;
  sk: string;
  method: string;
  path: string;
  query: string;
  headers: Record<string, string>;
  body: string;
  expected_canonical_request: string;
  expected_string_to_sign: string;
  expected_signature: string;
};

function request(overrides: Partial<SignedRequest> = {}, headerOverrides: Record<string, string> = {}): SignedRequest {
  const headers = Object.fromEntries(Object.entries({ ...vector.headers, ...headerOverrides }).map(([k, v]) => [k.toLowerCase(), v]));
  return { method: vector.method, path: vector.path, query: vector.query, headers, body: Buffer.from(vector.body, 'utf8'), ...overrides };
}

describe('SDK-HMAC-SHA256 (shared/vectors/huawei-sdk-hmac-sha256.json)', () => {
  const authorization = parseSdkAuthorization(vector.headers.Authorization)!;

  it('parses the Authorization header and the date', () => {
    assert.equal(authorization.accessKey, vector.ak);
    assert.deepEqual(authorization.signedHeaders, ['content-type', 'host', 'user-agent', 'x-project-id', 'x-sdk-date']);
    assert.equal(parseSdkDate(vector.headers['X-Sdk-Date'])?.toISOString(), '2026-11-23T12:22:15.000Z');
  });

  it('builds the canonical request, string to sign and signature the SDK made', () => {
    const canonical = canonicalRequest(request(), authorization.signedHeaders);
    assert.equal(canonical, vector.expected_canonical_request);
    const toSign = stringToSign(vector.headers['X-Sdk-Date']!, canonical);
    assert.equal(toSign, vector.expected_string_to_sign);
    assert.equal(signature(vector.sk, toSign), vector.expected_signature);
    assert.equal(verifySignature(request(), authorization, vector.sk), true);
  });

  it('fails for a one-byte change to the body, a signed header, or the key', () => {
    const body = Buffer.from(vector.body, 'utf8');
    body[body.length - 2] = body[body.length - 2]! ^ 1;
    assert.equal(verifySignature(request({ body }), authorization, vector.sk), false);
    assert.equal(verifySignature(request({}, { 'X-Project-Id': vector.headers['X-Project-Id']!.replace(/.$/, 'e') }), authorization, vector.sk), false);
    assert.equal(verifySignature(request({}, { Host: '127.0.0.1:18088' }), authorization, vector.sk), false);
    assert.equal(verifySignature(request({}, { 'X-Sdk-Date': '20261123T122216Z' }), authorization, vector.sk), false);
    assert.equal(verifySignature(request(), authorization, `${vector.sk.slice(0, -1)}X`), false);
    assert.equal(verifySignature(request({ path: `${vector.path}x` }), authorization, vector.sk), false);
  });

  it('ignores headers that are not signed', () => {
    assert.equal(verifySignature(request({}, { Accept: 'application/xml', 'Content-Length': '999' }), authorization, vector.sk), true);
  });
});
