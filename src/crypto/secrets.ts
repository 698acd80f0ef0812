/**
 * Random secrets and how they are stored.
 *
 * - API keys: `mst_` + 43 base64url characters (256 bits). Stored as SHA-256:
 *   with that much entropy a fast hash is as strong as a slow one, and it lets a
 *   key be found by its hash in one indexed lookup. The first 12 characters are
 *   the visible prefix that identifies a key in listings.
 * - Generated user secrets: 256 bits, stored as HMAC-SHA-256 under the server
 *   key, so a copy of the database alone cannot check guesses.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const API_KEY_PREFIX = 'mst_';
export const API_KEY_VISIBLE_LENGTH = 12;
/** A configured key (MUSTER_ADMIN_KEY) must be at least this long. */
export const API_KEY_MIN_LENGTH = 32;

export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

export function newApiKey(): string {
  return API_KEY_PREFIX + randomToken();
}

export function apiKeyHash(key: string): Buffer {
  return createHash('sha256').update(key, 'utf8').digest();
}

export function visiblePrefix(key: string): string {
  return key.slice(0, API_KEY_VISIBLE_LENGTH);
}

/** Hashes generated user secrets under the server key. */
export class SecretHasher {
  readonly #key: Buffer;

  constructor(serverKey: Buffer) {
    this.#key = serverKey;
  }

  hash(secret: string): Buffer {
    return createHmac('sha256', this.#key).update(secret, 'utf8').digest();
  }

  /** Constant-time comparison against a stored hash. */
  verify(secret: string, stored: Uint8Array): boolean {
    const computed = this.hash(secret);
    return stored.length === computed.length && timingSafeEqual(computed, stored);
  }
}
