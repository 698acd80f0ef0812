/**
 * Composition root: config -> store -> engine -> http. The only module (with
 * tests) that knows which store implementation runs. `node src/main.ts` starts
 * the service; other modules import `composeService` and `openStore`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { ConfigError, loadConfig, type Config } from './config.ts';
import { createJwtAuthority } from './crypto/jwt.ts';
import { createPasswordHasher } from './crypto/passwords.ts';
import { createSealer } from './crypto/sealing.ts';
import { loadOperatorKey } from './crypto/operatorKey.ts';
import { apiKeyHash, SecretHasher } from './crypto/secrets.ts';
import { loadServerKey, type ServerKeyOrigin } from './crypto/serverKey.ts';
import { createEngine, type Engine } from './engine/engine.ts';
import { buildApp } from './http/app.ts';
import { createMetrics, type Metrics } from './metrics/metrics.ts';
import { startMetricsListener } from './metrics/listener.ts';
import type { EngineContext } from './engine/context.ts';
import { migrate } from './store/migrate.ts';
import { loadInvitationTemplates } from './mail/templates.ts';
import { fileTransport, smtpTransport } from './mail/transport.ts';
import { startRetentionSweeper } from './workers/retentionSweeper.ts';
import { mailHandler } from './workers/mailHandler.ts';
import { importHandler } from './workers/importHandler.ts';
import { webhookHandler } from './workers/webhookHandler.ts';
import { startQueueRunner } from './workers/queueRunner.ts';
import { DataDirectoryInUseError, openEmbedded } from './store/pglite.ts';
import { openPostgres } from './store/postgres.ts';
import type { Database } from './store/ports.ts';

export const VERSION: string = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/** The PostgreSQL server named by DATABASE_URL, or else the embedded store under DATA_DIR. */
export function openStore(config: Config): Promise<Database> {
  return config.databaseUrl
    ? openPostgres({ connectionString: config.databaseUrl, poolSize: config.databasePoolSize, idleTransactionTimeoutMs: config.databaseIdleTransactionTimeoutMs })
    : openEmbedded({ dataDir: config.dataDir });
}

export interface Service {
  readonly app: FastifyInstance;
  readonly engine: Engine;
  readonly db: Database;
  readonly serverKeyOrigin: ServerKeyOrigin;
  /** Where mail goes: SMTP, or .eml files under DATA_DIR/mail. */
  readonly mailTransport: 'smtp' | 'file';
  readonly metrics: Metrics;
  /** Closes the server, the hashing pool and the store, in that order, then exports the spans left (tracing). */
  close(): Promise<void>;
}

/** The engine over an open store, and how to release what it holds (not the store). */
export async function composeEngine(
  config: Config,
  db: Database,
  notifyOutbox: () => void = () => {},
  notifyImports: () => void = () => {},
  observers: Pick<EngineContext, 'onEventsCommitted' | 'onImportRows'> = {},
): Promise<{ engine: Engine; release: () => Promise<void>; serverKey: Buffer; serverKeyOrigin: ServerKeyOrigin }> {
  const { key: serverKey, origin } = loadServerKey({ fromEnvironment: config.serverKey, dataDir: config.dataDir });
  const passwords = await createPasswordHasher(config.passwordHashThreads, createSealer(serverKey, 'imported-hash-keys'));
  const operatorKey = loadOperatorKey({ fromEnvironment: config.operatorKey, dataDir: config.dataDir });
  const engine = createEngine({
    db,
    passwords,
    secrets: new SecretHasher(serverKey),
    idempotencySealer: createSealer(serverKey, 'idempotency'),
    // 'outbox' is the sealing label from before the queue had other kinds; kept so queued mail stays readable.
    queueSealer: createSealer(serverKey, 'outbox'),
    accessKeySealer: createSealer(serverKey, 'access-keys'),
    webhookSecretSealer: createSealer(serverKey, 'webhook-secrets'),
    webhookAllowPrivateAddresses: config.webhooks.allowPrivateAddresses,
    messageIdDomain: messageIdDomain(config.mail.from),
    notifyOutbox,
    notifyImports,
    ...observers,
    operatorKeyHash: apiKeyHash(operatorKey),
    now: () => new Date(),
    limits: {
      batchMaxItems: config.batchMaxItems,
      idempotencyTtlHours: config.idempotencyTtlHours,
      idempotencyLeaseSeconds: config.idempotencyLeaseSeconds,
      invitationTtlHours: config.invitationTtlHours,
      outboxMaxAttempts: config.outbox.maxAttempts,
      outboxRetryBaseMs: config.outbox.retryBaseMs,
      outboxLeaseMs: config.outbox.leaseMs,
      auditRetentionDays: config.auditRetentionDays,
      imports: config.imports,
      rateLimit: config.rateLimit,
      lockout: config.lockout,
      consoleSessions: { idleSeconds: config.console.sessionIdleSeconds, maxSeconds: config.console.sessionMaxSeconds },
    },
  });
  return { engine, release: () => passwords.close(), serverKey, serverKeyOrigin: origin };
}

