/**
 * Invitations: the options a caller gives, and the rule that keeps redirects
 * closed. Pure, no I/O.
 */
import { MusterError } from './errors.ts';

export const INVITATION_MESSAGE_MAX_LENGTH = 2000;
export const REDIRECT_URL_MAX_LENGTH = 2048;
export const ALLOWLIST_MAX_ENTRIES = 100;

/** What a caller asks for when inviting: where to send the person afterwards, and a note for the mail. */
export interface InviteOptions {
  readonly redirectUrl?: string;
  readonly message?: string;
}

export type InvitationStatus = 'pending' | 'accepted' | 'revoked' | 'superseded';

export interface Invitation {
  readonly id: string;
  readonly userId: string;
  readonly status: InvitationStatus;
  readonly redirectUrl: string | null;
  readonly expiresAt: Date;
  readonly createdAt: Date;
  readonly endedAt: Date | null;
}

/** An allow-list entry or a redirect URL, parsed; only http(s) URLs without credentials qualify. */
function parseWebUrl(value: string): URL | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return undefined;
  if (url.username !== '' || url.password !== '') return undefined;
  return url;
}

/**
 * Checks allow-list entries: absolute http(s) URLs without credentials,
 * query or fragment. Returns them normalised (as the URL parser writes them).
 */
export function validateAllowlist(entries: readonly string[]): string[] {
  if (entries.length > ALLOWLIST_MAX_ENTRIES) {
    throw new MusterError('request.invalid', `At most ${ALLOWLIST_MAX_ENTRIES} allowed redirect URLs.`, { field: 'allowed' });
  }
  return entries.map((entry, index) => {
    const url = parseWebUrl(entry);
    if (!url || url.search !== '' || url.hash !== '') {
      throw new MusterError('request.invalid', `allowed[${index}] must be an absolute http(s) URL without credentials, query or fragment.`, {
        field: `allowed[${index}]`,
      });
    }
    return url.href;
  });
}

/**
 * True when `redirectUrl` is allowed by one entry: the same scheme, host and
 * port, and a path that is the entry's path or lies below it (an entry
 * `https://app.example.com/welcome` allows `/welcome` and `/welcome/x?y`, but
 * not `/welcomeback`). Anything unparseable, with credentials, or not http(s)
 * is refused: no open redirect.
 */
export function isRedirectAllowed(redirectUrl: string, allowlist: readonly string[]): boolean {
  const url = parseWebUrl(redirectUrl);
  if (!url) return false;
  return allowlist.some((entry) => {
    const allowed = parseWebUrl(entry);
    if (!allowed || allowed.origin !== url.origin) return false;
    if (url.pathname === allowed.pathname) return true;
    const prefix = allowed.pathname.endsWith('/') ? allowed.pathname : `${allowed.pathname}/`;
    return url.pathname.startsWith(prefix);
  });
}

/** Validates invite options against the tenant's allow-list; throws a request-level error. */
export function validateInviteOptions(options: InviteOptions, allowlist: readonly string[]): InviteOptions {
  if (options.message !== undefined && options.message.length > INVITATION_MESSAGE_MAX_LENGTH) {
    throw new MusterError('request.invalid', `invite.message must be at most ${INVITATION_MESSAGE_MAX_LENGTH} characters.`, { field: 'invite.message' });
  }
  if (options.redirectUrl !== undefined && !isRedirectAllowed(options.redirectUrl, allowlist)) {
    throw new MusterError('invitation.redirect_not_allowed', undefined, { field: 'invite.redirectUrl' });
  }
  return options;
}
