/**
 * SQL migrations: `migrations/NNNN_name.sql`, applied in order, each in its own
 * transaction, recorded in `schema_migrations`. Safe to run from several
 * processes at once: a transaction-scoped advisory lock serialises them and each
 * re-reads what is applied after taking it. Applied files must never change;
 * a change is a new file.
 */
import { readdirSync, readFileSync } from 'node:fs';
import type { Database } from './ports.ts';

const MIGRATIONS_DIR = new URL('./migrations/', import.meta.url);
/** Arbitrary constant identifying muster's migration lock. */
const MIGRATION_LOCK_ID = 7_240_419_001;

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

export function loadMigrations(): Migration[] {
  return readdirSync(MIGRATIONS_DIR)
    .filter((file) => /^\d{4}_[a-z0-9_]+\.sql$/.test(file))
    .sort()
    .map((file) => ({
      version: Number(file.slice(0, 4)),
      name: file.slice(5, -4),
      sql: readFileSync(new URL(file, MIGRATIONS_DIR), 'utf8'),
    }));
}

/** Applies every pending migration; returns the names of those it applied. */
export async function migrate(db: Database): Promise<string[]> {
  await db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_ID]);
    await tx.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version     integer     NOT NULL,
      name        text        NOT NULL,
      applied_at  timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT schema_migrations_pk PRIMARY KEY (version)
    )`);
  });
  const applied: string[] = [];
  for (const migration of loadMigrations()) {
    const done = await db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_ID]);
      const existing = await tx.query('SELECT 1 FROM schema_migrations WHERE version = $1', [migration.version]);
      if (existing.rowCount > 0) return false;
      await tx.exec(migration.sql);
      await tx.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [migration.version, migration.name]);
      return true;
    });
    if (done) applied.push(`${String(migration.version).padStart(4, '0')}_${migration.name}`);
  }
  return applied;
}
