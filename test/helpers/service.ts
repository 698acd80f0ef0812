/**
 * An in-process service over a test store, driven through Fastify's inject (the
 * full HTTP pipeline: parsing, auth hooks, validation, serialisation, without a
 * socket). Log lines are captured so tests can read them.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { loadConfig } from '../../src/config.ts';
import { composeService, type Service } from '../../src/main.ts';
import type { Database, StoreKind } from '../../src/store/ports.ts';
import { openTestStore } from './stores.ts';

export interface TestService extends Service {
  /** Every JSON log line written so far. */
  readonly logs: string[];
  /** Creates a tenant and returns its id and admin key. */
  newTenant(name?: string): Promise<{ tenantId: string; adminKey: string }>;
  /** Sends a request with `key` as bearer token; `body` objects are sent as JSON. */
  call(method: string, url: string, options?: CallOptions): Promise<CallResult>;
}

export interface CallOptions {
  readonly key?: string;
  readonly body?: unknown;
  /** Sent as is (for malformed bodies). */
  readonly rawBody?: string;
  readonly headers?: Record<string, string>;
}

export interface CallResult {
  readonly status: number;
  readonly headers: Record<string, string | string[] | number | undefined>;
  readonly body: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- tests assert on arbitrary JSON
  readonly text: string;
}

let tenantCounter = 0;

/** A service on a fresh test store of `kind`, or on `options.db` when given (a store the caller opened, e.g. a severable one). */
export async function startTestService(kind: StoreKind, env: Record<string, string> = {}, options: { db?: Database } = {}): Promise<TestService> {
  const config = loadConfig({
    DATA_DIR: mkdtempSync(join(tmpdir(), 'muster-test-')),
    LOG_LEVEL: 'info',
    PASSWORD_HASH_THREADS: '2',
    ...env,
  });
  const db = options.db ?? (await openTestStore(kind));
  const logs: string[] = [];
  const logStream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logs.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  const service = await composeService(config, db, logStream);
  await service.app.ready();

  return {
    ...service,
    logs,
    async newTenant(name) {
      tenantCounter += 1;
      const { tenant, adminKey } = await service.engine.tenants.createTenant(name ?? `tenant-${process.pid}-${tenantCounter}`);
      return { tenantId: tenant.id, adminKey: adminKey.key };
    },
    async call(method, url, options = {}) {
      const headers: Record<string, string> = { ...options.headers };
      if (options.key !== undefined) headers.authorization = `Bearer ${options.key}`;
      let payload: string | undefined;
      if (options.rawBody !== undefined) payload = options.rawBody;
      else if (options.body !== undefined) payload = JSON.stringify(options.body);
      if (payload !== undefined && headers['content-type'] === undefined) headers['content-type'] = 'application/json';
      const response = await service.app.inject({
        method: method as 'GET',
        url,
        headers,
        ...(payload !== undefined && { payload }),
      });
      let body: unknown;
      try {
        body = response.body ? JSON.parse(response.body) : undefined;
      } catch {
        body = undefined;
      }
      return { status: response.statusCode, headers: response.headers, body, text: response.body };
    },
  };
}
