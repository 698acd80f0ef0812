/**
 * Users between muster and SCIM. The canonical resource (resource.ts) is kept
 * as sent in the user's `attributes.scim`, so values come back as stored; the
 * columns muster itself uses are derived from it: userName, externalId,
 * displayName, name.givenName/familyName, locale, the primary (else first)
 * email and phone number, and `active` as the status (`false` disables).
 */
import type { Group } from '../../domain/group.ts';
import type { User, UserDraft, UserProfile } from '../../domain/user.ts';
import { isObject, type Json, type JsonObject } from './resource.ts';
import { ENTERPRISE_SCHEMA, USER_SCHEMA } from './registry.ts';

/** The key of `attributes` that holds the SCIM resource as sent. */
export const SCIM_ATTRIBUTES_KEY = 'scim';

/** Attributes that live only in columns (or nowhere: password, groups), never in `attributes.scim`. */
const COLUMN_ONLY = ['id', 'meta', 'schemas', 'password', 'groups', 'userName', 'externalId', 'displayName', 'locale', 'active'];

export const etagOf = (version: number): string => `W/"${version}"`;

/** The value of the primary element of a multi-valued attribute, else of the first; null when none. */
function primaryValue(list: Json | undefined): string | null {
  if (!Array.isArray(list) || list.length === 0) return null;
  const primary = list.find((e) => isObject(e) && e.primary === true) ?? list[0];
  return isObject(primary) && typeof primary.value === 'string' ? primary.value : null;
}

const text = (value: Json | undefined): string | null => (typeof value === 'string' ? value : null);

/** The stored part of a canonical resource (everything but the column-only attributes). */
function storedPart(resource: JsonObject): JsonObject {
  return Object.fromEntries(Object.entries(resource).filter(([k]) => !COLUMN_ONLY.includes(k)));
}

/** The profile a canonical resource sets (a full replacement: absent attributes clear their columns). */
export function profileOf(resource: JsonObject, current: User | undefined): UserProfile & { username: string } {
  const name = isObject(resource.name) ? resource.name : {};
  const status = resource.active === false ? 'disabled' : current === undefined || current.status === 'disabled' ? 'active' : current.status;
  return {
    username: String(resource.userName),
    externalId: text(resource.externalId),
    displayName: text(resource.displayName),
    givenName: text(name.givenName),
    familyName: text(name.familyName),
    email: primaryValue(resource.emails),
    phone: primaryValue(resource.phoneNumbers),
    locale: text(resource.locale),
    status,
    attributes: { ...current?.attributes, [SCIM_ATTRIBUTES_KEY]: storedPart(resource) },
  };
}

export function draftOf(resource: JsonObject): UserDraft {
  const draft: UserDraft = profileOf(resource, undefined);
  if (typeof resource.password === 'string') draft.password = resource.password;
  return draft;
}

const compact = (o: Record<string, Json | undefined>): JsonObject =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== null)) as JsonObject;

/** The full SCIM resource of a user (before projection). `groups` only when given. */
export function renderUser(user: User, location: string, groups?: readonly Group[], groupsBase?: string): JsonObject {
  const stored = isObject(user.attributes[SCIM_ATTRIBUTES_KEY]) ? (user.attributes[SCIM_ATTRIBUTES_KEY] as JsonObject) : {};
  const storedName = isObject(stored.name) ? stored.name : {};
  const name = compact({ ...storedName, givenName: user.givenName, familyName: user.familyName });
  const resource: JsonObject = {
    schemas: stored[ENTERPRISE_SCHEMA] === undefined ? [USER_SCHEMA] : [USER_SCHEMA, ENTERPRISE_SCHEMA],
    id: user.id,
    ...compact({ externalId: user.externalId, userName: user.username }),
    ...stored,
    ...(Object.keys(name).length > 0 ? { name } : {}),
    ...compact({ displayName: user.displayName, locale: user.locale }),
    ...(stored.emails === undefined && user.email !== null && { emails: [{ value: user.email, primary: true }] }),
    ...(stored.phoneNumbers === undefined && user.phone !== null && { phoneNumbers: [{ value: user.phone, primary: true }] }),
    active: user.status !== 'disabled',
  };
  if (groups && groups.length > 0) {
    resource.groups = groups.map((g) => ({ value: g.id, $ref: `${groupsBase}/${g.id}`, display: g.name, type: 'direct' }));
  }
  resource.meta = {
    resourceType: 'User',
    created: user.createdAt.toISOString(),
    lastModified: user.updatedAt.toISOString(),
    location,
    version: etagOf(user.version),
  };
  return resource;
}
