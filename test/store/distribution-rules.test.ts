/**
 * Citus rule (issue 16, DESIGN.md "Storage"): with `tenant_id` as the
 * distribution column, every primary key, unique constraint, unique index and
 * foreign key of a tenant's table must include `tenant_id`, and a foreign key
 * between two tenant tables must match `tenant_id` to `tenant_id`. Read from the
 * PostgreSQL catalog (pg_constraint, pg_index) after every migration, so a new
 * table on any branch that breaks the rule fails here.
 *
 * Tables outside the rule, and why (docs/scaling.md says how each is distributed):
 * - reference tables (replicated to every node; may have global keys, may only
 *   reference other reference tables): `tenants` (every tenant table references
 *   it); `api_keys` and `access_keys` (a few rows per tenant, written rarely, read
 *   on every request by a key that does not name its tenant, so each node must
 *   find it locally and the key's global uniqueness stays enforced);
 * - `schema_migrations`: bookkeeping, a local table on the coordinator;
 * - tables distributed by a column of their own (OWN_DISTRIBUTION): rate-limit
 *   counters are keyed by bucket (addresses have no tenant); their keys must
 *   include that column, and they may have no foreign keys.
 * Every other table must have a `tenant_id` column.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Database, Queryable } from '../../src/store/ports.ts';
import { openTestStore } from '../helpers/stores.ts';

export const REFERENCE_TABLES: ReadonlySet<string> = new Set(['tenants', 'api_keys', 'access_keys']);
const LOCAL_TABLES: ReadonlySet<string> = new Set(['schema_migrations']);
const OWN_DISTRIBUTION: ReadonlyMap<string, string> = new Map([['rate_limit_hits', 'bucket']]);
const DISTRIBUTION_COLUMN = 'tenant_id';

interface ConstraintRow {
  table: string;
  name: string;
  type: 'p' | 'u' | 'f' | 'x';
  columns: string[];
  ref_table: string | null;
  ref_columns: string[] | null;
}

/** Every rule broken by the tables of the current schema, as readable lines; empty when the schema distributes. */
async function distributionViolations(q: Queryable): Promise<string[]> {
  const { rows: tables } = await q.query<{ table: string; has_tenant: boolean }>(
    `SELECT c.relname AS table,
            EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = $1 AND NOT a.attisdropped) AS has_tenant
     FROM pg_class c WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p')`,
    [DISTRIBUTION_COLUMN],
  );
  // Column names in key order (WITH ORDINALITY), so a foreign key's pairs line up.
  const { rows: constraints } = await q.query<ConstraintRow>(
    `SELECT c.relname AS table, con.conname AS name, con.contype AS type,
            ARRAY(SELECT a.attname::text FROM unnest(con.conkey) WITH ORDINALITY k(num, ord)
                  JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.num ORDER BY k.ord) AS columns,
            fc.relname AS ref_table,
            CASE WHEN con.contype = 'f' THEN
              ARRAY(SELECT a.attname::text FROM unnest(con.confkey) WITH ORDINALITY k(num, ord)
                    JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.num ORDER BY k.ord)
            END AS ref_columns
     FROM pg_constraint con
     JOIN pg_class c ON c.oid = con.conrelid
     LEFT JOIN pg_class fc ON fc.oid = con.confrelid
     WHERE c.relnamespace = current_schema()::regnamespace AND con.contype IN ('p', 'u', 'f', 'x')`,
  );
  // Unique indexes that back no constraint (CREATE UNIQUE INDEX); an expression column reads as null.
  const { rows: indexes } = await q.query<{ table: string; name: string; columns: (string | null)[] }>(
    `SELECT c.relname AS table, i.relname AS name,
            ARRAY(SELECT a.attname::text FROM unnest(x.indkey::int2[]) WITH ORDINALITY k(num, ord)
                  LEFT JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.num ORDER BY k.ord) AS columns
     FROM pg_index x
     JOIN pg_class c ON c.oid = x.indrelid
     JOIN pg_class i ON i.oid = x.indexrelid
     WHERE c.relnamespace = current_schema()::regnamespace AND x.indisunique
       AND NOT EXISTS (SELECT 1 FROM pg_constraint con WHERE con.conindid = x.indexrelid AND con.conrelid = x.indrelid)`,
  );

  const problems: string[] = [];
  const isTenantTable = (table: string) => !REFERENCE_TABLES.has(table) && !LOCAL_TABLES.has(table) && !OWN_DISTRIBUTION.has(table);
  for (const { table, has_tenant } of tables) {
    if (isTenantTable(table) && !has_tenant) problems.push(`${table}: no ${DISTRIBUTION_COLUMN} column and not a reference or local table`);
  }
  for (const con of constraints) {
    const own = OWN_DISTRIBUTION.get(con.table);
    if (own !== undefined) {
      if (con.type === 'f') problems.push(`${con.name}: ${con.table} is distributed by ${own} and may have no foreign key`);
      else if (!con.columns.includes(own)) problems.push(`${con.name}: key of ${con.table} (${con.columns.join(', ')}) lacks its distribution column ${own}`);
      continue;
    }
    if (con.type === 'f' && !isTenantTable(con.table)) {
      if (con.ref_table !== null && isTenantTable(con.ref_table)) problems.push(`${con.name}: reference table ${con.table} references tenant table ${con.ref_table}`);
      continue;
    }
    if (!isTenantTable(con.table)) continue;
    const at = con.columns.indexOf(DISTRIBUTION_COLUMN);
    const kind = { p: 'primary key', u: 'unique constraint', f: 'foreign key', x: 'exclusion constraint' }[con.type];
    if (at < 0) {
      problems.push(`${con.name}: ${kind} of ${con.table} (${con.columns.join(', ')}) lacks ${DISTRIBUTION_COLUMN}`);
      continue;
    }
    // Between two distributed tables the distribution columns must pair up (co-location).
    if (con.type === 'f' && con.ref_table !== null && isTenantTable(con.ref_table) && con.ref_columns?.[at] !== DISTRIBUTION_COLUMN) {
      problems.push(`${con.name}: foreign key ${con.table} -> ${con.ref_table} pairs ${DISTRIBUTION_COLUMN} with ${con.ref_columns?.[at]}`);
    }
  }
  for (const index of indexes) {
    const own = OWN_DISTRIBUTION.get(index.table);
    if (own !== undefined && !index.columns.includes(own)) problems.push(`${index.name}: unique index of ${index.table} lacks its distribution column ${own}`);
    if (isTenantTable(index.table) && !index.columns.includes(DISTRIBUTION_COLUMN)) {
      problems.push(`${index.name}: unique index of ${index.table} (${index.columns.map((c) => c ?? '<expression>').join(', ')}) lacks ${DISTRIBUTION_COLUMN}`);
    }
  }
  return problems.sort();
}

