/**
 * Composition root: config -> store -> engine -> http. The only module (with
 * tests) that knows which store implementation runs. `node src/main.ts` starts
 * the service; other modules import `composeService` and `openStore`.
 */
import { readFileSync } from 'node:fs';
import type { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { ConfigError, loadConfig, type Config } from './config.ts';
import { createPasswordHasher } from './crypto/passwords.ts';
import { createSealer } from './crypto/sealing.ts';
import { SecretHasher } from './crypto/secrets.ts';
import { loadServerKey, type ServerKeyOrigin } from './crypto/serverKey.ts';
import { createEngine, type Engine } from './engine/engine.ts';
import { buildApp } from './http/app.ts';
import { migrate } from './store/migrate.ts';
import { startIdempotencySweeper } from './workers/idempotencySweeper.ts';
import { openEmbedded } from './store/pglite.ts';
import { openPostgres } from './store/postgres.ts';
import type { Database } from './store/ports.ts';

export const VERSION: string = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/** The PostgreSQL server named by DATABASE_URL, or else the embedded store under DATA_DIR. */
export function openStore(config: Config): Promise<Database> {
  return config.databaseUrl
    ? openPostgres({ connectionString: config.databaseUrl, poolSize: config.databasePoolSize })
    : openEmbedded({ dataDir: config.dataDir });
}

export interface Service {
  readonly app: FastifyInstance;
  readonly engine: Engine;
  readonly db: Database;
  readonly serverKeyOrigin: ServerKeyOrigin;
  /** Closes the server, the hashing pool and the store, in that order. */
  close(): Promise<void>;
}

/** The engine over an open store, and how to release what it holds (not the store). */
export async function composeEngine(
  config: Pick<Config, 'passwordHashThreads' | 'serverKey' | 'dataDir' | 'batchMaxItems' | 'idempotencyTtlHours'>,
  db: Database,
): Promise<{ engine: Engine; release: () => Promise<void>; serverKeyOrigin: ServerKeyOrigin }> {
  const passwords = await createPasswordHasher(config.passwordHashThreads);
  const { key: serverKey, origin } = loadServerKey({ fromEnvironment: config.serverKey, dataDir: config.dataDir });
  const engine = createEngine({
    db,
    passwords,
    secrets: new SecretHasher(serverKey),
    idempotencySealer: createSealer(serverKey, 'idempotency'),
    now: () => new Date(),
    limits: { batchMaxItems: config.batchMaxItems, idempotencyTtlHours: config.idempotencyTtlHours },
  });
  return { engine, release: () => passwords.close(), serverKeyOrigin: origin };
}

/**
 * Builds the engine and HTTP app over an open, migrated store. The service
 * owns the store from here on: `close()` closes it.
 */
export async function composeService(config: Config, db: Database, logStream?: Writable): Promise<Service> {
  const { engine, release, serverKeyOrigin } = await composeEngine(config, db);
  const app = await buildApp({
    engine,
    bodyLimitBytes: config.bodyLimitBytes,
    batchMaxItems: config.batchMaxItems,
    logLevel: config.logLevel,
    version: VERSION,
    ...(logStream && { logStream }),
  });
  return {
    app,
    engine,
    db,
    serverKeyOrigin,
    async close() {
      await app.close();
      await release();
      await db.close();
    },
  };
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
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  const db = await openStore(config);
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
  const stopSweeper = startIdempotencySweeper(service.engine, log);
  log.info({ store: db.kind, startupMs: Math.round(performance.now() - startedAt), version: VERSION }, 'muster is ready');

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    stopSweeper();
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
