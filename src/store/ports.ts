/**
 * The storage port. Both stores (a PostgreSQL server, and embedded PGlite) speak
 * the same SQL; they differ only in how a query reaches the database, which is
 * what this interface hides. Only `main.ts` and tests choose the implementation.
 *
 * Transactions are explicit: `transaction(fn)` hands `fn` a handle, and every
 * query that belongs to the transaction must go through that handle. A query on
 * the Database itself while a transaction is open runs outside it: on PostgreSQL
 * it silently escapes the transaction's atomicity, and on PGlite (one connection)
 * it waits for the transaction to end, so calling it from inside `fn` deadlocks.
 * Repository functions therefore take the handle as their first parameter.
 */
export interface QueryResult<Row> {
  readonly rows: Row[];
  /** Rows changed by INSERT/UPDATE/DELETE, or rows returned by SELECT (as in `pg`). */
  readonly rowCount: number;
}

export interface Queryable {
  /** One statement with `$n` parameters. */
  query<Row = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<QueryResult<Row>>;
  /** Several statements, no parameters (migrations). */
  exec(sql: string): Promise<void>;
}

export type StoreKind = 'postgres' | 'embedded';

export interface Database extends Queryable {
  readonly kind: StoreKind;
  /**
   * Runs `fn` in one transaction (READ COMMITTED): COMMIT when it resolves,
   * ROLLBACK when it throws (the error is rethrown). The handle is invalid once
   * `fn` settles.
   */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /** Waits for running work, then closes. Closing again does nothing. */
  close(): Promise<void>;
  /** Connections of a pooled store (for /metrics); the embedded store has one and says nothing. */
  poolStats?(): PoolStats;
}

export interface PoolStats {
  readonly total: number;
  readonly idle: number;
  /** Queries waiting for a connection. */
  readonly waiting: number;
}

/** A database error's SQLSTATE and constraint name, the same from both drivers. */
export interface DatabaseErrorInfo {
  readonly sqlState: string;
  readonly constraint: string | undefined;
}

export function databaseErrorInfo(error: unknown): DatabaseErrorInfo | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { code, constraint } = error as { code?: unknown; constraint?: unknown };
  if (typeof code !== 'string' || !/^[0-9A-Z]{5}$/.test(code)) return undefined;
  return { sqlState: code, constraint: typeof constraint === 'string' ? constraint : undefined };
}

/**
 * Wraps a transaction's connection so that it refuses work once the
 * transaction has ended; a late query would otherwise run outside it.
 */
export function transactionHandle(inner: Queryable): { readonly tx: Queryable; end(): void } {
  let ended = false;
  const refuse = () => Promise.reject(new Error('transaction handle used after its transaction ended'));
  return {
    tx: {
      query: (sql, params) => (ended ? refuse() : inner.query(sql, params)),
      exec: (sql) => (ended ? refuse() : inner.exec(sql)),
    },
    end: () => {
      ended = true;
    },
  };
}

/** SQLSTATEs after which the whole transaction may simply be run again. */
const RETRYABLE = new Set(['40P01', '40001']); // deadlock_detected, serialization_failure

/**
 * Runs `work` (a whole transaction) again when the database aborted it as a
 * deadlock victim or for a serialisation failure, up to `attempts` times.
 * `work` must be safe to repeat: nothing of a rolled-back attempt persists.
 */
export async function retryingAbortedTransactions<T>(work: () => Promise<T>, attempts = 3): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      const sqlState = databaseErrorInfo(error)?.sqlState;
      if (attempt >= attempts || sqlState === undefined || !RETRYABLE.has(sqlState)) throw error;
    }
  }
}
