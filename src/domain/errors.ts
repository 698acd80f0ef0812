/**
 * The one registry of error codes. Every failure muster reports, in any dialect,
 * starts as one of these codes; each dialect renders it in its own wire shape.
 *
 * Contract: codes are stable API. A code is never renamed or reused for another
 * meaning; new codes may be added. Every code has an HTTP status, a default
 * message and a description (the documentation, checked by a test).
 * Messages never contain secrets, passwords, tokens or keys.
 */
/**
 * What kind of failure a code is. Dialects map categories to their own error
 * shapes (a vendor's "exists" code, a SCIM scimType), so a new code needs no
 * edit in every dialect; they name single codes only where their contract
 * distinguishes them.
 * - validation: the request or an item breaks a rule; fix it and send again;
 * - auth: no or bad credentials of the caller; credentials: a user's
 *   credentials (authenticate) were refused;
 * - forbidden: authenticated but not allowed;
 * - not_found, conflict (exists or repeats), precondition (If-Match), limit
 *   (too large or too many);
 * - busy: the same request is still running, retry later; aborted: a valid
 *   item not written because its atomic batch failed;
 * - unavailable (retryable), internal.
 */
export const ERROR_CATEGORIES = ['validation', 'auth', 'credentials', 'forbidden', 'not_found', 'conflict', 'precondition', 'limit', 'busy', 'aborted', 'unavailable', 'internal'] as const;
export type ErrorCategory = (typeof ERROR_CATEGORIES)[number];

export interface ErrorSpec {
  readonly status: number;
  readonly category: ErrorCategory;
  readonly message: string;
  readonly description: string;
}

