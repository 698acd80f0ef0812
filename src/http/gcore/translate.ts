/**
 * Gcore wire <-> engine values. A registry user is a muster user whose
 * username is `name`, whose integer id is `seq`, whose `duration` and
 * `read_only` live in `attributes.gcore`, and whose expiry is its creation time
 * plus `duration` days (none for -1).
 */
import type { BatchOutcome } from '../../domain/batch.ts';
import { MusterError } from '../../domain/errors.ts';
import type { User, UserDraft, UserPatch } from '../../domain/user.ts';
import type { Registry } from '../../domain/registry.ts';
import type { StoredResponse } from '../../engine/idempotency.ts';
import { compileItemValidator } from '../validation.ts';
import { UserCreateBody, type RegistryUserWire, type RegistryWire, type UserCreateWire } from './schemas.ts';

/**
 * What `expires_at` says for a user that never expires (duration -1). Gcore's
 * SDK models require a date-time there, so it is never null; the real service's
 * value is undocumented, and the far end of the calendar reads unambiguously.
 */
export const NEVER_EXPIRES = '9999-12-31T23:59:59Z';
const DAY_MS = 86_400_000;

export function expiryFor(createdAt: Date, duration: number): Date | null {
  return duration === -1 ? null : new Date(createdAt.getTime() + duration * DAY_MS);
}

interface GcoreAttributes {
  readonly duration: number;
  readonly read_only: boolean;
}

const gcoreAttributes = (user: User): GcoreAttributes =>
  (user.attributes.gcore as GcoreAttributes | undefined) ?? { duration: -1, read_only: false };

/** A draft for a registry user: a given secret is the user's password (argon2id); none means a generated one. */
export function draftFromWire(wire: UserCreateWire): UserDraft {
  return {
    username: wire.name,
    ...(wire.duration !== -1 && { lifetimeSeconds: wire.duration * (DAY_MS / 1000) }),
    attributes: { gcore: { duration: wire.duration, read_only: wire.read_only } },
    ...(wire.secret === '' ? { generateSecret: true } : { password: wire.secret }),
  };
}

/** A PATCH: new duration (expiry from the user's creation) and, if given, read_only. */
export function patchFromWire(user: User, wire: { duration: number; read_only?: boolean }): UserPatch {
  return {
    expiresAt: expiryFor(user.createdAt, wire.duration),
    attributes: { ...user.attributes, gcore: { duration: wire.duration, read_only: wire.read_only ?? gcoreAttributes(user).read_only } },
  };
}

export function renderUser(user: User): RegistryUserWire {
  const { duration, read_only } = gcoreAttributes(user);
  return {
    id: user.seq,
    name: user.username,
    duration,
    read_only,
    created_at: user.createdAt.toISOString(),
    expires_at: user.expiresAt?.toISOString() ?? NEVER_EXPIRES,
  };
}

export function renderRegistry(registry: Registry, registryHost: string): RegistryWire {
  return {
    id: registry.id,
    name: registry.name,
    created_at: registry.createdAt.toISOString(),
    updated_at: registry.updatedAt.toISOString(),
    storage_limit: registry.storageLimit,
    storage_used: 0,
    repo_count: 0,
    url: `${registryHost}/${registry.name}`,
  };
}

const validateItem = compileItemValidator<UserCreateWire>(UserCreateBody);

/** A batch item: validated against the single-create schema (defaults applied), then a draft. */
export function batchItemFromWire(item: unknown): { draft: UserDraft } | { rejected: MusterError } {
  const checked = validateItem(item);
  return 'value' in checked ? { draft: draftFromWire(checked.value) } : checked;
}

/** Codes that make an all-or-nothing Gcore batch a 409 rather than a 400. */

/**
 * The answer to a batch (seed 000): 201 with ONE registry user at the top
 * level, the first created (Gcore's SDKs type the body as one
 * `RegistryUserCreated`, all seven fields required), plus `results` with every
 * created user and its secret, and `count`. Otherwise nothing was written, and
 * the answer is a 400 naming every invalid field (`users[i].field`), or, when
 * every item is valid, a 409 naming the users that exist or repeat. Both are
 * deterministic, so a retried request gets the same answer.
 */
export function renderBatch(outcome: BatchOutcome, wireItems: readonly unknown[]): StoredResponse | MusterError {
  if (outcome.summary.committed) {
    const results = outcome.results.flatMap((r) => {
      if (r.status !== 'created' || r.user === null) return [];
      const given = (wireItems[r.index] as { secret?: string }).secret;
      return [{ ...renderUser(r.user), secret: ('secret' in r && r.secret) || given || '' }];
    });
    // A committed Gcore batch is atomic and has at least one item: results[0] exists.
    return { status: 201, body: { ...results[0]!, count: results.length, results } };
  }
  const failures = outcome.results.flatMap((r) => (r.status === 'failed' && r.error.code !== 'batch.aborted' ? [r] : []));
  const invalid = failures.filter((f) => f.error.category !== 'conflict');
  if (invalid.length > 0) {
    const problems = invalid.flatMap((f) => {
      const listed = f.error.details?.problems as { field: string; message: string }[] | undefined;
      const field = String(f.error.details?.field ?? '');
      return (listed ?? [{ field, message: f.error.message }]).map((p) => ({ field: `users[${f.index}].${p.field}`, message: p.message }));
    });
    return new MusterError('request.invalid', `${problems.length} invalid field(s) in users.`, { problems });
  }
  const names = failures.map((f) => String((wireItems[f.index] as { name?: unknown }).name));
  return new MusterError('user.username_taken', `User(s) already exist or repeat in the batch: ${names.join(', ')}`);
}