/** The domain of the From address (`muster <no-reply@example.com>` -> example.com), for Message-IDs. */
function messageIdDomain(from: string): string {
  return /@([\w.-]+)>?\s*$/.exec(from)?.[1] ?? 'muster.local';
}

/**
 * Builds the engine, the mail transport, the queue's mail worker and the HTTP app
 * over an open, migrated store. The service owns the store from here on:
 * `close()` stops the queue workers (sends in flight finish), then closes the
 * server, the hashing pool and the store.
 */
export async function composeService(config: Config, store: Database, logStream?: Writable): Promise<Service> {
  // OpenTelemetry is imported only when an OTLP endpoint is configured: without one nothing of it loads.
  const tracing = config.tracing && (await import('./observability/tracing.ts')).startTracing(config.tracing, VERSION);
  const db = tracing ? tracing.database(store) : store;
  let wakeDispatcher = () => {};
  let wakeImports = () => {};
  // The engine reports committed events and import rows to the metrics, which read the engine at scrape time.
  const metricsOf: { current?: Metrics } = {};
  const { engine: untraced, release, serverKey, serverKeyOrigin } = await composeEngine(
    config,
    db,
    () => wakeDispatcher(),
    () => wakeImports(),
    { onEventsCommitted: (events) => metricsOf.current?.recordEvents(events), onImportRows: (rows) => metricsOf.current?.recordImportRows(rows) },
  );
  const engine = tracing ? tracing.engine(untraced) : untraced;
  const metrics = (metricsOf.current = createMetrics({ snapshot: () => engine.observability.snapshot() }));
  const jwt = await createJwtAuthority(serverKey, {
    issuer: config.publicUrl,
    audience: config.jwt.audience,
    ttlSeconds: config.jwt.ttlSeconds,
    ...(config.jwt.external && { external: config.jwt.external }),
  });
  const files = config.mail.smtpUrl === undefined ? fileTransport(join(config.dataDir, 'mail'), config.mail.from) : undefined;
  const transport = files ?? smtpTransport(config.mail.smtpUrl!, config.mail.from, { tlsInsecure: config.mail.smtpTlsInsecure });
  const app = await buildApp({
    engine,
    jwt,
    mailFolder: files,
    bodyLimitBytes: config.bodyLimitBytes,
    batchMaxItems: config.batchMaxItems,
    publicUrl: config.publicUrl,
    scim: config.scim,
    logLevel: config.logLevel,
    version: VERSION,
    ...(logStream && { logStream }),
    metrics: { metrics, token: config.metrics.token },
    ...(tracing && { tracing: tracing.requests }),
  });
  if (config.mail.smtpTlsInsecure) {
    app.log.warn('SMTP_TLS_INSECURE=true: the SMTP server\'s certificate is not verified; mail and SMTP credentials can be intercepted. Trust a private CA with NODE_EXTRA_CA_CERTS instead.');
  }
  const mailWorker = startQueueRunner(mailHandler(transport, loadInvitationTemplates(config.mail.templatesDir), config.publicUrl), {
    engine,
    log: app.log,
    pollMs: config.outbox.pollMs,
  });
  const importWorker = startQueueRunner(importHandler(engine, app.log), { engine, log: app.log, pollMs: config.outbox.pollMs });
  wakeImports = importWorker.wake;
  // A delivery must end within its lease, or another worker could claim the
  // endpoint's head while it is still in flight (two at once, out of order).
  const webhookTimeoutMs = Math.min(config.webhooks.timeoutMs, Math.floor(config.outbox.leaseMs / 2));
  if (webhookTimeoutMs < config.webhooks.timeoutMs) {
    app.log.warn({ timeoutMs: webhookTimeoutMs, leaseMs: config.outbox.leaseMs }, 'WEBHOOK_TIMEOUT_MS is cut to half of OUTBOX_LEASE_MS so a delivery ends within its lease');
  }
  const webhookWorker = startQueueRunner(
    webhookHandler(engine, {
      allowPrivateAddresses: config.webhooks.allowPrivateAddresses,
      extraCa: config.webhooks.caFile === undefined ? [] : [readFileSync(config.webhooks.caFile, 'utf8')],
      timeoutMs: webhookTimeoutMs,
      retryScheduleMs: config.webhooks.retryScheduleMs,
      disableAfterHours: config.webhooks.disableAfterHours,
    }),
    { engine, log: app.log, pollMs: config.outbox.pollMs },
  );
  if (config.webhooks.allowPrivateAddresses) app.log.warn('WEBHOOK_ALLOW_PRIVATE_ADDRESSES=true: webhooks may call loopback, private and link-local addresses (the cloud metadata service too).');
  // One wake-up for every kind: a transaction that queued work wakes each runner, which claims only its own kind.
  wakeDispatcher = () => {
    mailWorker.wake();
    webhookWorker.wake();
  };
  return {
    app,
    engine,
    db,
    serverKeyOrigin,
    mailTransport: transport.kind,
    metrics,
    async close() {
      await Promise.all([mailWorker.stop(), webhookWorker.stop(), importWorker.stop()]);
      transport.close();
      await app.close();
      await release();
      await db.close();
      await tracing?.shutdown();
    },
  };
}

