/**
 * Test stores. Every storage and HTTP test runs on both stores:
 * - `postgres`: the server at TEST_DATABASE_URL (default 127.0.0.1:5432, database
 *   `test`), in a fresh schema per opener, dropped on close, so runs never collide;
 * - `embedded`: PGlite in memory (one instance per test file: it takes seconds to start).
 */
import { randomBytes } from 'node:crypto';
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

/** A migrated, empty store of the given kind; closing it drops what it made. */
export async function openTestStore(kind: StoreKind, options: { migrated?: boolean } = {}): Promise<Database> {
  let db: Database;
  if (kind === 'embedded') {
    db = await openEmbedded({});
  } else {
    const schema = `muster_test_${randomBytes(6).toString('hex')}`;
    await withAdminClient((client) => client.query(`CREATE SCHEMA ${schema}`));
    const inner = await openPostgres({ connectionString: TEST_DATABASE_URL, poolSize: 8, schema });
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
