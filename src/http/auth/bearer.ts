/**
 * Reading API keys from requests. The scheme is matched case-insensitively
 * (RFC 9110 §11.1); the key itself is never logged or echoed.
 */
import { MusterError } from '../../domain/errors.ts';

/** The credential in `Authorization: <scheme> <credential>`; throws `auth.missing` or `auth.malformed`. */
export function credentialFromHeader(header: string | undefined, scheme: string): string {
  if (header === undefined || header.trim() === '') throw new MusterError('auth.missing');
  const match = /^\s*(\S+)\s+(\S+)\s*$/.exec(header);
  if (!match || match[1]!.toLowerCase() !== scheme.toLowerCase()) {
    throw new MusterError('auth.malformed', `The Authorization header must be "${scheme} <key>".`);
  }
  return match[2]!;
}
