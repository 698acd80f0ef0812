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
  /**
   * DATABASE_IDLE_TRANSACTION_TIMEOUT_MS (default 30000): PostgreSQL ends a
   * session of this service that sits idle inside a transaction this long
   * (`idle_in_transaction_session_timeout`), so a frozen or partitioned
   * instance cannot hold row locks (an import job's, a queue item's) that
   * the other instances need to take its work over. muster's own
   * transactions never wait on anything but the database.
   */
  readonly databaseIdleTransactionTimeoutMs: number;
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
  readonly imports: ImportConfig;
  readonly scim: ScimConfig;
  readonly webhooks: WebhookConfig;
  readonly rateLimit: RateLimitConfig;
  readonly lockout: LockoutConfig;
  readonly metrics: MetricsConfig;
  readonly console: ConsoleConfig;
  /** OpenTelemetry traces; undefined (no OTLP endpoint set) loads nothing. */
  readonly tracing: TracingConfig | undefined;
}

/** Import jobs (engine/imports/): limits and retention. */
export interface ImportConfig {
  /** IMPORT_MAX_BYTES: the largest upload (default 2 GiB); more is 413 `request.too_large`. */
  readonly maxBytes: number;
  /** IMPORT_MAX_ROW_BYTES: the largest record (default 1 MiB); a larger NDJSON line or CSV record is a failed row; a larger CSV header fails the job (`import.unreadable_file`). */
  readonly maxRowBytes: number;
  /** IMPORT_MAX_ROWS: rows per job (default 10,000,000); the job fails at the first row past it (`import.too_many_rows`), rows before stand. */
  readonly maxRows: number;
  /** IMPORT_MAX_QUEUED_PER_TENANT: a tenant's jobs uploading, queued or running at once (default 20); one more is 429 `import.too_many_jobs`. */
  readonly maxQueuedPerTenant: number;
  /** IMPORT_MAX_RUNNING_PER_TENANT: a tenant's jobs running at once (default 2); a further one waits in the queue. */
  readonly maxRunningPerTenant: number;
  /** IMPORT_CHUNK_ROWS: rows per createUsers call and per checkpoint (default 1000; at most BATCH_MAX_ITEMS). */
  readonly chunkRows: number;
  /** IMPORT_RETENTION_DAYS: days a finished job, its stored file and its report are kept (default 30). */
  readonly retentionDays: number;
}

/** The SCIM dialect's limits, advertised in /scim/v2/ServiceProviderConfig. */
export interface ScimConfig {
  /** Most resources one list or search returns (`filter.maxResults`; a larger `count` is capped). SCIM_MAX_RESULTS, default 200. */
  readonly maxResults: number;
  /** Most operations in one POST /Bulk (`bulk.maxOperations`). SCIM_BULK_MAX_OPERATIONS, default 1000. */
  readonly bulkMaxOperations: number;
  /** Largest POST /Bulk body in bytes (`bulk.maxPayloadSize`), refused before it is read. SCIM_BULK_MAX_PAYLOAD_BYTES, default 2 MiB (at most BODY_LIMIT_BYTES). */
  readonly bulkMaxPayloadBytes: number;
}

export interface WebhookConfig {
  /**
   * WEBHOOK_ALLOW_PRIVATE_ADDRESSES=true: deliver to loopback, private and
   * link-local addresses too (receivers on a private network, tests). Off by
   * default: such URLs are refused when saved and at every delivery.
   */
  readonly allowPrivateAddresses: boolean;
  /** WEBHOOK_CA_FILE: a PEM file of CA certificates trusted for receivers, besides the system's. */
  readonly caFile: string | undefined;
  /** WEBHOOK_RETRY_SCHEDULE_MS: comma-separated delays (ms) before each attempt, the first's included (normally 0). */
  readonly retryScheduleMs: readonly number[];
  /** WEBHOOK_TIMEOUT_MS: how long one attempt may take, connect to last byte read. */
  readonly timeoutMs: number;
  /** WEBHOOK_DISABLE_AFTER_HOURS: an endpoint whose every attempt has failed for this long is disabled, with the reason. */
  readonly disableAfterHours: number;
}

/** immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h: eight attempts over about 33 hours. */
export const WEBHOOK_DEFAULT_RETRY_SCHEDULE_MS = [0, 5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000];

function delayList(env: Env, name: string, fallback: readonly number[]): readonly number[] {
  const raw = optional(env, name);
  if (raw === undefined) return fallback;
  const parts = raw.split(',').map((p) => p.trim());
  if (parts.length > 100 || parts.some((p) => !/^\d{1,9}$/.test(p))) throw new ConfigError(name, `must be up to 100 comma-separated delays in milliseconds (got "${raw}")`);
  return parts.map(Number);
}

