/**
 * The engine alone over a test store, for tests that call use cases directly
 * (no HTTP): `test/engine/`. Each tenant made by `newTenant` comes with an
 * actor that stands for an API key of that tenant.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config.ts';
import type { Actor } from '../../src/domain/actor.ts';
import type { Engine } from '../../src/engine/engine.ts';
import { composeEngine } from '../../src/main.ts';
import type { Database, StoreKind } from '../../src/store/ports.ts';
import { openTestStore } from './stores.ts';

export interface TestEngine {
  readonly engine: Engine;
  readonly db: Database;
  /** A new tenant, and an actor for it (an API key's, through the native dialect). */
  newTenant(): Promise<{ tenantId: string; actor: Actor }>;
  close(): Promise<void>;
}

let counter = 0;

export async function startTestEngine(kind: StoreKind, env: Record<string, string> = {}): Promise<TestEngine> {
  const config = loadConfig({ DATA_DIR: mkdtempSync(join(tmpdir(), 'muster-engine-')), PASSWORD_HASH_THREADS: '2', ...env });
  const db = await openTestStore(kind);
  const { engine, release } = await composeEngine(config, db);
  return {
    engine,
    db,
    async newTenant() {
      counter += 1;
      const { tenant, adminKey } = await engine.tenants.createTenant(`engine-${process.pid}-${counter}`);
      const actor: Actor = {
        tenantId: tenant.id,
        principal: { kind: 'api_key', keyId: adminKey.info.id, prefix: adminKey.info.prefix },
        dialect: 'native',
        requestId: `test-${counter}`,
      };
      return { tenantId: tenant.id, actor };
    },
    async close() {
      await release();
      await db.close();
    },
  };
}
