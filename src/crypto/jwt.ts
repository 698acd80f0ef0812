/**
 * JSON Web Tokens for dialects that authenticate with them (Royalti). muster
 * issues short-lived tokens signed with Ed25519 (EdDSA) under a key derived
 * from the server key, so every instance sharing MUSTER_SERVER_KEY signs and
 * verifies alike; the public key is published as a JWKS. A deployment may
 * also trust an external issuer's JWKS. Verification checks signature, expiry,
 * not-before, issuer and audience (jose).
 */
import { createPrivateKey, createPublicKey, hkdfSync, type KeyObject } from 'node:crypto';
import { calculateJwkThumbprint, createLocalJWKSet, createRemoteJWKSet, decodeProtectedHeader, exportJWK, jwtVerify, SignJWT, type JWK, type JWTPayload } from 'jose';
import { isScope, type Scope } from '../domain/apiKey.ts';

export interface JwtSettings {
  readonly issuer: string;
  readonly audience: string;
  readonly ttlSeconds: number;
  /** An external issuer whose tokens are also accepted. */
  readonly external?: { readonly jwksUrl: string; readonly issuer: string };
}

/** What a verified token grants: the tenant (`tid` claim) and scopes (`scope` claim). */
export interface TokenGrant {
  readonly tenantId: string;
  readonly subject: string;
  readonly scopes: readonly Scope[];
  /** Who issued the token (muster's PUBLIC_URL, or the trusted external issuer); set on verified grants. */
  readonly issuer?: string;
}

/** DER prefix of a PKCS#8 Ed25519 private key; the 32-byte seed follows. */
const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

function signingKey(serverKey: Buffer): { privateKey: KeyObject; publicKey: KeyObject } {
  const seed = Buffer.from(hkdfSync('sha256', serverKey, Buffer.alloc(0), 'muster/jwt/v1', 32));
  const privateKey = createPrivateKey({ key: Buffer.concat([ED25519_PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' });
  return { privateKey, publicKey: createPublicKey(privateKey) };
}

export class InvalidTokenError extends Error {}

export interface JwtAuthority {
  issue(grant: TokenGrant): Promise<{ token: string; expiresAt: Date }>;
  jwks(): { keys: JWK[] };
  /** The grant of a valid token; throws InvalidTokenError with the reason otherwise. */
  verify(token: string): Promise<TokenGrant>;
}

export async function createJwtAuthority(serverKey: Buffer, settings: JwtSettings): Promise<JwtAuthority> {
  const { privateKey, publicKey } = signingKey(serverKey);
  const publicJwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(publicJwk);
  const jwk: JWK = { ...publicJwk, kid, alg: 'EdDSA', use: 'sig' };
  const local = createLocalJWKSet({ keys: [jwk] });
  const remote = settings.external ? createRemoteJWKSet(new URL(settings.external.jwksUrl)) : undefined;

  function grantOf(payload: JWTPayload): TokenGrant {
    const scopes = typeof payload.scope === 'string' ? payload.scope.split(' ').filter(isScope) : [];
    if (typeof payload.tid !== 'string' || typeof payload.sub !== 'string' || scopes.length === 0) {
      throw new InvalidTokenError('the token lacks tid, sub or scope claims');
    }
    return { tenantId: payload.tid, subject: payload.sub, scopes, ...(typeof payload.iss === 'string' && { issuer: payload.iss }) };
  }

  return {
    async issue(grant) {
      const now = Math.floor(Date.now() / 1000);
      const token = await new SignJWT({ tid: grant.tenantId, scope: grant.scopes.join(' ') })
        .setProtectedHeader({ alg: 'EdDSA', kid, typ: 'JWT' })
        .setIssuer(settings.issuer)
        .setAudience(settings.audience)
        .setSubject(grant.subject)
        .setIssuedAt(now)
        .setNotBefore(now)
        .setExpirationTime(now + settings.ttlSeconds)
        .sign(privateKey);
      return { token, expiresAt: new Date((now + settings.ttlSeconds) * 1000) };
    },
    jwks: () => ({ keys: [jwk] }),
    async verify(token) {
      let header;
      try {
        header = decodeProtectedHeader(token);
      } catch {
        throw new InvalidTokenError('the token is malformed');
      }
      const ours = header.kid === kid;
      if (!ours && !remote) throw new InvalidTokenError('the token was not issued by a trusted issuer');
      try {
        const { payload } = ours
          ? await jwtVerify(token, local, { issuer: settings.issuer, audience: settings.audience, algorithms: ['EdDSA'] })
          : await jwtVerify(token, remote!, { issuer: settings.external!.issuer, audience: settings.audience });
        return grantOf(payload);
      } catch (error) {
        if (error instanceof InvalidTokenError) throw error;
        throw new InvalidTokenError((error as { code?: string }).code === 'ERR_JWT_EXPIRED' ? 'the token has expired' : `the token is not valid (${(error as Error).message})`);
      }
    },
  };
}