describe('Citus distribution rule (PostgreSQL catalog)', () => {
  let db: Database;
  before(async () => {
    db = await openTestStore('postgres');
  });
  after(() => db.close());

  it('every key and foreign key of every tenant table, after all migrations, includes tenant_id', async () => {
    assert.deepEqual(await distributionViolations(db), []);
  });

  it('the reference tables exist, and every other table but schema_migrations carries tenant_id', async () => {
    const { rows } = await db.query<{ table: string }>(
      `SELECT relname AS table FROM pg_class WHERE relnamespace = current_schema()::regnamespace AND relkind = 'r'`,
    );
    const names = new Set(rows.map((r) => r.table));
    for (const table of [...REFERENCE_TABLES, ...LOCAL_TABLES, ...OWN_DISTRIBUTION.keys()]) assert.ok(names.has(table), `${table} is listed but does not exist`);
    assert.ok(names.has('users') && names.has('queue') && names.has('events'));
  });

  it('reports each kind of violation (the check can fail)', async () => {
    await db.transaction(async (tx) => {
      await tx.exec(`
        CREATE TABLE rule_probe_global (id uuid NOT NULL, CONSTRAINT rule_probe_global_pk PRIMARY KEY (id));
        CREATE TABLE rule_probe (
          tenant_id uuid NOT NULL, id uuid NOT NULL, other_tenant uuid NOT NULL, code text NOT NULL, user_id uuid,
          CONSTRAINT rule_probe_pk PRIMARY KEY (id),
          CONSTRAINT rule_probe_code_uq UNIQUE (code),
          CONSTRAINT rule_probe_user_fk FOREIGN KEY (other_tenant, user_id) REFERENCES users (tenant_id, id),
          CONSTRAINT rule_probe_cross_fk FOREIGN KEY (tenant_id, user_id) REFERENCES users (id, tenant_id)
        );
        CREATE UNIQUE INDEX rule_probe_lower_code_ux ON rule_probe (lower(code));
        CREATE UNIQUE INDEX rule_probe_hits_ux ON rate_limit_hits (window_start, hits);
        ALTER TABLE api_keys ADD COLUMN probe_user uuid;
        ALTER TABLE api_keys ADD CONSTRAINT api_keys_probe_fk FOREIGN KEY (tenant_id, probe_user) REFERENCES users (tenant_id, id);`);
      assert.deepEqual(await distributionViolations(tx), [
        'api_keys_probe_fk: reference table api_keys references tenant table users',
        'rule_probe_code_uq: unique constraint of rule_probe (code) lacks tenant_id',
        'rule_probe_cross_fk: foreign key rule_probe -> users pairs tenant_id with id',
        'rule_probe_global: no tenant_id column and not a reference or local table',
        'rule_probe_global_pk: primary key of rule_probe_global (id) lacks tenant_id',
        'rule_probe_hits_ux: unique index of rate_limit_hits lacks its distribution column bucket',
        'rule_probe_lower_code_ux: unique index of rule_probe (<expression>) lacks tenant_id',
        'rule_probe_pk: primary key of rule_probe (id) lacks tenant_id',
        'rule_probe_user_fk: foreign key of rule_probe (other_tenant, user_id) lacks tenant_id',
      ]);
      // Roll the probe back: the schema is shared with the first case.
      throw new Rollback();
    }).catch((error: unknown) => {
      if (!(error instanceof Rollback)) throw error;
    });
  });
});

class Rollback extends Error {}
