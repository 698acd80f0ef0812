/**
 * Configuration: environment variables, parsed and validated once at start and
 * passed down as plain values. A bad value stops the start with a ConfigError
 * that names the variable. Limits live here as named constants.
 */
import { resolve } from 'node:path';
import { API_KEY_MIN_LENGTH } from './crypto/secrets.ts';
import { SERVER_KEY_BYTES } from './crypto/serverKey.ts';
import { defaultPasswordThreads } from './crypto/passwords.ts';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Page sizes for list endpoints. */
export const LIST_DEFAULT_LIMIT = 50;
export const LIST_MAX_LIMIT = 200;

export interface Config {
  readonly port: number;
  readonly host: string;
  /** PostgreSQL server; undefined selects the embedded store under dataDir. */
  readonly databaseUrl: string | undefined;
  readonly databasePoolSize: number;
  readonly dataDir: string;
  readonly logLevel: LogLevel;
  /** Admin key to create on first start instead of generating one. */
  readonly adminKey: string | undefined;
  readonly serverKey: Buffer | undefined;
  /** The operator key (tenants API); undefined: `DATA_DIR/operator.key`, generated once. */
  readonly operatorKey: string | undefined;
  /** Where the CLI reaches a running service (MUSTER_URL, else this host on PORT). */
  readonly serviceUrl: string;
  /** Largest accepted request body, in bytes. */
  readonly bodyLimitBytes: number;
  /** Most users in one batch request. */
  readonly batchMaxItems: number;
  /** How long an idempotent response is kept for replay. */
  readonly idempotencyTtlHours: number;
  /** Days domain events (the audit trail) are kept before the sweep deletes them. */
  readonly auditRetentionDays: number;
  /**
   * How long a running idempotent request holds its key without renewing it: the
   * live request renews it every third of this; after a crash a retry takes the
   * key over once it lapses.
   */
  readonly idempotencyLeaseSeconds: number;
  readonly passwordHashThreads: number;
  /** How long SIGTERM waits for in-flight requests before closing anyway. */
  readonly shutdownTimeoutMs: number;
  /** The service's own address, used in links it sends (invitations). */
  readonly publicUrl: string;
  readonly mail: MailConfig;
  readonly invitationTtlHours: number;
  readonly outbox: OutboxConfig;
  readonly jwt: JwtConfig;
  readonly console: ConsoleConfig;
}

/** The admin console's sessions (src/http/console). */
export interface ConsoleConfig {
  /** CONSOLE_SESSION_IDLE_SECONDS (default 1800): a session ends this long after its last request. */
  readonly sessionIdleSeconds: number;
  /** CONSOLE_SESSION_MAX_SECONDS (default 43200, 12 h): a session ends this long after sign-in, however busy. */
  readonly sessionMaxSeconds: number;
}

export interface JwtConfig {
  /** Lifetime of tokens from POST /v1/tokens. */
  readonly ttlSeconds: number;
  /** The `aud` muster's tokens carry and every accepted token must carry. */
  readonly audience: string;
  /** An external issuer to trust as well: its JWKS URL and `iss`. */
  readonly external: { readonly jwksUrl: string; readonly issuer: string } | undefined;
}

export interface MailConfig {
  /** smtp:// or smtps:// with optional user:password@; undefined writes .eml files under DATA_DIR/mail. */
  readonly smtpUrl: string | undefined;
  /**
   * SMTP_TLS_INSECURE=true: accept an SMTP server's certificate without verifying
   * it (self-signed, wrong name). Off by default; when on, muster logs a warning at
   * start. The URL cannot do this itself: `tls.rejectUnauthorized` in SMTP_URL is a
   * configuration error, so the opt-out is always visible by name.
   */
  readonly smtpTlsInsecure: boolean;
  readonly from: string;
  /** A folder whose invitation.subject.txt / invitation.txt / invitation.html override the built-in templates. */
  readonly templatesDir: string | undefined;
}