export const ERROR_CODES = {
  // Requests
  'request.malformed_json': { status: 400, category: 'validation', message: 'The request body is not valid JSON.', description: 'The body could not be parsed as JSON.' },
  'request.malformed_multipart': { status: 400, category: 'validation', message: 'The multipart/form-data body could not be read.', description: 'An import upload sent as multipart/form-data is not well-formed: no boundary in the Content-Type, a malformed part header, a field named `__proto__`, more than one file part, or a body that ends before its closing boundary; no job was started.' },
  'request.body_required': { status: 400, category: 'validation', message: 'The request body is empty.', description: 'A JSON body is required for this request.' },
  'request.invalid': { status: 400, category: 'validation', message: 'The request does not match the schema.', description: 'A field is missing, has the wrong type or breaks a rule; `details` lists each problem with its field.' },
  'request.unsupported_media_type': { status: 415, category: 'validation', message: 'Unsupported Content-Type; send application/json.', description: 'The body was sent with a content type the endpoint does not accept.' },
  'request.too_large': { status: 413, category: 'limit', message: 'The request body is larger than the limit.', description: 'The body exceeds the configured size limit (`details.limitBytes`).' },
  'request.uri_too_long': { status: 414, category: 'limit', message: 'A path parameter is longer than the limit.', description: 'A path segment exceeds the router\'s limit (`PATH_PARAM_MAX_LENGTH`, 2048 characters); no route is tried.' },
  'request.headers_too_large': { status: 431, category: 'limit', message: 'The request headers are larger than the limit.', description: 'The request line and headers exceed Node\'s limit (16 KiB by default, `--max-http-header-size`); the connection is closed after the answer.' },
  'request.timeout': { status: 408, category: 'limit', message: 'The request was not received in time.', description: 'The client did not send the whole request within the server\'s request timeout; the connection is closed after the answer.' },
  'request.invalid_cursor': { status: 400, category: 'validation', message: 'The pagination cursor is not valid.', description: 'The `cursor` parameter was not produced by this API, or was made for another `sort` or `order` of the list (start again without one).' },
  'route.not_found': { status: 404, category: 'not_found', message: 'No such route.', description: 'No endpoint matches this method and path.' },
  'internal': { status: 500, category: 'internal', message: 'Internal error; the request id identifies it in the logs.', description: 'An unexpected failure. Nothing about it is exposed; the request id finds it in the logs.' },
  'service.unavailable': { status: 503, category: 'unavailable', message: 'The store is not reachable; retry later.', description: 'The database did not answer (readiness failed, or a request could not reach it). Retryable.' },

  // API keys (the caller's own credentials)
  'auth.missing': { status: 401, category: 'auth', message: 'Authentication required: send Authorization: Bearer <key>.', description: 'The request carries no credentials.' },
  'auth.malformed': { status: 401, category: 'auth', message: 'The Authorization header is malformed.', description: 'The Authorization header is not of the form `Bearer <key>`.' },
  'auth.invalid_key': { status: 401, category: 'auth', message: 'The API key is not valid.', description: 'No key with this value exists.' },
  'auth.key_revoked': { status: 401, category: 'auth', message: 'The API key has been revoked.', description: 'The key existed but was revoked; create a new one.' },
  'auth.tenant_disabled': { status: 403, category: 'forbidden', message: 'This key\'s tenant has been disabled.', description: 'The operator disabled the tenant (POST /v1/tenants/{tenant}/disable): its API keys and access keys no longer authenticate; tokens already issued expire within JWT_TTL_SECONDS.' },
  'auth.insufficient_scope': { status: 403, category: 'forbidden', message: 'The API key lacks the scope this operation needs.', description: 'The key is valid but not scoped for this operation; `details.requiredScope` names the scope.' },

  // Tenants, directories, keys
  'tenant.not_found': { status: 404, category: 'not_found', message: 'No such tenant.', description: 'The tenant named does not exist.' },
  'tenant.name_taken': { status: 409, category: 'conflict', message: 'A tenant with this name already exists.', description: 'Tenant names are unique.' },
  'directory.not_found': { status: 404, category: 'not_found', message: 'No such directory.', description: 'No directory with this name or id exists in the caller\'s tenant.' },
  'directory.name_taken': { status: 409, category: 'conflict', message: 'A directory with this name already exists.', description: 'Directory names are unique per tenant.' },
  'directory.not_empty': { status: 409, category: 'conflict', message: 'The directory still has users; pass force=true to delete them with it.', description: 'Deleting a directory that has users requires `force=true`.' },
  'api_key.not_found': { status: 404, category: 'not_found', message: 'No such API key.', description: 'No key with this id or prefix exists in the tenant.' },
  'access_key.not_found': { status: 404, category: 'not_found', message: 'No such access key.', description: 'No access key (AK) with this id exists in the tenant.' },
  'auth.invalid_token': { status: 401, category: 'auth', message: 'The bearer token is not valid.', description: 'A JWT that is malformed, expired, not yet valid, for another audience, or not signed by a trusted issuer; the message says which.' },
  'auth.signature_invalid': { status: 401, category: 'auth', message: 'The request signature does not match.', description: 'SDK-HMAC-SHA256: the signature is not the one the access key\'s secret makes for this request.' },
  'auth.signature_expired': { status: 401, category: 'auth', message: 'The request was signed more than 15 minutes from now.', description: 'SDK-HMAC-SHA256: X-Sdk-Date is missing, malformed, or more than 15 minutes off the server\'s clock.' },

  // Users
  'user.not_found': { status: 404, category: 'not_found', message: 'No such user.', description: 'No user with this id exists in the directory.' },
  'user.username_taken': { status: 409, category: 'conflict', message: 'A user with this username already exists in the directory.', description: 'Usernames are unique per directory, compared after NFKC and lower-casing (and, in a directory created with `confusables: collide`, by their UTS #39 confusable skeleton).' },
  'user.email_taken': { status: 409, category: 'conflict', message: 'A user with this email already exists in the directory.', description: 'Emails are unique per directory, compared as usernames are.' },
  'user.invalid_username': { status: 400, category: 'validation', message: 'The username is not valid.', description: 'Usernames are 1 to 256 code points, with no leading or trailing space and none of: controls, format characters (bidi controls, zero-width characters, ZWJ/ZWNJ), line or paragraph separators, other default-ignorable, private-use, unassigned or lone-surrogate code points; the message names the character and its position.' },
  'user.invalid_email': { status: 400, category: 'validation', message: 'The email address is not valid.', description: 'Emails look like local@domain, are at most 320 code points, and refuse the same characters as usernames (the message names the character).' },
  'user.invalid_password': { status: 400, category: 'validation', message: 'The password does not meet the policy.', description: 'Passwords are 8 to 1024 characters.' },
  'user.invalid_field': { status: 400, category: 'validation', message: 'A user field is not valid.', description: 'A field breaks its rule; `details.field` names it. Text fields are at most 256 code points with no controls, line or paragraph separators, bidi embeddings, overrides or isolates, or lone surrogates.' },
  'user.credential_conflict': { status: 400, category: 'validation', message: 'Give at most one of password, passwordHash and generateSecret.', description: 'A user gets one credential: a password, an imported hash, or a generated secret.' },
  'user.version_mismatch': { status: 412, category: 'precondition', message: 'The user has changed since the version given in If-Match.', description: 'Optimistic concurrency: the `If-Match` version is not the current one.' },

  'user.unsupported_password_hash': { status: 400, category: 'validation', message: 'The password hash is not in a supported format.', description: 'Imported `passwordHash` values must be argon2id, argon2i, scrypt or pbkdf2 (SHA-1, SHA-256, SHA-512) PHC strings, bcrypt ($2a$/$2b$/$2y$) or Firebase scrypt, within cost bounds; the message lists the formats. Per row of a provider format: a hash in an algorithm muster refuses (docs/formats.md) or one that cannot be used; `details.field` names the field.' },

  // Batches
  'batch.empty': { status: 400, category: 'validation', message: 'The batch has no users.', description: 'A batch must contain at least one user.' },
  'batch.too_large': { status: 413, category: 'limit', message: 'The batch has more users than the limit.', description: 'A batch holds at most `details.limit` users (configurable, default 1000).' },
  // Rate limits (operations, issue 16)
  'rate.limited': { status: 429, category: 'limit', message: 'Too many requests; retry after the time in Retry-After.', description: 'A rate limit (RATE_LIMIT_*) is used up over the last window (it slides): requests per API key or per client address, or users sent through batch endpoints per key. `Retry-After` (and `details.retryAfterSeconds`) says when the next request fits again; `details.limit` and `details.scope` (`key`, `address` or `users`) say which limit.' },
  'batch.duplicate_in_batch': { status: 409, category: 'conflict', message: 'The same username or email appears earlier in this batch.', description: 'Per item: repeats a username or email of an earlier item (`details.firstIndex` names it); checked before any I/O.' },
  'batch.aborted': { status: 422, category: 'aborted', message: 'Not written: the atomic batch failed at other items.', description: 'Per item, atomic mode: this item is valid, but nothing was written because other items failed.' },

  // Import jobs (rows of a file and the job's options)
  'import.invalid_options': { status: 400, category: 'validation', message: 'An import option is not valid.', description: 'A job option (`details.option`) is missing, malformed or not one of the format\'s options; nothing was queued.' },
  'import.unreadable_row': { status: 400, category: 'validation', message: 'The record could not be read.', description: 'A record of the file is malformed (bad CSV quoting, invalid JSON on an NDJSON line, wrong number of fields, more than IMPORT_MAX_ROW_BYTES); it is a failed row of the report, the rest of the file is imported.' },
  // Identity-provider formats (rows that cannot become a user; docs/formats.md)
  'import.missing_field': { status: 400, category: 'validation', message: 'The record lacks a field the format needs to make a user.', description: 'Per row of a provider format: a field without which no user can be made (a username, or the email address a format uses as one) is missing or empty; `details.field` names it as the file does.' },
  'import.invalid_field': { status: 400, category: 'validation', message: 'A field of the record is not valid for its format.', description: 'Per row of a provider format: a field has the wrong type or a value the format does not define (a Yes/No column holding something else, a credential that is not valid JSON); `details.field` names it as the file does.' },
  'import.example_row': { status: 400, category: 'validation', message: 'This is the template\'s example row; it is not imported.', description: 'Per row, Entra bulk-create CSV: the example row of Microsoft\'s template (first cell beginning `Example:`, or the documented Chris Green row) is never made a user: the report lists it as skipped with this code, and it is no failure (an atomic job goes on).' },
  'import.unreadable_file': { status: 422, category: 'validation', message: 'The file could not be read.', description: 'The file as a whole cannot be read in its format (a JSON document that is not the array the format needs, a missing required first line, a CSV header over IMPORT_MAX_ROW_BYTES); the job fails with this error, rows before the point of failure stand.' },
  'import.not_found': { status: 404, category: 'not_found', message: 'No such import job.', description: 'No import job with this id in the caller\'s tenant (it may have been deleted, or swept after IMPORT_RETENTION_DAYS).' },
  'import.not_finished': { status: 409, category: 'conflict', message: 'The import job has not finished.', description: 'Undo needs a job that is completed, failed or cancelled; wait for it (or cancel it) first.' },
  'import.too_many_jobs': { status: 429, category: 'limit', message: 'Too many import jobs are waiting for this tenant; retry later.', description: 'The tenant has IMPORT_MAX_QUEUED_PER_TENANT jobs queued or running; `Retry-After` says when to try again.' },
  'import.too_many_rows': { status: 422, category: 'limit', message: 'The file has more rows than an import job may hold.', description: 'The job stopped at IMPORT_MAX_ROWS rows (`details.limit`); the rows before stand, and the report says which.' },
  'import.atomic_failed': { status: 422, category: 'aborted', message: 'Nothing was written: the atomic import has failed rows.', description: 'An atomic job found failed rows in its validation pass (or a row failed while writing and the written rows were deleted again); the report lists them, valid rows are `batch.aborted`.' },

  // Idempotency
  'idempotency.invalid_key': { status: 400, category: 'validation', message: 'The Idempotency-Key header must be 1 to 255 visible ASCII characters.', description: 'A malformed Idempotency-Key header.' },
  'idempotency.key_reused': { status: 422, category: 'conflict', message: 'This Idempotency-Key was used with a different request.', description: 'The same key was sent with another body or to another endpoint; use a new key for a new request.' },
  'idempotency.in_progress': { status: 409, category: 'busy', message: 'A request with this Idempotency-Key is still running; retry shortly.', description: 'The first request with this key has not finished yet; `Retry-After` (and `details.retryAfterSeconds`) says when to retry.' },

  // Groups
  'group.not_found': { status: 404, category: 'not_found', message: 'No such group.', description: 'No group with this id in the directory (also per item, for `groupIds` naming a group that does not exist).' },
  'group.name_taken': { status: 409, category: 'conflict', message: 'A group with this name already exists in the directory.', description: 'Group names are unique per directory.' },

  // Container registries (Gcore dialect)
  'registry.not_found': { status: 404, category: 'not_found', message: 'Registry not found.', description: 'No registry with this id in the project and region of the caller\'s tenant.' },
  'registry.name_taken': { status: 409, category: 'conflict', message: 'A registry with this name already exists.', description: 'Registry names are unique per project and region.' },

  // Invitations and mail
  'invitation.redirect_not_allowed': { status: 400, category: 'validation', message: 'The redirect URL is not on the tenant\'s allow-list.', description: 'Invitation redirects must match an entry of the tenant\'s allow-list (same origin, same or deeper path); set it with PUT /v1/settings/redirect-allowlist.' },
  'invitation.email_required': { status: 400, category: 'validation', message: 'An invited user needs an email address.', description: 'Per item: the user was to be invited but has no `email`.' },
  'invitation.credential_conflict': { status: 400, category: 'validation', message: 'An invited user chooses a password; do not give one.', description: 'Per item: `invite` cannot be combined with `password`, `passwordHash` or `generateSecret`.' },
  'invitation.not_found': { status: 404, category: 'not_found', message: 'The user has no invitation.', description: 'No invitation was ever sent to this user.' },
  'invitation.not_pending': { status: 409, category: 'conflict', message: 'The user is not waiting for an invitation.', description: 'Resend and revoke need a `pending` user (resend also needs an email address).' },
  'mail.not_file_transport': { status: 404, category: 'not_found', message: 'Mail goes out over SMTP here; there are no local .eml files.', description: 'The mail listing exists only with the file transport (no SMTP_URL).' },
  'mail.not_found': { status: 404, category: 'not_found', message: 'No such mail file.', description: 'No .eml file with this name in the tenant\'s mail folder.' },

  // Authenticating users (checking a user's credentials)
  'credentials.invalid': { status: 401, category: 'credentials', message: 'Invalid username or credentials.', description: 'The user does not exist, has no such credential, or the password or secret is wrong. Deliberately one code for all three.' },
  'credentials.user_pending': { status: 401, category: 'credentials', message: 'The user has not been activated.', description: 'The credentials are right but the user is still `pending`.' },
  'credentials.user_disabled': { status: 401, category: 'credentials', message: 'The user is disabled.', description: 'The credentials are right but the user is `disabled`.' },
  'credentials.user_expired': { status: 401, category: 'credentials', message: 'The user has expired.', description: 'The credentials are right but the user\'s `expiresAt` has passed.' },

  // SCIM 2.0 (RFC 7644 §3.12 scimTypes; the dialect renders each as its scimType)
  'group.version_mismatch': { status: 412, category: 'precondition', message: 'The group has changed since the version given in If-Match.', description: 'Optimistic concurrency: the `If-Match` version is not the group\'s current one.' },
  'scim.bulk_too_large': { status: 413, category: 'limit', message: 'The Bulk request is over a limit.', description: 'A POST /Bulk has more operations than `bulk.maxOperations` (SCIM_BULK_MAX_OPERATIONS) or a body larger than `bulk.maxPayloadSize` (SCIM_BULK_MAX_PAYLOAD_BYTES, checked before the body is read); the message names the limit.' },
  'scim.bulk_unresolved': { status: 409, category: 'conflict', message: 'A bulkId reference cannot be resolved.', description: 'Per Bulk operation: it references a bulkId that no POST of the request defines, whose POST failed, or that depends on itself (a cycle).' },
  'scim.invalid_filter': { status: 400, category: 'validation', message: 'The filter is not valid.', description: 'The `filter` parameter does not parse (RFC 7644 §3.4.2.2), or names an attribute that cannot be filtered on; scimType `invalidFilter`.' },
  'scim.invalid_path': { status: 400, category: 'validation', message: 'The PATCH path is not valid.', description: 'A PATCH operation\'s `path` does not parse or names no attribute of the resource; scimType `invalidPath`.' },
  'scim.no_target': { status: 400, category: 'validation', message: 'The PATCH path matches no value.', description: 'A `remove` or filtered `replace`/`add` operation\'s path matched nothing it could change; scimType `noTarget`.' },
  'scim.mutability': { status: 400, category: 'validation', message: 'The attribute cannot be changed.', description: 'The request tries to change a readOnly or immutable attribute (`id`, `meta`, `groups`); scimType `mutability`.' },
  'scim.invalid_value': { status: 400, category: 'validation', message: 'A value is not valid for its attribute.', description: 'A value has the wrong type, a required attribute is missing, or the resource\'s `schemas` is wrong; scimType `invalidValue` (`invalidSyntax` for a malformed request message).' },
  'scim.invalid_syntax': { status: 400, category: 'validation', message: 'The request message is not valid SCIM.', description: 'The body is not the SCIM message the endpoint takes (PatchOp, SearchRequest, BulkRequest): wrong `schemas` or missing `Operations`; scimType `invalidSyntax`.' },
  // Webhooks
  'webhook.not_found': { status: 404, category: 'not_found', message: 'No such webhook endpoint.', description: 'No webhook endpoint with this id exists in the tenant.' },
  'webhook.delivery_not_found': { status: 404, category: 'not_found', message: 'No such delivery.', description: 'The endpoint has no delivery with this id.' },
  'webhook.invalid_url': { status: 400, category: 'validation', message: 'The webhook URL is not acceptable.', description: 'Webhook URLs are absolute `https` URLs without user info.' },
  'webhook.invalid_event_types': { status: 400, category: 'validation', message: 'The event types are not acceptable.', description: 'Subscribe to event types (`user.created`), families (`user.*`) or `*`; at least one.' },
  'webhook.address_not_allowed': { status: 400, category: 'validation', message: 'The webhook URL resolves to an address muster does not call.', description: 'Loopback, private, link-local, metadata and other non-public addresses are refused (when the endpoint is saved and again at every delivery) unless the operator sets WEBHOOK_ALLOW_PRIVATE_ADDRESSES=true.' },
  'webhook.unresolvable': { status: 400, category: 'validation', message: 'The webhook URL\'s host name does not resolve.', description: 'The host name has no address in DNS when the endpoint is saved.' },
  'webhook.disabled': { status: 409, category: 'conflict', message: 'The webhook endpoint is disabled.', description: 'Enable it (PATCH `enabled: true`) before sending a test message or redelivering.' },
  'credentials.locked': { status: 429, category: 'limit', message: 'Too many failed attempts; retry after the time in Retry-After.', description: 'Too many failed sign-ins for this username or from this client address in the window (LOCKOUT_*); answered alike whether or not the username exists, and before any credential is checked. `Retry-After` (and `details.retryAfterSeconds`) says when the window ends; an admin can lift a user\'s lockout (POST .../users/{userId}/unlock).' },
  // Console sessions (src/http/console): an API key exchanged for a cookie
  'auth.session_invalid': { status: 401, category: 'auth', message: 'The console session is not valid; sign in again.', description: 'The session cookie names no session: malformed, signed out, or never issued.' },
  'auth.session_expired': { status: 401, category: 'auth', message: 'The console session has expired; sign in again.', description: 'The session was idle for CONSOLE_SESSION_IDLE_SECONDS or is older than CONSOLE_SESSION_MAX_SECONDS.' },
  'auth.csrf_invalid': { status: 403, category: 'forbidden', message: 'This write needs the session\'s CSRF token in X-CSRF-Token.', description: 'A write authenticated by the console\'s session cookie came without the session\'s CSRF token (header `X-CSRF-Token`), or with another one.' },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** One problem with one field, as reported in `details`. */
export interface FieldProblem {
  readonly field: string;
  readonly message: string;
}

/**
 * A failure with a registered code. Thrown by the domain and engine, rendered by
 * each dialect. `details` carries structured, secret-free context.
 */
export class MusterError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly category: ErrorCategory;
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(code: ErrorCode, message?: string, details?: Record<string, unknown>) {
    super(message ?? ERROR_CODES[code].message);
    this.name = 'MusterError';
    this.code = code;
    this.status = ERROR_CODES[code].status;
    this.category = ERROR_CODES[code].category;
    this.details = details;
  }
}

export function isMusterError(value: unknown): value is MusterError {
  return value instanceof MusterError;
}
