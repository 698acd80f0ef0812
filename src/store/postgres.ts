/** The PostgreSQL-server store: a `pg` connection pool. */
import pg from 'pg';
import { transactionHandle, type Database, type Queryable, type QueryResult } from './ports.ts';

export interface PostgresOptions {
  readonly connectionString: string;
  readonly poolSize: number;
  /** Sets `search_path` on every connection (tests isolate themselves by schema). */
  readonly schema?: string;
  /** `idle_in_transaction_session_timeout` of every connection (config.ts DATABASE_IDLE_TRANSACTION_TIMEOUT_MS); the server's own when absent. */
  readonly idleTransactionTimeoutMs?: number;
}

function queryable(client: pg.Pool | pg.PoolClient): Queryable {
  return {
    async query<Row>(sql: string, params?: readonly unknown[]): Promise<QueryResult<Row>> {
      const result = await client.query(sql, params as unknown[] | undefined);
      return { rows: result.rows as Row[], rowCount: result.rowCount ?? 0 };
    },
    async exec(sql: string): Promise<void> {
      await client.query(sql);
    },
  };
}

/** Opens a pool and checks that the server answers; throws the driver's error if not. */
export async function openPostgres(options: PostgresOptions): Promise<Database> {
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.poolSize,
    ...(options.schema ? { options: `-c search_path=${options.schema}` } : {}),
    ...(options.idleTransactionTimeoutMs !== undefined && { idle_in_transaction_session_timeout: options.idleTransactionTimeoutMs }),
  });
  // An idle client that loses its connection emits here; without a listener the
  // process would crash. The next query simply gets a fresh connection.
  pool.on('error', () => {});
  const pooled = queryable(pool);
  await pooled.query('SELECT 1');

  return {
    kind: 'postgres',
    query: pooled.query,
    exec: pooled.exec,
    async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
      const client = await pool.connect();
      const handle = transactionHandle(queryable(client));
      let connectionBroken = false;
      // A checked-out client whose connection the server ends (idle_in_transaction_session_timeout,
      // a restart, a failover) emits 'error'; unheard, that would crash the process. The pending
      // query rejects on its own; the client is discarded on release.
      const onError = () => {
        connectionBroken = true;
      };
      client.on('error', onError);
      try {
        await client.query('BEGIN');
        const result = await fn(handle.tx);
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {
          connectionBroken = true;
        });
        throw error;
      } finally {
        handle.end();
        client.off('error', onError);
        client.release(connectionBroken);
      }
    },
    async close(): Promise<void> {
      if (!pool.ended) await pool.end();
    },
    poolStats: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }),
  };
}