/**
 * /metrics (Prometheus text format). On the service's port it needs
 * `Authorization: Bearer <METRICS_TOKEN>` or the operator key; METRICS_PORT
 * adds a listener on METRICS_HOST that serves it without credentials (for a
 * scrape network the public cannot reach).
 */
export interface MetricsConfig {
  /** METRICS_TOKEN: a bearer token for scrapers (at least 32 characters); unset: the operator key only. */
  readonly token: string | undefined;
  /** METRICS_PORT (default 0: none): a separate, unauthenticated metrics listener. */
  readonly port: number;
  /** METRICS_HOST (default 127.0.0.1): where that listener binds. */
  readonly host: string;
}

/**
 * Credential-stuffing defence (engine/lockouts.ts): failed sign-ins
 * (POST .../authenticate) per username and per client address, and unknown
 * invitation links per address, counted in the database in fixed windows.
 * 0 turns a limit off.
 */
export interface LockoutConfig {
  /** LOCKOUT_WINDOW_SECONDS (default 900): the window failures count in, and the longest a lockout lasts. */
  readonly windowSeconds: number;
  /** LOCKOUT_USER_FAILURES (default 10): failures per username per window before it is locked out. */
  readonly userFailures: number;
  /** LOCKOUT_ADDRESS_FAILURES (default 100): failures per client address per window before it is locked out. */
  readonly addressFailures: number;
  /**
   * LOCKOUT_USER_SLOW_AFTER (default 3), LOCKOUT_ADDRESS_SLOW_AFTER (default 30):
   * failures per username, and per address, per window after which each failure
   * is answered later (250 ms, doubling, at most 4 s).
   */
  readonly userSlowAfter: number;
  readonly addressSlowAfter: number;
}

/**
 * Rate limits, counted in the database so every instance agrees (fixed
 * windows; engine/rateLimits.ts). Over a limit is 429 `rate.limited` with
 * Retry-After, in each dialect's shape. 0 turns a limit off. Only
 * authenticated tenant requests count (operator and public routes do not).
 */
export interface RateLimitConfig {
  /** RATE_LIMIT_WINDOW_SECONDS (default 60): the window every limit counts in. */
  readonly windowSeconds: number;
  /** RATE_LIMIT_KEY_REQUESTS (default 30000): requests per API key, access key or token subject per window. */
  readonly keyRequests: number;
  /** RATE_LIMIT_ADDRESS_REQUESTS (default 60000): requests per client address per window. */
  readonly addressRequests: number;
  /** RATE_LIMIT_KEY_USERS (default 3000000): users sent through batch endpoints per key per window. */
  readonly keyUsers: number;
}

/**
 * OpenTelemetry tracing (src/observability/): spans for request -> engine ->
 * store, exported over OTLP/HTTP (JSON), on only when an endpoint is set by
 * the standard variables. The exporter reads its own further standard
 * variables (OTEL_EXPORTER_OTLP_HEADERS, _TIMEOUT, _COMPRESSION).
 */
