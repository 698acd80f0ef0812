/**
 * The raw-insert baseline the bench sides are measured against: the same
 * users' columns, built before any clock starts, inserted the fastest way
 * the store takes them row by row (one INSERT ... SELECT FROM unnest per
 * 1000 rows) into the same table with the same constraints.
 *
 * And a second, diagnostic baseline: the same users with the `user.created`
 * event the unit of work must write for each (issue 10), raw: per 1000 rows
 * one transaction of that users insert and the service's own events
 * statement (INSERT_EVENTS_SQL) with the events' JSON built before the clock.
 * The API against it shows what the service costs beyond the writes it is
 * required to make. For import jobs (bench/imports.ts) the same with each
 * row's report row as well.
 */
import { newId } from '../src/crypto/ids.ts';
import { comparisonKey } from '../src/domain/user.ts';
import type { Database, Queryable } from '../src/store/ports.ts';
import { INSERT_EVENTS_SQL } from '../src/store/repositories/events.ts';

/** Rows per baseline INSERT, as many as a batch request holds. */
const BATCH = 1000;

/** The baseline's input for one run: the rows' columns, one array each per 1000 rows, built before the clock. */
export interface BaselineRows {
  readonly chunks: { ids: string[]; names: string[]; keys: string[]; emails: string[]; emailKeys: string[]; displayNames: string[] }[];
  readonly total: number;
}

/** Per chunk of `rows`, the JSON array of its users' `user.created` events (INSERT_EVENTS_SQL's $8), as the unit of work would send it. */
export function baselineEvents(rows: BaselineRows, directoryId: string): string[] {
  return rows.chunks.map((c) =>
    JSON.stringify(
      c.ids.map((id, i) => ({
        id: newId(),
        type: 'user.created',
        subject_type: 'user',
        subject_id: id,
        directory_id: directoryId,
        // domain/events.ts userCreated's data for a user with these fields set
        data: { username: c.names[i], email: c.emails[i], displayName: c.displayNames[i], status: 'active', signIn: 'none' },
      })),
    ),
  );
}

/** The same users `bodies(prefix, total)` sends, as the baseline's column arrays. */
export function baselineRows(prefix: string, total: number): BaselineRows {
  const chunks: BaselineRows['chunks'] = [];
  for (let start = 0; start < total; start += BATCH) {
    const chunk = { ids: [] as string[], names: [] as string[], keys: [] as string[], emails: [] as string[], emailKeys: [] as string[], displayNames: [] as string[] };
    for (let i = start; i < Math.min(total, start + BATCH); i++) {
      chunk.ids.push(newId());
      chunk.names.push(`${prefix}${i}`);
      chunk.keys.push(comparisonKey(`${prefix}${i}`));
      chunk.emails.push(`${prefix}${i}@example.com`);
      chunk.emailKeys.push(comparisonKey(`${prefix}${i}@example.com`));
      chunk.displayNames.push(`User ${i}`);
    }
    chunks.push(chunk);
  }
  return { chunks, total };
}

/** Per chunk of `rows`, its report's row numbers (1, 2, ... across the chunks), for insertWithEvents' report rows. */
export function baselineReportRows(rows: BaselineRows): number[][] {
  let row = 0;
  return rows.chunks.map((c) => c.ids.map(() => ++row));
}

/**
 * The fastest multi-row insert: one INSERT ... SELECT FROM unnest per 1000 rows,
 * same table, same constraints. Returns the rows inserted (rowCount) and the seconds.
 */
export async function baselineStore(db: Database): Promise<{
  directoryId: string;
  insert: (rows: BaselineRows) => Promise<{ created: number; seconds: number }>;
  /** With `reportRows`, each chunk's transaction also writes an import report row per user (status created, its id and username), as an import chunk does. */
  insertWithEvents: (rows: BaselineRows, events: readonly string[], reportRows?: readonly number[][]) => Promise<{ created: number; seconds: number }>;
}> {
  const tenantId = newId();
  const directoryId = newId();
  // Named by its id: a store may hold more than one baseline (the import bench's raw load and its required writes).
  await db.query('INSERT INTO tenants (id, name) VALUES ($1, $2)', [tenantId, `baseline-${tenantId}`]);
  await db.query("INSERT INTO directories (tenant_id, id, name) VALUES ($1, $2, 'baseline')", [tenantId, directoryId]);
  const insertChunk = async (q: Queryable, c: BaselineRows['chunks'][number]) =>
    (
      await q.query(
        `INSERT INTO users (tenant_id, directory_id, id, username, username_key, email, email_key, display_name, status)
         SELECT $1, $2, id, username, username_key, email, email_key, display_name, 'active'
         FROM unnest($3::uuid[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[])
           AS t(id, username, username_key, email, email_key, display_name)`,
        [tenantId, directoryId, c.ids, c.names, c.keys, c.emails, c.emailKeys, c.displayNames],
      )
    ).rowCount;
  const insert = async (rows: BaselineRows) => {
    let created = 0;
    const started = performance.now();
    for (const c of rows.chunks) created += await insertChunk(db, c);
    return { created, seconds: (performance.now() - started) / 1000 };
  };
  // The report's job: import_report has no foreign key to it (migration 0019).
  const reportJobId = newId();
  const insertWithEvents = async (rows: BaselineRows, events: readonly string[], reportRows?: readonly number[][]) => {
    let created = 0;
    const started = performance.now();
    for (const [k, c] of rows.chunks.entries()) {
      created += await db.transaction(async (tx) => {
        const inserted = await insertChunk(tx, c);
        if (reportRows) {
          await tx.query(
            `INSERT INTO import_report (tenant_id, job_id, row, line, status, user_id, username)
             SELECT $1, $2, t.row, t.row + 1, 'created', t.user_id, t.username FROM unnest($3::int[], $4::uuid[], $5::text[]) AS t(row, user_id, username)`,
            [tenantId, reportJobId, reportRows[k], c.ids, c.names],
          );
        }
        await tx.query(INSERT_EVENTS_SQL, [tenantId, new Date(), 'api_key', 'baseline', 'baseline', 'native', null, events[k]]);
        return inserted;
      });
    }
    return { created, seconds: (performance.now() - started) / 1000 };
  };
  return { directoryId, insert, insertWithEvents };
}
