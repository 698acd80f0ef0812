/**
 * An in-process service over a test store, driven by one of two transports:
 * - `inject`: Fastify's inject (the full HTTP pipeline: parsing, auth hooks,
 *   validation, serialisation, without a socket);
 * - `socket`: the server listening on 127.0.0.1 and real HTTP/1.1 requests
 *   (node:http), so wire details travel as a client sends them: the Host
 *   header, Content-Length, a JSON content type with no body.
 * Log lines are captured so tests can read them.
 */
import { mkdtempSync } from 'node:fs';
import { Agent, request as httpRequest, type OutgoingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { loadConfig } from '../../src/config.ts';
import { composeService, type Service } from '../../src/main.ts';
import type { Database, StoreKind } from '../../src/store/ports.ts';
import { openTestStore } from './stores.ts';

export const TRANSPORTS = ['inject', 'socket'] as const;
export type Transport = (typeof TRANSPORTS)[number];

/** A request exactly as given: no header is added but Content-Length on a socket. */
export interface RawRequest {
  readonly method: string;
  readonly url: string;
  readonly headers?: Record<string, string>;
  readonly payload?: string | Buffer;
}

export interface TestService extends Service {
  readonly transport: Transport;
  /** Every JSON log line written so far. */
  readonly logs: string[];
  /** Creates a tenant and returns its id and admin key. */
  newTenant(name?: string): Promise<{ tenantId: string; adminKey: string }>;
  /** Sends a request with `key` as bearer token; `body` objects are sent as JSON. */
  call(method: string, url: string, options?: CallOptions): Promise<CallResult>;
  /** Sends a request as given, over the service's transport. */
  request(request: RawRequest): Promise<CallResult>;
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

function resultOf(status: number, headers: CallResult['headers'], text: string): CallResult {
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  return { status, headers, body, text };
}

/** Methods whose requests carry no Content-Length when they have no body (as Node's and most clients' HTTP stacks send them). */
const BODILESS = new Set(['GET', 'HEAD', 'DELETE', 'OPTIONS']);

function overSocket(port: number, agent: Agent, raw: RawRequest): Promise<CallResult> {
  const payload = raw.payload === undefined ? undefined : Buffer.from(raw.payload);
  const headers: OutgoingHttpHeaders = { ...raw.headers };
  if (payload !== undefined || !BODILESS.has(raw.method)) headers['content-length'] = String(payload?.length ?? 0);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, agent, method: raw.method, path: raw.url, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve(resultOf(res.statusCode ?? 0, res.headers, Buffer.concat(chunks).toString('utf8'))));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(payload);
  });
}

/** A service on a fresh test store of `kind` (or on `options.db`, a store the caller opened, e.g. a severable one), over `options.transport`. */
export async function startTestService(
  kind: StoreKind,
  env: Record<string, string> = {},
  options: { transport?: Transport; db?: Database } = {},
): Promise<TestService> {
  const transport = options.transport ?? 'inject';
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
  let request: (raw: RawRequest) => Promise<CallResult>;
  let close = () => service.close();
  if (transport === 'socket') {
    await service.app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = service.app.server.address() as AddressInfo;
    const agent = new Agent({ keepAlive: true });
    request = (raw) => overSocket(port, agent, raw);
    close = async () => {
      agent.destroy();
      await service.close();
    };
  } else {
    request = async (raw) => {
      const response = await service.app.inject({
        method: raw.method as 'GET',
        url: raw.url,
        headers: raw.headers ?? {},
        ...(raw.payload !== undefined && { payload: raw.payload }),
      });
      return resultOf(response.statusCode, response.headers, response.body);
    };
  }

  return {
    ...service,
    transport,
    close,
    request,
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
      return request({ method, url, headers, ...(payload !== undefined && { payload }) });
    },
  };
}
