/**
 * The embedded store: PGlite (PostgreSQL compiled to WebAssembly), persisted
 * under the data directory.
 *
 * PGlite is one connection. Every query, and every transaction from BEGIN to
 * COMMIT, holds one lock, so concurrent requests are serialised and never
 * interleave inside each other's transactions. A query on the Database made from
 * inside a transaction's callback waits for that same transaction: a deadlock,
 * which is why repositories take the transaction handle explicitly.
 *
 * Only one process may open a data directory at a time; `muster.pid` in it
 * records the owner (pid and, on Linux, its start time from /proc, so a pid
 * reused by an unrelated process is not mistaken for the owner), and a second
 * process is refused with DataDirectoryInUseError. Without /proc a live pid
 * counts as the owner.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { transactionHandle, type Database, type Queryable, type QueryResult } from './ports.ts';

/** A FIFO mutex: `run` waits for every earlier holder to finish. */
class Lock {
  #tail: Promise<unknown> = Promise.resolve();

  run<T>(work: () => Promise<T>): Promise<T> {
    const result = this.#tail.then(work);
    this.#tail = result.catch(() => undefined);
    return result;
  }
}

/** Another live process holds the data directory. Its message is one line, fit for a terminal. */
export class DataDirectoryInUseError extends Error {
  constructor(dataDir: string, pid: number) {
    super(`The data directory ${dataDir} is in use by process ${pid}. Stop that process first (the embedded store allows one process at a time).`);
    this.name = 'DataDirectoryInUseError';
  }
}

/** What `muster.pid` holds: the owner's pid and, where the OS tells it, when that process started. */
interface PidRecord {
  readonly pid: number;
  /** The process's start time in clock ticks since boot (Linux `/proc/<pid>/stat`, field 22). */
  readonly started?: string;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * When process `pid` started, as an opaque token that differs between two
 * processes that had the same pid; undefined where there is no `/proc` (then a
 * live pid is taken to be the owner, as before).
 */
export function processStartToken(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 2 (the command) is in parentheses and may hold spaces: count from the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

function readPidRecord(text: string): PidRecord | undefined {
  if (/^\d+$/.test(text.trim())) return { pid: Number(text) }; // written by an earlier version
  try {
    const record = JSON.parse(text) as Partial<PidRecord>;
    return Number.isInteger(record.pid) ? { pid: record.pid!, ...(typeof record.started === 'string' && { started: record.started }) } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * True when the process that wrote `record` still runs: its pid is alive and,
 * when both start tokens are known, it is the same process (not a later one
 * that was given the same pid, as happens after a crash or in containers).
 */
function ownerIsRunning(record: PidRecord): boolean {
  if (record.pid === process.pid || !isAlive(record.pid)) return false;
  const now = record.started === undefined ? undefined : processStartToken(record.pid);
  return now === undefined || now === record.started;
}

/** Takes the data directory for this process, or throws DataDirectoryInUseError. */
function claimDataDirectory(dataDir: string): () => void {
  mkdirSync(dataDir, { recursive: true });
  const pidFile = join(dataDir, 'muster.pid');
  const started = processStartToken(process.pid);
  const mine = JSON.stringify({ pid: process.pid, ...(started !== undefined && { started }) });
  for (;;) {
    try {
      writeFileSync(pidFile, mine, { flag: 'wx' });
      return () => rmSync(pidFile, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const record = readPidRecord(readFileSync(pidFile, 'utf8'));
      if (record && ownerIsRunning(record)) throw new DataDirectoryInUseError(dataDir, record.pid);
      rmSync(pidFile, { force: true }); // left by a process that is gone
    }
  }
}

function queryable(pglite: PGlite): Queryable {
  return {
    async query<Row>(sql: string, params?: readonly unknown[]): Promise<QueryResult<Row>> {
      const result = await pglite.query<Row>(sql, params as unknown[] | undefined);
      // PGlite counts only INSERT/UPDATE/DELETE/COPY/MERGE in affectedRows (0 for a
      // SELECT); pg's rowCount is the rows returned for a SELECT. Match pg.
      return { rows: result.rows, rowCount: result.affectedRows || result.rows.length };
    },
    async exec(sql: string): Promise<void> {
      await pglite.exec(sql);
    },
  };
}

/**
 * PostgreSQL settings for the embedded store, sized for a small machine: the
 * WebAssembly heap starts at 128 MiB and never shrinks, so shared buffers stay
 * well inside it (PostgreSQL's default 128MB would fill it; WAL buffers follow
 * at 1/32). The files live on disk, so the OS page cache still holds what the
 * buffers do not. See the README's Benchmark section for the measured RSS.
 */
export const EMBEDDED_SETTINGS = ['shared_buffers=16MB', 'maintenance_work_mem=16MB'] as const;

export interface EmbeddedOptions {
  /** Directory to persist into; undefined keeps the database in memory (tests). */
  readonly dataDir?: string;
}

export async function openEmbedded(options: EmbeddedOptions): Promise<Database> {
  const release = options.dataDir ? claimDataDirectory(options.dataDir) : () => {};
  let pglite: PGlite;
  try {
    const startParams = [...PGlite.defaultStartParams, ...EMBEDDED_SETTINGS.flatMap((setting) => ['-c', setting])];
    const pgdata = options.dataDir && join(options.dataDir, 'pgdata');
    const start = async () => {
      const instance = pgdata ? new PGlite(pgdata, { startParams }) : new PGlite({ startParams });
      await instance.waitReady;
      return instance;
    };
    const created = pgdata !== undefined && !existsSync(pgdata);
    pglite = await start();
    if (created) {
      // Creating the cluster (initdb) grows the WebAssembly heap to ~450 MiB,
      // which never shrinks: a fresh instance on the created files starts at
      // ~200 MiB, so the first start does not keep the creation's peak.
      await pglite.close();
      pglite = await start();
    }
  } catch (error) {
    release();
    throw error;
  }
  const lock = new Lock();
  const open = queryable(pglite);
  /**
   * Once closed, a query fails as a server that shut down does (SQLSTATE
   * 57P01, admin_shutdown), so callers classify it alike: retryable, a 503.
   */
  const closedError = () => Object.assign(new Error('the embedded store is closed'), { code: '57P01' });
  const direct: Queryable = {
    query: (sql, params) => (pglite.closed ? Promise.reject(closedError()) : open.query(sql, params)),
    exec: (sql) => (pglite.closed ? Promise.reject(closedError()) : open.exec(sql)),
  };

  return {
    kind: 'embedded',
    query: (sql, params) => lock.run(() => direct.query(sql, params)),
    exec: (sql) => lock.run(() => direct.exec(sql)),
    transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
      return lock.run(async () => {
        const handle = transactionHandle(direct);
        await direct.exec('BEGIN');
        try {
          const result = await fn(handle.tx);
          await pglite.exec('COMMIT');
          return result;
        } catch (error) {
          await pglite.exec('ROLLBACK');
          throw error;
        } finally {
          handle.end();
        }
      });
    },
    async close(): Promise<void> {
      if (pglite.closed) return;
      await lock.run(() => pglite.close());
      release();
    },
  };
}