export interface OutboxConfig {
  /** How often an idle queue worker looks for due work (every kind; the names predate the queue's other kinds). */
  readonly pollMs: number;
  /** Attempts before a message is marked dead. */
  readonly maxAttempts: number;
  /** The first retry's delay; each further retry doubles it (with jitter), up to an hour. */
  readonly retryBaseMs: number;
  /** How long a claimed message is held; a sender that dies frees it after this. */
  readonly leaseMs: number;
}

export class ConfigError extends Error {
  readonly variable: string;

  constructor(variable: string, problem: string) {
    super(`Invalid configuration: ${variable} ${problem}`);
    this.name = 'ConfigError';
    this.variable = variable;
  }
}

type Env = Readonly<Record<string, string | undefined>>;

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    throw new ConfigError(name, `must be an integer from ${min} to ${max} (got "${raw}")`);
  }
  return Number(raw);
}

function boolean(env: Env, name: string): boolean {
  const raw = optional(env, name);
  if (raw === undefined || raw === 'false') return false;
  if (raw === 'true') return true;
  throw new ConfigError(name, `must be true or false (got "${raw}")`);
}

function optional(env: Env, name: string): string | undefined {
  const raw = env[name];
  return raw === undefined || raw === '' ? undefined : raw;
}

export function loadConfig(env: Env = process.env): Config {
  const logLevel = optional(env, 'LOG_LEVEL') ?? 'info';
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) {
    throw new ConfigError('LOG_LEVEL', `must be one of ${LOG_LEVELS.join(', ')} (got "${logLevel}")`);
  }

  const databaseUrl = optional(env, 'DATABASE_URL');
  if (databaseUrl !== undefined && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new ConfigError('DATABASE_URL', 'must be a postgres:// or postgresql:// URL');
  }

  const adminKey = optional(env, 'MUSTER_ADMIN_KEY');
  if (adminKey !== undefined && (adminKey.length < API_KEY_MIN_LENGTH || /\s/.test(adminKey))) {
    throw new ConfigError('MUSTER_ADMIN_KEY', `must be at least ${API_KEY_MIN_LENGTH} characters with no spaces`);
  }

  const operatorKey = optional(env, 'MUSTER_OPERATOR_KEY');
  if (operatorKey !== undefined && (operatorKey.length < API_KEY_MIN_LENGTH || /\s/.test(operatorKey))) {
    throw new ConfigError('MUSTER_OPERATOR_KEY', `must be at least ${API_KEY_MIN_LENGTH} characters with no spaces`);
  }

  const serverKeyText = optional(env, 'MUSTER_SERVER_KEY');
  let serverKey: Buffer | undefined;
  if (serverKeyText !== undefined) {
    serverKey = Buffer.from(serverKeyText, 'base64');
    if (serverKey.length !== SERVER_KEY_BYTES) {
      throw new ConfigError('MUSTER_SERVER_KEY', `must be ${SERVER_KEY_BYTES} bytes in base64 (e.g. \`openssl rand -base64 32\`)`);
    }
  }

  const smtpUrl = optional(env, 'SMTP_URL');
  if (smtpUrl !== undefined && !/^smtps?:\/\//.test(smtpUrl)) throw new ConfigError('SMTP_URL', 'must be an smtp:// or smtps:// URL');
  // nodemailer reads `tls.rejectUnauthorized=false` from the URL's query and would
  // silently stop verifying certificates; the opt-out has its own variable instead.
  if (smtpUrl !== undefined && /[?&]tls\.rejectUnauthorized=/i.test(smtpUrl)) {
    throw new ConfigError('SMTP_URL', 'must not set tls.rejectUnauthorized: certificates are verified; to accept an unverified one, set SMTP_TLS_INSECURE=true instead');
  }
  const smtpTlsInsecure = boolean(env, 'SMTP_TLS_INSECURE');
  if (smtpTlsInsecure && smtpUrl === undefined) throw new ConfigError('SMTP_TLS_INSECURE', 'applies only with SMTP_URL');
  const jwksUrl = optional(env, 'JWT_EXTERNAL_JWKS_URL');
  const externalIssuer = optional(env, 'JWT_EXTERNAL_ISSUER');
  if ((jwksUrl === undefined) !== (externalIssuer === undefined)) {
    throw new ConfigError(jwksUrl === undefined ? 'JWT_EXTERNAL_JWKS_URL' : 'JWT_EXTERNAL_ISSUER', 'must be set together with the other (JWT_EXTERNAL_JWKS_URL and JWT_EXTERNAL_ISSUER)');
  }
  if (jwksUrl !== undefined && !/^https?:\/\//.test(jwksUrl)) throw new ConfigError('JWT_EXTERNAL_JWKS_URL', 'must be an http(s) URL');
  const port = integer(env, 'PORT', 8080, 0, 65_535);
  const publicUrl = optional(env, 'PUBLIC_URL') ?? `http://localhost:${port}`;
  if (!/^https?:\/\/[^/]+/.test(publicUrl)) throw new ConfigError('PUBLIC_URL', 'must be an http:// or https:// URL');
  const serviceUrl = optional(env, 'MUSTER_URL') ?? `http://127.0.0.1:${port}`;
  if (!/^https?:\/\/[^/]+/.test(serviceUrl)) throw new ConfigError('MUSTER_URL', 'must be an http:// or https:// URL');

  return {
    port,
    host: optional(env, 'HOST') ?? '0.0.0.0',
    databaseUrl,
    databasePoolSize: integer(env, 'DATABASE_POOL_SIZE', 10, 1, 1000),
    dataDir: resolve(optional(env, 'DATA_DIR') ?? './data'),
    logLevel: logLevel as LogLevel,
    adminKey,
    serverKey,
    operatorKey,
    serviceUrl: serviceUrl.replace(/\/+$/, ''),
    bodyLimitBytes: integer(env, 'BODY_LIMIT_BYTES', 4 * 1024 * 1024, 1024, 1024 * 1024 * 1024),
    batchMaxItems: integer(env, 'BATCH_MAX_ITEMS', 1000, 1, 100_000),
    idempotencyTtlHours: integer(env, 'IDEMPOTENCY_TTL_HOURS', 24, 1, 24 * 365),
    auditRetentionDays: integer(env, 'AUDIT_RETENTION_DAYS', 90, 1, 36_500),
    idempotencyLeaseSeconds: integer(env, 'IDEMPOTENCY_LEASE_SECONDS', 10, 1, 3600),
    passwordHashThreads: integer(env, 'PASSWORD_HASH_THREADS', defaultPasswordThreads(), 1, 256),
    shutdownTimeoutMs: integer(env, 'SHUTDOWN_TIMEOUT_MS', 10_000, 0, 600_000),
    publicUrl: publicUrl.replace(/\/+$/, ''),
    mail: { smtpUrl, smtpTlsInsecure, from: optional(env, 'MAIL_FROM') ?? 'muster <no-reply@localhost>', templatesDir: optional(env, 'MAIL_TEMPLATES_DIR') },
    invitationTtlHours: integer(env, 'INVITATION_TTL_HOURS', 168, 1, 24 * 365),
    jwt: {
      ttlSeconds: integer(env, 'JWT_TTL_SECONDS', 900, 30, 86_400),
      audience: optional(env, 'JWT_AUDIENCE') ?? 'muster',
      external: jwksUrl === undefined ? undefined : { jwksUrl, issuer: externalIssuer! },
    },
    outbox: {
      pollMs: integer(env, 'OUTBOX_POLL_MS', 1000, 10, 3_600_000),
      maxAttempts: integer(env, 'OUTBOX_MAX_ATTEMPTS', 8, 1, 100),
      retryBaseMs: integer(env, 'OUTBOX_RETRY_BASE_MS', 5000, 1, 3_600_000),
      leaseMs: integer(env, 'OUTBOX_LEASE_MS', 60_000, 100, 3_600_000),
    },
    console: {
      sessionIdleSeconds: integer(env, 'CONSOLE_SESSION_IDLE_SECONDS', 1800, 1, 86_400 * 30),
      sessionMaxSeconds: integer(env, 'CONSOLE_SESSION_MAX_SECONDS', 43_200, 1, 86_400 * 365),
    },
  };
}
