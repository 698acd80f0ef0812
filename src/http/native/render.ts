/** Engine values -> native wire shapes (camelCase, ISO 8601 UTC timestamps). */
import type { ApiKeyInfo, Tenant } from '../../domain/apiKey.ts';
import type { Directory } from '../../domain/directory.ts';
import type { MusterError } from '../../domain/errors.ts';
import { profileFields, type User } from '../../domain/user.ts';
import type { AccessKeyInfo } from '../../domain/apiKey.ts';
import type { InvitationView } from '../../engine/invitations.ts';
import type { AccessKeyWire, ApiKeyWire, DirectoryWire, InvitationWire, TenantWire, UserWire } from './schemas.ts';

const iso = (date: Date | null): string | null => date?.toISOString() ?? null;

export function renderUser(user: User): UserWire {
  return {
    id: user.id,
    directoryId: user.directoryId,
    ...profileFields(user),
    hasPassword: user.hasPassword,
    hasSecret: user.hasSecret,
    createdAt: user.createdAt.toISOString(),
    updatedAt: user.updatedAt.toISOString(),
    version: user.version,
  };
}

export function renderTenant(tenant: Tenant): TenantWire {
  return { id: tenant.id, name: tenant.name, createdAt: tenant.createdAt.toISOString(), disabledAt: iso(tenant.disabledAt) };
}

export function renderDirectory(directory: Directory): DirectoryWire {
  return { id: directory.id, name: directory.name, confusables: directory.confusables, createdAt: directory.createdAt.toISOString() };
}

export function renderApiKey(key: ApiKeyInfo): ApiKeyWire {
  return {
    id: key.id,
    name: key.name,
    prefix: key.prefix,
    scopes: [...key.scopes],
    createdAt: key.createdAt.toISOString(),
    lastUsedAt: iso(key.lastUsedAt),
    revokedAt: iso(key.revokedAt),
  };
}

export function renderError(error: MusterError): { error: { code: string; message: string; details?: Record<string, unknown> } } {
  return { error: { code: error.code, message: error.message, ...(error.details && { details: { ...error.details } }) } };
}

export function renderInvitation(view: InvitationView): InvitationWire {
  const { invitation, delivery } = view;
  return {
    id: invitation.id,
    status: invitation.status,
    redirectUrl: invitation.redirectUrl,
    expiresAt: invitation.expiresAt.toISOString(),
    createdAt: invitation.createdAt.toISOString(),
    endedAt: iso(invitation.endedAt),
    delivery: delivery && { ...delivery, sentAt: iso(delivery.sentAt) },
  };
}

export function renderAccessKey(key: AccessKeyInfo): AccessKeyWire {
  return { accessKeyId: key.id, name: key.name, scopes: [...key.scopes], createdAt: key.createdAt.toISOString(), revokedAt: iso(key.revokedAt) };
}
