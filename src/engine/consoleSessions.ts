/**
 * Console sessions: an API key exchanged for a session token that the console
 * keeps in an httpOnly cookie, so the key never stays in the browser.
 *
 * - The token is `<tenant id>.<session id>.<secret>` (256-bit secret); only
 *   SHA-256 of the secret is stored, and it is compared in constant time.
 * - The CSRF token is derived from the secret (SHA-256 under its own label),
 *   so it needs no storage and only a holder of the cookie's secret (the
 *   server, reading the cookie) can compute it; the page gets it from the
 *   sign-in response or `GET /console/session` and sends it on every write.
 * - A session acts with the scopes of the key that signed in, read on every
 *   request: revoking the key or disabling the tenant ends it at once.
 * - Expiry: idle (`idleSeconds` after the last request, renewed at most once a
 *   minute or a quarter of the idle time) and absolute (`maxSeconds` after sign-in), whichever comes first.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Principal, RouteScope } from '../domain/apiKey.ts';
import { hasScope } from '../domain/apiKey.ts';
import { isUuid } from '../domain/directory.ts';
import { MusterError } from '../domain/errors.ts';
import { newId } from '../crypto/ids.ts';
import { randomToken } from '../crypto/secrets.ts';
import * as repo from '../store/repositories/consoleSessions.ts';
import type { EngineContext } from './context.ts';
import type { TenantService } from './tenants.ts';

/** A session as the console sees it: never the token's secret except at sign-in. */
export interface ConsoleSessionView {
  readonly tenantId: string;
  readonly keyPrefix: string;
  readonly scopes: Principal['scopes'];
  readonly csrfToken: string;
  readonly expiresAt: Date;
}

export interface ConsoleSessionLimits {
  /** A session ends this long after its last request. */
  readonly idleSeconds: number;
  /** A session ends this long after sign-in, however busy. */
  readonly maxSeconds: number;
}

/** How a request presents a session: its token, and for writes the CSRF token it sent. */
export interface SessionPresentation {
  readonly token: string;
  /** True for methods that change state (anything but GET, HEAD, OPTIONS). */
  readonly write: boolean;
  readonly csrfToken: string | undefined;
}

/** Renew the idle expiry only when it would move by more than this (or a quarter of the idle time, if shorter). */
const RENEW_GRANULARITY_MS = 60_000;

const sha256 = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest();
const csrfOf = (secret: string): string => createHash('sha256').update('muster console csrf\0', 'utf8').update(secret, 'utf8').digest('base64url');
const sameText = (a: string, b: string): boolean => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

function checkCsrf(presented: SessionPresentation, secret: string): void {
  if (presented.csrfToken === undefined || !sameText(presented.csrfToken, csrfOf(secret))) throw new MusterError('auth.csrf_invalid');
}

function parseToken(token: string): { tenantId: string; id: string; secret: string } {
  const [tenantId, id, secret, extra] = token.split('.');
  if (extra !== undefined || !tenantId || !id || !secret || !isUuid(tenantId) || !isUuid(id)) throw new MusterError('auth.session_invalid');
  return { tenantId, id, secret };
}

