/**
 * Authentication for the Huawei dialect: `X-Auth-Token: <muster API key>`, or
 * an `SDK-HMAC-SHA256` signature by an access key (what Huawei's SDKs send).
 * The signature covers the raw body, so this runs after the body is read
 * (preValidation) and hashes the bytes as received (`rawBody`). A signature
 * whose X-Sdk-Date is more than 15 minutes from the server's clock is refused.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { MusterError } from '../../domain/errors.ts';
import type { Engine } from '../../engine/engine.ts';
import { decorateAuthentication } from './apiKeyAuth.ts';
import { MAX_CLOCK_SKEW_MS, parseSdkAuthorization, parseSdkDate, verifySignature } from './sdkHmac.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The request body's bytes as received (set by the Huawei dialect's JSON parser). */
    rawBody: Buffer | undefined;
  }
}

async function principalFor(request: FastifyRequest, engine: Engine) {
  const required = request.routeOptions.config.scope;
  const token = request.headers['x-auth-token'];
  if (typeof token === 'string' && token !== '') return engine.tenants.authenticateKey(token, required);

  const authorization = parseSdkAuthorization(request.headers.authorization);
  if (!authorization) throw new MusterError(request.headers.authorization ? 'auth.malformed' : 'auth.missing', 'Send X-Auth-Token, or sign the request with SDK-HMAC-SHA256.');
  const sdkDate = parseSdkDate(request.headers['x-sdk-date'] as string | undefined);
  if (!sdkDate || Math.abs(Date.now() - sdkDate.getTime()) > MAX_CLOCK_SKEW_MS) throw new MusterError('auth.signature_expired');
  const { principal, secretAccessKey } = await engine.accessKeys.secretFor(authorization.accessKey, required);
  const [path, query = ''] = request.raw.url!.split('?', 2) as [string, string?];
  const signed = { method: request.method, path, query, headers: request.headers, body: request.rawBody ?? Buffer.alloc(0) };
  if (!verifySignature(signed, authorization, secretAccessKey)) throw new MusterError('auth.signature_invalid');
  return principal;
}

export function useHuaweiAuth(app: FastifyInstance, engine: Engine): void {
  decorateAuthentication(app);
  if (!app.hasRequestDecorator('rawBody')) app.decorateRequest('rawBody', undefined);
  // Keep the bytes: the signature is over the body as sent, not as re-serialised.
  const json = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    request.rawBody = body as Buffer;
    if ((body as Buffer).length === 0) done(null, undefined);
    else void json(request, (body as Buffer).toString('utf8'), done); // the default parser answers through done()
  });
  app.addHook('preValidation', async (request) => {
    request.principal = await principalFor(request, engine);
    request.dialect = 'huawei';
  });
}
