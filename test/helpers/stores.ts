/**
 * Test stores. Every storage and HTTP test runs on both stores:
 * - `postgres`: the server at TEST_DATABASE_URL (default 127.0.0.1:5432, database
 *   `test`), in a fresh schema per opener, dropped on close, so runs never collide;
 * - `embedded`: PGlite in memory (one instance per test file: it takes seconds to start).
 */
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, connect, type Socket } from 'node:net';
import pg from 'pg';
import { migrate } from '../../src/store/migrate.ts';
import { openEmbedded } from '../../src/store/pglite.ts';
import { openPostgres } from '../../src/store/postgres.ts';
import type { Database, StoreKind } from '../../src/store/ports.ts';

export const STORE_KINDS: readonly StoreKind[] = ['postgres', 'embedded'];

export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

async function withAdminClient<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
  try {
    await client.connect();
  } catch (error) {
    throw new Error(`PostgreSQL is not reachable at ${TEST_DATABASE_URL} (set TEST_DATABASE_URL): ${(error as Error).message}`, {
      cause: error,
    });
  }
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/**
 * A migrated, empty store of the given kind; closing it drops what it made.
 * `connectionString` (PostgreSQL only) is where the store's pool connects, e.g. a
 * proxy; the schema is still made and dropped at TEST_DATABASE_URL.
 */
export async function openTestStore(kind: StoreKind, options: { migrated?: boolean; connectionString?: string } = {}): Promise<Database> {
  let db: Database;
  if (kind === 'embedded') {
    db = await openEmbedded({});
  } else {
    const schema = `muster_test_${randomBytes(6).toString('hex')}`;
    await withAdminClient((client) => client.query(`CREATE SCHEMA ${schema}`));
    const inner = await openPostgres({ connectionString: options.connectionString ?? TEST_DATABASE_URL, poolSize: 8, schema });
    db = {
      ...inner,
      async close() {
        await inner.close();
        await withAdminClient((client) => client.query(`DROP SCHEMA ${schema} CASCADE`));
      },
    };
  }
  if (options.migrated !== false) await migrate(db);
  return db;
}

/**
 * A store that can be made to vanish under a running service, for "the store is
 * gone" cases. Embedded: `sever` closes the PGlite instance. PostgreSQL: the
 * store's connections run through a TCP proxy on loopback, and `sever` stops it
 * and resets every connection, so the server is unreachable (existing connections
 * die, new ones are refused) as when it crashes or the network parts. Closing the
 * store afterwards still drops its schema (directly at TEST_DATABASE_URL).
 */
export async function openSeverableStore(kind: StoreKind): Promise<{ db: Database; sever(): Promise<void> }> {
  if (kind === 'embedded') {
    const db = await openTestStore('embedded');
    return { db, sever: () => db.close() };
  }
  const target = new URL(TEST_DATABASE_URL);
  const sockets = new Set<Socket>();
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
  };
  const proxy = createServer((client) => {
    const upstream = connect(Number(target.port || 5432), target.hostname);
    track(client);
    track(upstream);
    client.pipe(upstream).pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  proxy.listen(0, '127.0.0.1');
  await once(proxy, 'listening');
  const viaProxy = new URL(TEST_DATABASE_URL);
  viaProxy.host = `127.0.0.1:${(proxy.address() as { port: number }).port}`;
  const db = await openTestStore('postgres', { connectionString: viaProxy.toString() });
  return {
    db,
    async sever() {
      const closed = new Promise<void>((resolve) => proxy.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}

/** A fresh schema at TEST_DATABASE_URL for services run as processes: `databaseUrl` selects it by search_path; `admin` is a client for the test's own checks; `drop` removes both. */
export async function processSchema(label: string): Promise<{ databaseUrl: string; schema: string; admin: pg.Client; drop(): Promise<void> }> {
  const schema = `muster_${label}_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  const url = new URL(TEST_DATABASE_URL);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return {
    databaseUrl: url.toString(),
    schema,
    admin,
    async drop() {
      await admin.query(`DROP SCHEMA ${schema} CASCADE`);
      await admin.end();
    },
  };
}

/** The store variables of a service run as a process: a fresh DATA_DIR, and for `postgres` a fresh schema (`processSchema`); `cleanup` drops the schema. */
export async function processStoreEnv(kind: StoreKind, label: string): Promise<{ env: Record<string, string>; cleanup: () => Promise<void> }> {
  const DATA_DIR = mkdtempSync(join(tmpdir(), `muster-${label}-`));
  if (kind === 'embedded') return { env: { DATA_DIR }, cleanup: async () => {} };
  const store = await processSchema(label);
  return { env: { DATA_DIR, DATABASE_URL: store.databaseUrl }, cleanup: store.drop };
}