/**
 * Errors that stop a start before anything ran, for a reason the operator can
 * fix (a bad variable, a data directory held by another process): one line on
 * stderr and exit code 2, never a stack trace. The CLI treats them alike.
 */
export function isStartupRefusal(error: unknown): error is Error {
  return error instanceof ConfigError || error instanceof DataDirectoryInUseError;
}

/** Prints the generated admin key once, outside the structured log. */
function announceAdminKey(key: string): void {
  process.stderr.write(
    [
      '',
      '  muster created the "default" tenant with a "default" directory.',
      '  Its admin API key is shown this once; store it now:',
      '',
      `    ${key}`,
      '',
      '  Use it as: Authorization: Bearer <key>',
      '',
    ].join('\n') + '\n',
  );
}

async function main(): Promise<void> {
  const startedAt = performance.now();
  let config: Config;
  let db: Database;
  try {
    config = loadConfig();
    db = await openStore(config);
  } catch (error) {
    if (isStartupRefusal(error)) {
      process.stderr.write(`${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  await migrate(db);
  const service = await composeService(config, db);
  const log = service.app.log;

  const bootstrapped = await service.engine.tenants.bootstrap(config.adminKey);
  if (bootstrapped && !config.adminKey) announceAdminKey(bootstrapped.adminKey.key);
  if (bootstrapped) log.info({ tenantId: bootstrapped.tenant.id, keyPrefix: bootstrapped.adminKey.info.prefix }, 'initialised an empty store');
  else if (config.adminKey && !(await service.engine.tenants.isLiveKey(config.adminKey))) {
    log.warn('MUSTER_ADMIN_KEY is set but is not a live key: it is used only when the store is empty. Create keys with `muster keys create`.');
  }

  if (db.kind === 'postgres' && service.serverKeyOrigin !== 'environment') {
    log.warn('MUSTER_SERVER_KEY is not set: using a key in DATA_DIR. Every instance sharing this database must use the same key; set MUSTER_SERVER_KEY.');
  }
  await service.app.listen({ port: config.port, host: config.host });
  const stopSweeper = startRetentionSweeper(service.engine, log);
  const metricsListener = config.metrics.port > 0 ? await startMetricsListener(service.metrics, config.metrics.host, config.metrics.port) : undefined;
  log.info(
    { store: db.kind, mail: service.mailTransport, startupMs: Math.round(performance.now() - startedAt), version: VERSION },
    'muster is ready',
  );

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    stopSweeper();
    metricsListener?.close();
    const timer = setTimeout(() => {
      log.error({ timeoutMs: config.shutdownTimeoutMs }, 'shutdown timed out; exiting');
      process.exit(1);
    }, config.shutdownTimeoutMs);
    timer.unref();
    service.close().then(
      () => {
        log.info('stopped');
        process.exit(0);
      },
      (error: unknown) => {
        log.error({ err: error }, 'error during shutdown');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

if (import.meta.main) {
  await main();
}
