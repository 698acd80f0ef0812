/**
 * The raw-insert baseline the bench sides are measured against: the same
 * users' columns, built before any clock starts, inserted the fastest way
 * the store takes them row by row (one INSERT ... SELECT FROM unnest per
 * 1000 rows) into the same table with the same constraints.
 */
import { newId } from '../src/crypto/ids.ts';
import { comparisonKey } from '../src/domain/user.ts';
import type { Database } from '../src/store/ports.ts';

/** Rows per baseline INSERT, as many as a batch request holds. */
const BATCH = 1000;

/** The baseline's input for one run: the rows' columns, one array each per 1000 rows, built before the clock. */
export interface BaselineRows {
  readonly chunks: { ids: string[]; names: string[]; keys: string[]; emails: string[]; emailKeys: string[]; displayNames: string[] }[];
  readonly total: number;
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

/**
 * The fastest multi-row insert: one INSERT ... SELECT FROM unnest per 1000 rows,
 * same table, same constraints. Returns the rows inserted (rowCount) and the seconds.
 */
export async function baselineStore(db: Database): Promise<{ directoryId: string; insert: (rows: BaselineRows) => Promise<{ created: number; seconds: number }> }> {
  const tenantId = newId();
  const directoryId = newId();
  await db.query("INSERT INTO tenants (id, name) VALUES ($1, 'baseline')", [tenantId]);
  await db.query("INSERT INTO directories (tenant_id, id, name) VALUES ($1, $2, 'baseline')", [tenantId, directoryId]);
  const insert = async (rows: BaselineRows) => {
    let created = 0;
    const started = performance.now();
    for (const c of rows.chunks) {
      const result = await db.query(
        `INSERT INTO users (tenant_id, directory_id, id, username, username_key, email, email_key, display_name, status)
         SELECT $1, $2, id, username, username_key, email, email_key, display_name, 'active'
         FROM unnest($3::uuid[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[])
           AS t(id, username, username_key, email, email_key, display_name)`,
        [tenantId, directoryId, c.ids, c.names, c.keys, c.emails, c.emailKeys, c.displayNames],
      );
      created += result.rowCount;
    }
    return { created, seconds: (performance.now() - started) / 1000 };
  };
  return { directoryId, insert };
}
