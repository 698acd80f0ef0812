/**
 * Domain events: the durable record of every write, emitted by the use case
 * in the same transaction as the change (engine/unitOfWork.ts), read back as
 * the audit trail and, later, delivered by webhooks.
 *
 * Contract: an event's `data` names the fields that changed and their new
 * values, never a credential. The builders here copy only public fields, and
 * `assertCredentialFree` (run on every emitted event) refuses any key that
 * names a password, hash, secret or token, so a careless caller fails loudly
 * in tests rather than leaking into the audit trail. Pure.
 */
import { profileFields, type User } from './user.ts';

export const EVENT_TYPES = [
  'user.created',
  'user.updated',
  'user.deleted',
  'user.secret_rotated',
  'user.unlocked',
  'address.unlocked',
  'invitation.sent',
  'invitation.accepted',
  'invitation.revoked',
  'directory.created',
  'directory.deleted',
  'key.created',
  'key.revoked',
  'group.created',
  'group.deleted',
  'group.updated',
  'settings.updated',
  'import.started',
  'import.completed',
  'import.failed',
  'import.cancelled',
  'import.undone',
  'webhook.created',
  'webhook.updated',
  'webhook.deleted',
  'webhook.secret_rotated',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export const SUBJECT_TYPES = ['user', 'directory', 'group', 'api_key', 'access_key', 'tenant', 'import', 'webhook', 'address'] as const;
export type SubjectType = (typeof SUBJECT_TYPES)[number];

/** An event as a use case emits it; the unit of work adds the actor, the time and an id. */
export interface DomainEvent {
  readonly type: EventType;
  readonly subject: { readonly type: SubjectType; readonly id: string };
  /** The directory the subject lives in, when it lives in one. */
  readonly directoryId: string | null;
  readonly data: Readonly<Record<string, unknown>>;
}

/** Keys that must never appear in an event, at any depth, compared case-insensitively. */
const CREDENTIAL_KEY = /password|secret|token|hash|credential|^key$/i;

export class CredentialInEventError extends Error {}

/** Throws when `data` holds a key that names a credential (see the module contract). */
export function assertCredentialFree(event: DomainEvent): void {
  const visit = (value: object, path: string, skip?: string): void => {
    for (const key in value) {
      if (key === skip || !Object.hasOwn(value, key)) continue;
      if (CREDENTIAL_KEY.test(key)) throw new CredentialInEventError(`event ${event.type} carries a credential field (${path}${key})`);
      const inner = (value as Record<string, unknown>)[key];
      if (inner !== null && typeof inner === 'object') visit(inner, `${path}${key}.`);
    }
  };
  // Free-form user attributes are the caller's data; their keys are not ours to police.
  visit(event.data, '', 'attributes');
}

/** The public fields that differ between two versions of a user, with their new values. */
export function changedUserFields(before: User, after: User): Record<string, unknown> {
  const old: Record<string, unknown> = { ...profileFields(before) };
  const now: Record<string, unknown> = { ...profileFields(after) };
  return Object.fromEntries(Object.entries(now).filter(([field, value]) => JSON.stringify(value) !== JSON.stringify(old[field])));
}

export function userEvent(type: EventType, user: User, data: Record<string, unknown>): DomainEvent {
  return { type, subject: { type: 'user', id: user.id }, directoryId: user.directoryId, data };
}

/** How a user signs in, as events say it (never the credential itself). */
export function signInKind(user: Pick<User, 'hasPassword' | 'hasSecret'>): 'password' | 'generated' | 'none' {
  return user.hasPassword ? 'password' : user.hasSecret ? 'generated' : 'none';
}

/** `user.created` with the user's set fields (empty ones left out) and how it signs in. */
export function userCreated(user: User): DomainEvent {
  const data: Record<string, unknown> = {};
  const fields = profileFields(user);
  for (const field in fields) {
    const value = fields[field as keyof typeof fields];
    if (value !== null && !(typeof value === 'object' && Object.keys(value).length === 0)) data[field] = value;
  }
  data.signIn = signInKind(user);
  return userEvent('user.created', user, data);
}