export function consoleSessionService(ctx: EngineContext, tenants: TenantService) {
  const limits = ctx.limits.consoleSessions;
  const expiryFrom = (now: Date, createdAt: Date): Date =>
    new Date(Math.min(now.getTime() + limits.idleSeconds * 1000, createdAt.getTime() + limits.maxSeconds * 1000));

  /** The live session a token names; throws `auth.session_invalid`, `auth.session_expired`, `auth.key_revoked`, `auth.tenant_disabled`. */
  async function live(token: string): Promise<{ record: repo.SessionRecord; secret: string }> {
    const { tenantId, id, secret } = parseToken(token);
    const record = await repo.findSession(ctx.db, tenantId, id);
    const presented = sha256(secret);
    if (!record || record.secretHash.length !== presented.length || !timingSafeEqual(record.secretHash, presented)) {
      throw new MusterError('auth.session_invalid');
    }
    // An expired row stays (and keeps answering `auth.session_expired`) until the tenant's next sign-in sweeps it.
    if (record.expiresAt.getTime() <= ctx.now().getTime()) throw new MusterError('auth.session_expired');
    if (record.keyRevoked) throw new MusterError('auth.key_revoked');
    if (record.tenantDisabled) throw new MusterError('auth.tenant_disabled');
    return { record, secret };
  }

  const viewOf = (record: repo.SessionRecord, secret: string, expiresAt: Date): ConsoleSessionView => ({
    tenantId: record.tenantId,
    keyPrefix: record.keyPrefix,
    scopes: record.scopes,
    csrfToken: csrfOf(secret),
    expiresAt,
  });

  return {
    /**
     * Exchanges an API key for a new session. Throws what `authenticateKey`
     * throws for a bad key. Sweeps the tenant's expired sessions on the way.
     */
    async signIn(key: string): Promise<{ token: string; session: ConsoleSessionView }> {
      const principal = await tenants.authenticateKey(key);
      const now = ctx.now();
      const id = newId();
      const secret = randomToken();
      const expiresAt = expiryFrom(now, now);
      await ctx.db.transaction(async (tx) => {
        await repo.deleteExpiredSessions(tx, principal.tenantId, now);
        await repo.insertSession(tx, { tenantId: principal.tenantId, id, keyId: principal.keyId, secretHash: sha256(secret), createdAt: now, expiresAt });
      });
      const identity = principal.identity;
      return {
        token: `${principal.tenantId}.${id}.${secret}`,
        session: {
          tenantId: principal.tenantId,
          keyPrefix: identity.kind === 'api_key' ? identity.prefix : '',
          scopes: principal.scopes,
          csrfToken: csrfOf(secret),
          expiresAt,
        },
      };
    },

    /** The session a token names, with its CSRF token (for a page that reloads). */
    async describe(token: string): Promise<ConsoleSessionView> {
      const { record, secret } = await live(token);
      return viewOf(record, secret, record.expiresAt);
    },

    /**
     * The principal of a request presenting a session: the signing key's tenant,
     * id and scopes. A write without the session's CSRF token is
     * `auth.csrf_invalid`; a scope not held is `auth.insufficient_scope`.
     */
    async authenticate(presented: SessionPresentation, required?: RouteScope): Promise<Principal> {
      const { record, secret } = await live(presented.token);
      if (presented.write) checkCsrf(presented, secret);
      const principal: Principal = {
        tenantId: record.tenantId,
        keyId: record.keyId,
        scopes: record.scopes,
        identity: { kind: 'api_key', keyId: record.keyId, prefix: record.keyPrefix },
      };
      if (required && !hasScope(principal, required)) {
        throw new MusterError('auth.insufficient_scope', `This operation needs the ${required} scope.`, { requiredScope: required });
      }
      const renewed = expiryFrom(ctx.now(), record.createdAt);
      if (renewed.getTime() - record.expiresAt.getTime() > Math.min(RENEW_GRANULARITY_MS, (limits.idleSeconds * 1000) / 4)) await repo.extendSession(ctx.db, record.tenantId, record.id, renewed);
      return principal;
    },

    /**
     * Ends the presented session; the CSRF token is required as on any write
     * (`auth.csrf_invalid`). A session already ended, expired or unknown is
     * not an error: signing out is idempotent.
     */
    async signOut(presented: SessionPresentation): Promise<void> {
      let session: { record: repo.SessionRecord; secret: string };
      try {
        session = await live(presented.token);
      } catch (error) {
        if (error instanceof MusterError && error.category === 'auth') return;
        throw error;
      }
      checkCsrf(presented, session.secret);
      await repo.deleteSession(ctx.db, session.record.tenantId, session.record.id);
    },
  };
}

export type ConsoleSessionService = ReturnType<typeof consoleSessionService>;