export interface TracingConfig {
  /** OTEL_EXPORTER_OTLP_TRACES_ENDPOINT as given, else OTEL_EXPORTER_OTLP_ENDPOINT with `/v1/traces` appended (as the OTLP spec says). */
  readonly tracesUrl: string;
  /** OTEL_SERVICE_NAME (default muster): the `service.name` of every span. */
  readonly serviceName: string;
  /** OTEL_BSP_SCHEDULE_DELAY (default 5000): milliseconds between exports of finished spans. */
  readonly exportDelayMs: number;
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

/** TracingConfig from the standard OTEL_* variables; undefined when no endpoint is set or OTEL_SDK_DISABLED=true. */
function tracingConfig(env: Env): TracingConfig | undefined {
  if (boolean(env, 'OTEL_SDK_DISABLED')) return undefined;
  const signal = optional(env, 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT');
  const base = optional(env, 'OTEL_EXPORTER_OTLP_ENDPOINT');
  const [name, url] = signal !== undefined ? ['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', signal] : ['OTEL_EXPORTER_OTLP_ENDPOINT', base && `${base.replace(/\/+$/, '')}/v1/traces`];
  if (url === undefined) return undefined;
  if (!URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol)) throw new ConfigError(name, 'must be an http:// or https:// URL (OTLP/HTTP)');
  return { tracesUrl: url, serviceName: optional(env, 'OTEL_SERVICE_NAME') ?? 'muster', exportDelayMs: integer(env, 'OTEL_BSP_SCHEDULE_DELAY', 5000, 1, 3_600_000) };
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

  const metricsToken = optional(env, 'METRICS_TOKEN');
  if (metricsToken !== undefined && (metricsToken.length < API_KEY_MIN_LENGTH || /\s/.test(metricsToken))) {
    throw new ConfigError('METRICS_TOKEN', `must be at least ${API_KEY_MIN_LENGTH} characters with no spaces`);
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
    databaseIdleTransactionTimeoutMs: integer(env, 'DATABASE_IDLE_TRANSACTION_TIMEOUT_MS', 30_000, 100, 3_600_000),
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
    scim: {
      maxResults: integer(env, 'SCIM_MAX_RESULTS', 200, 1, 10_000),
      bulkMaxOperations: integer(env, 'SCIM_BULK_MAX_OPERATIONS', 1000, 1, 100_000),
      bulkMaxPayloadBytes: integer(env, 'SCIM_BULK_MAX_PAYLOAD_BYTES', 2 * 1024 * 1024, 1024, 1024 * 1024 * 1024),
    },
    outbox: {
      pollMs: integer(env, 'OUTBOX_POLL_MS', 1000, 10, 3_600_000),
      maxAttempts: integer(env, 'OUTBOX_MAX_ATTEMPTS', 8, 1, 100),
      retryBaseMs: integer(env, 'OUTBOX_RETRY_BASE_MS', 5000, 1, 3_600_000),
      leaseMs: integer(env, 'OUTBOX_LEASE_MS', 60_000, 100, 3_600_000),
    },
    imports: {
      maxBytes: integer(env, 'IMPORT_MAX_BYTES', 2 * 1024 ** 3, 1024, 1024 ** 4),
      maxRowBytes: integer(env, 'IMPORT_MAX_ROW_BYTES', 1024 * 1024, 256, 64 * 1024 * 1024),
      maxRows: integer(env, 'IMPORT_MAX_ROWS', 10_000_000, 1, 1_000_000_000),
      maxQueuedPerTenant: integer(env, 'IMPORT_MAX_QUEUED_PER_TENANT', 20, 1, 10_000),
      maxRunningPerTenant: integer(env, 'IMPORT_MAX_RUNNING_PER_TENANT', 2, 1, 1000),
      chunkRows: integer(env, 'IMPORT_CHUNK_ROWS', 1000, 1, 100_000),
      retentionDays: integer(env, 'IMPORT_RETENTION_DAYS', 30, 1, 36_500),
    },
    webhooks: {
      allowPrivateAddresses: boolean(env, 'WEBHOOK_ALLOW_PRIVATE_ADDRESSES'),
      caFile: optional(env, 'WEBHOOK_CA_FILE'),
      retryScheduleMs: delayList(env, 'WEBHOOK_RETRY_SCHEDULE_MS', WEBHOOK_DEFAULT_RETRY_SCHEDULE_MS),
      timeoutMs: integer(env, 'WEBHOOK_TIMEOUT_MS', 15_000, 100, 600_000),
      disableAfterHours: integer(env, 'WEBHOOK_DISABLE_AFTER_HOURS', 120, 0, 24 * 365),
    },
    rateLimit: {
      windowSeconds: integer(env, 'RATE_LIMIT_WINDOW_SECONDS', 60, 1, 86_400),
      keyRequests: integer(env, 'RATE_LIMIT_KEY_REQUESTS', 30_000, 0, 1_000_000_000),
      addressRequests: integer(env, 'RATE_LIMIT_ADDRESS_REQUESTS', 60_000, 0, 1_000_000_000),
      keyUsers: integer(env, 'RATE_LIMIT_KEY_USERS', 3_000_000, 0, 1_000_000_000),
    },
    metrics: {
      token: metricsToken,
      port: integer(env, 'METRICS_PORT', 0, 0, 65_535),
      host: optional(env, 'METRICS_HOST') ?? '127.0.0.1',
    },
    lockout: {
      windowSeconds: integer(env, 'LOCKOUT_WINDOW_SECONDS', 900, 1, 86_400),
      userFailures: integer(env, 'LOCKOUT_USER_FAILURES', 10, 0, 1_000_000),
      addressFailures: integer(env, 'LOCKOUT_ADDRESS_FAILURES', 100, 0, 1_000_000),
      userSlowAfter: integer(env, 'LOCKOUT_USER_SLOW_AFTER', 3, 0, 1_000_000),
      addressSlowAfter: integer(env, 'LOCKOUT_ADDRESS_SLOW_AFTER', 30, 0, 1_000_000),
    },
    console: {
      sessionIdleSeconds: integer(env, 'CONSOLE_SESSION_IDLE_SECONDS', 1800, 1, 86_400 * 30),
      sessionMaxSeconds: integer(env, 'CONSOLE_SESSION_MAX_SECONDS', 43_200, 1, 86_400 * 365),
    },
    tracing: tracingConfig(env),
  };
}
