/**
 * Credential-stuffing defence (LOCKOUT_*) for every place a caller guesses at
 * a credential: `users.authenticate` (per username and per client address,
 * both within the tenant) and the invitation page (per address across
 * tenants: an unknown token names no user and no tenant). Failures
 * are counted in the database (store/repositories/counters.ts), so every
 * instance sees the same count.
 *
 * Contract:
 * - a username's bucket is keyed by its comparison key whether or not the user
 *   exists (hashed, so usernames stay out of the counters), and a locked-out
 *   name is refused before any lookup: the answers never tell whether a
 *   username exists;
 * - past `userSlowAfter` failures of a username, or `addressSlowAfter` of an
 *   address, in the window each failure waits before it is answered (doubling
 *   from 250 ms, at most 4 s); at the limit, attempts are
 *   `credentials.locked` (429, Retry-After) until the window ends, even with
 *   the right credential;
 * - a success clears the username's failures (not the address's);
 * - an admin clears a user's failures with `users.unlock` (event
 *   `user.unlocked`), and an address's `authenticate` failures in the tenant
 *   with `users.unlockAddress` (event `address.unlocked`), which never touches
 *   another tenant's `authenticate` counts. The invitation page's address
 *   lockout names no tenant (an unknown link has none): any tenant's admin's
 *   address unlock lifts it too, audited in that tenant. That cannot help an
 *   attacker: an invitation token is 256 random bits, guessed by nobody, and
 *   the lockout only spares the page the traffic; it can help people behind
 *   one shared address whom someone else's bad links locked out.
 */
import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { MusterError } from '../domain/errors.ts';
import type { Queryable } from '../store/ports.ts';
import { bumpCounters, clearCounters, readCounters } from '../store/repositories/counters.ts';
import type { EngineContext } from './context.ts';

/** Where failures are guessed at: each flow counts its own failures; `authenticate` within its tenant. */
export type GuessedAt = { readonly flow: 'authenticate'; readonly tenantId: string } | { readonly flow: 'invitation' };

const FIRST_DELAY_MS = 250;
const MAX_DELAY_MS = 4000;

/** How long the answer to a bucket's `failures`-th failure in a window waits (0 up to `slowAfter`). */
export function failureDelayMs(failures: number, slowAfter: number): number {
  if (failures <= slowAfter) return 0;
  return Math.min(MAX_DELAY_MS, FIRST_DELAY_MS * 2 ** Math.min(16, failures - slowAfter - 1));
}

interface Bucket {
  readonly bucket: string;
  readonly limit: number;
  readonly slowAfter: number;
}

/** The failure bucket of a username (its comparison key) in a directory. */
export function usernameBucket(tenantId: string, directoryId: string, usernameKey: string): string {
  const digest = createHash('sha256').update(usernameKey, 'utf8').digest('base64url');
  return `fail:user:${tenantId}:${directoryId}:${digest}`;
}

/**
 * A client address in one spelling, or undefined when it is not an IP
 * address: an IPv4-mapped IPv6 address (what a dual-stack socket reports) as
 * its IPv4 form, IPv6 in lower case.
 */
export function canonicalAddress(address: string): string | undefined {
  const trimmed = address.trim().toLowerCase();
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(trimmed)?.[1];
  const canonical = mapped ?? trimmed;
  return isIP(canonical) === 0 ? undefined : canonical;
}

function addressBucket(at: GuessedAt, address: string): string {
  const spelled = canonicalAddress(address) ?? address;
  return at.flow === 'authenticate' ? `fail:authenticate:addr:${at.tenantId}:${spelled}` : `fail:invitation:addr:${spelled}`;
}

export function lockoutService(ctx: EngineContext) {
  const policy = ctx.limits.lockout;
  const limited = (flow: GuessedAt, address: string, userBucket?: string): Bucket[] => {
    const buckets: Bucket[] = [];
    if (userBucket !== undefined && policy.userFailures > 0) buckets.push({ bucket: userBucket, limit: policy.userFailures, slowAfter: policy.userSlowAfter });
    if (policy.addressFailures > 0) buckets.push({ bucket: addressBucket(flow, address), limit: policy.addressFailures, slowAfter: policy.addressSlowAfter });
    return buckets;
  };

  return {
    /** Throws `credentials.locked` when the username's bucket (if given) or the address is at its limit. */
    async guard(flow: GuessedAt, address: string, userBucket?: string): Promise<void> {
      const buckets = limited(flow, address, userBucket);
      if (buckets.length === 0) return;
      const totals = await readCounters(ctx.db, buckets.map((b) => b.bucket), policy.windowSeconds);
      const limitOf = new Map(buckets.map((b) => [b.bucket, b.limit]));
      const locked = totals.find((t) => t.hits >= limitOf.get(t.bucket)!);
      if (locked) throw new MusterError('credentials.locked', undefined, { retryAfterSeconds: locked.secondsLeft });
    },

    /** Counts a failure against the username (if given) and the address, then waits as the count says. */
    async failed(flow: GuessedAt, address: string, userBucket?: string): Promise<void> {
      const buckets = limited(flow, address, userBucket);
      if (buckets.length === 0) return;
      const totals = await bumpCounters(ctx.db, buckets.map(({ bucket }) => ({ bucket, cost: 1, windowSeconds: policy.windowSeconds })));
      const delay = Math.max(...totals.map((t, i) => failureDelayMs(t.hits, buckets[i]!.slowAfter)));
      if (delay > 0) await sleep(delay);
    },

    /** Forgets a username's failures (after a success, or an admin's unlock); returns whether it had any. */
    clear: async (q: Queryable, userBucket: string): Promise<boolean> => (await clearCounters(q, [userBucket])) > 0,

    /** Forgets an address's `authenticate` failures in the tenant and its invitation-page failures (an admin's unlock); says which had any. */
    clearAddress: async (q: Queryable, tenantId: string, address: string): Promise<{ authenticate: boolean; invitationPage: boolean }> => ({
      authenticate: (await clearCounters(q, [addressBucket({ flow: 'authenticate', tenantId }, address)])) > 0,
      invitationPage: (await clearCounters(q, [addressBucket({ flow: 'invitation' }, address)])) > 0,
    }),
  };
}

export type LockoutService = ReturnType<typeof lockoutService>;
