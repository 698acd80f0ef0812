/**
 * Access keys: an id (AK) and a secret (SK) for clients that sign requests
 * (Huawei's SDKs). The secret is shown once, at creation, and stored sealed
 * under the server key: verifying a signature needs it, so it cannot be hashed.
 */
import { randomBytes } from 'node:crypto';
import type { Actor } from '../domain/actor.ts';
import { hasScope, type AccessKeyInfo, type Principal, type RouteScope } from '../domain/apiKey.ts';
import { MusterError } from '../domain/errors.ts';
import type { DomainEvent } from '../domain/events.ts';
import { randomToken } from '../crypto/secrets.ts';
import * as repo from '../store/repositories/accessKeys.ts';
import type { EngineContext } from './context.ts';
import { validScopes } from './tenants.ts';
import { inUnitOfWork } from './unitOfWork.ts';

/** AKs look like Huawei's: 20 upper-case letters and digits. */
const AK_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
function newAccessKeyId(): string {
  return Array.from(randomBytes(20), (b) => AK_ALPHABET[b % AK_ALPHABET.length]).join('');
}

function accessKeyEvent(type: 'key.created' | 'key.revoked', key: AccessKeyInfo): DomainEvent {
  return { type, subject: { type: 'access_key', id: key.id }, directoryId: null, data: { name: key.name, scopes: key.scopes } };
}

export function accessKeyService(ctx: EngineContext) {
  return {
    /** Creates a key pair; `secretAccessKey` is returned only here. */
    create(actor: Actor, request: { name: string; scopes: readonly string[] }): Promise<{ info: AccessKeyInfo; secretAccessKey: string }> {
      const id = newAccessKeyId();
      const secretAccessKey = randomToken(30);
      const scopes = validScopes(request.scopes);
      return inUnitOfWork(ctx, actor, async (uow) => {
        const info = await repo.insertAccessKey(uow.tx, {
          id,
          tenantId: actor.tenantId,
          name: request.name,
          sealedSecret: ctx.accessKeySealer.seal(Buffer.from(secretAccessKey, 'utf8'), id),
          scopes,
        });
        uow.emit(accessKeyEvent('key.created', info));
        return { info, secretAccessKey };
      });
    },

    list: (actor: Actor): Promise<AccessKeyInfo[]> => repo.listAccessKeys(ctx.db, actor.tenantId),

    /** Revokes; idempotent (revoking twice keeps the first time and writes one event). */
    revoke: (actor: Actor, id: string): Promise<AccessKeyInfo> =>
      inUnitOfWork(ctx, actor, async (uow) => {
        const revoked = await repo.revokeAccessKey(uow.tx, actor.tenantId, id);
        if (!revoked) throw new MusterError('access_key.not_found');
        if (revoked.newly) uow.emit(accessKeyEvent('key.revoked', revoked.key));
        return revoked.key;
      }),

    /**
     * The principal and secret of a live access key, for verifying a signature.
     * Throws `auth.invalid_key`, `auth.key_revoked`, `auth.tenant_disabled`, or `auth.insufficient_scope`.
     */
    async secretFor(id: string, required?: RouteScope): Promise<{ principal: Principal; secretAccessKey: string }> {
      const found = await repo.findAccessKey(ctx.db, id);
      if (!found) throw new MusterError('auth.invalid_key');
      if (found.revokedAt !== null) throw new MusterError('auth.key_revoked');
      if (found.tenantDisabled) throw new MusterError('auth.tenant_disabled');
      const principal: Principal = { tenantId: found.tenantId, keyId: found.id, scopes: found.scopes, identity: { kind: 'access_key', accessKey: found.id } };
      if (required && !hasScope(principal, required)) {
        throw new MusterError('auth.insufficient_scope', `This operation needs the ${required} scope.`, { requiredScope: required });
      }
      return { principal, secretAccessKey: ctx.accessKeySealer.open(found.sealedSecret, id).toString('utf8') };
    },
  };
}

export type AccessKeyService = ReturnType<typeof accessKeyService>;
