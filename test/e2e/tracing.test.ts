/**
 * OpenTelemetry tracing end to end: the service runs as its own process with
 * OTEL_EXPORTER_OTLP_ENDPOINT pointed at a real OTLP/HTTP receiver (a small
 * HTTP server here that takes the exporter's JSON POSTs to /v1/traces). One
 * batch request must arrive as one trace, continuing the client's
 * `traceparent`: the request's SERVER span -> the createUsers engine span ->
 * the store's transaction -> its INSERT, each the parent of the next, with
 * their attributes; nothing of the request's values (password, usernames,
 * the API key) in any exported byte; and nothing from the idle queue workers.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { describe, it } from 'node:test';
import { processStoreEnv } from '../helpers/stores.ts';
import { startProcess, waitFor } from '../helpers/process.ts';

/** OTLP/JSON as the exporter sends it (the fields this test reads). */
interface OtlpValue {
  stringValue?: string;
  intValue?: number | string;
  boolValue?: boolean;
}
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes?: { key: string; value: OtlpValue }[];
}
interface OtlpExport {
  resourceSpans: { resource: { attributes: { key: string; value: OtlpValue }[] }; scopeSpans: { spans: OtlpSpan[] }[] }[];
}

/** A received span, its attributes as plain values, and its resource's. */
interface Received {
  readonly span: OtlpSpan;
  readonly attributes: Record<string, string | number | boolean | undefined>;
  readonly resource: Record<string, string | number | boolean | undefined>;
}

const plain = (list: { key: string; value: OtlpValue }[] = []) =>
  Object.fromEntries(list.map(({ key, value }) => [key, value.stringValue ?? (value.intValue !== undefined ? Number(value.intValue) : value.boolValue)]));

/** An OTLP/HTTP trace receiver on a loopback port: every POST /v1/traces body, raw and decoded. */
async function startOtlpReceiver() {
  const bodies: string[] = [];
  const spans: Received[] = [];
  const paths: string[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      paths.push(`${request.method} ${request.url} ${request.headers['content-type']}`);
      const raw = Buffer.concat(chunks);
      const text = (request.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw).toString('utf8');
      bodies.push(text);
      const decoded = JSON.parse(text) as OtlpExport;
      for (const { resource, scopeSpans } of decoded.resourceSpans) {
        for (const scope of scopeSpans) for (const span of scope.spans) spans.push({ span, attributes: plain(span.attributes), resource: plain(resource.attributes) });
      }
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}`, bodies, spans, paths, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

const SPAN_KIND_SERVER = 2;
const SPAN_KIND_CLIENT = 3;

for (const kind of ['postgres', 'embedded'] as const) {
  describe(`OpenTelemetry traces over OTLP/HTTP: ${kind}`, () => {
    it('exports request -> engine -> store spans of a batch, linked and attributed, with no credential or value', async () => {
      const receiver = await startOtlpReceiver();
      const { env: storeVars, cleanup } = await processStoreEnv(kind, 'tracing');
      const adminKey = `tracing-${randomBytes(24).toString('hex')}`;
      const service = await startProcess({
        ...storeVars,
        MUSTER_ADMIN_KEY: adminKey,
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OTEL_SERVICE_NAME: 'muster-trace-test',
        OTEL_BSP_SCHEDULE_DELAY: '100',
        // Idle workers poll often: none of it may become a trace.
        OUTBOX_POLL_MS: '50',
      }, 90_000);
      try {
        const password = `pw-${randomBytes(12).toString('hex')}`;
        const usernames = ['trace-ada', 'trace-grace', 'trace-edsger'];
        const traceId = randomBytes(16).toString('hex');
        const clientSpanId = randomBytes(8).toString('hex');
        const response = await fetch(`${service.url}/v1/directories/default/users/batch`, {
          method: 'POST',
          headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json', traceparent: `00-${traceId}-${clientSpanId}-01` },
          body: JSON.stringify({ users: usernames.map((username, i) => ({ username, email: `${username}@example.com`, ...(i === 0 && { password }) })) }),
        });
        assert.equal(response.status, 200, await response.text());

        const named = (name: string) => receiver.spans.filter((r) => r.span.name === name);
        const route = '/v1/directories/:directory/users/batch';
        await waitFor('the batch request\'s spans to arrive', () => named(`POST ${route}`).length === 1 && named('engine.provisioning.createUsers').length === 1, 20_000);
        // Spans end child first; give the last export a moment, then read everything that came.
        await new Promise((resolve) => setTimeout(resolve, 500));
        assert.ok(receiver.paths.every((p) => p === 'POST /v1/traces application/json'), `OTLP/HTTP JSON to /v1/traces: ${receiver.paths.join(', ')}`);

        const [server] = named(`POST ${route}`);
        assert.equal(server!.span.traceId, traceId, 'the client\'s traceparent is continued');
        assert.equal(server!.span.parentSpanId, clientSpanId);
        assert.equal(server!.span.kind, SPAN_KIND_SERVER);
        assert.equal(server!.resource['service.name'], 'muster-trace-test');
        assert.equal(server!.attributes['http.route'], route);
        assert.equal(server!.attributes['http.request.method'], 'POST');
        assert.equal(server!.attributes['http.response.status_code'], 200);
        assert.equal(server!.attributes['muster.dialect'], 'native');

        const [engine] = named('engine.provisioning.createUsers');
        assert.equal(engine!.span.traceId, traceId);
        assert.equal(engine!.span.parentSpanId, server!.span.spanId, 'the engine span is the request\'s child');
        assert.equal(engine!.attributes['muster.batch.size'], 3);
        assert.equal(engine!.attributes['muster.batch.created'], 3);
        assert.equal(engine!.attributes['muster.batch.mode'], 'atomic', 'the native default');
        assert.equal(engine!.attributes['muster.actor.dialect'], 'native');
        assert.match(String(engine!.attributes['muster.tenant.id']), /^[0-9a-f-]{36}$/);

        const transactions = named('db.transaction').filter((r) => r.span.parentSpanId === engine!.span.spanId);
        assert.ok(transactions.length >= 1, 'the batch\'s transaction is the engine span\'s child');
        const inserts = receiver.spans.filter(
          (r) => r.span.name === 'db.query' && r.attributes['db.operation.name'] === 'INSERT' && r.attributes['db.collection.name'] === 'users',
        );
        const insert = inserts.find((r) => transactions.some((t) => t.span.spanId === r.span.parentSpanId));
        assert.ok(insert, `an INSERT INTO users inside the transaction (INSERTs into users: ${inserts.length})`);
        assert.equal(insert.span.kind, SPAN_KIND_CLIENT);
        assert.equal(insert.attributes['db.system.name'], 'postgresql');
        assert.equal(insert.attributes['muster.store'], kind);

        // Everything exported belongs to this one trace: idle polling made no span.
        const traces = new Set(receiver.spans.map((r) => r.span.traceId));
        assert.deepEqual([...traces], [traceId], `spans of other traces: ${receiver.spans.filter((r) => r.span.traceId !== traceId).map((r) => r.span.name).join(', ')}`);
        const exported = receiver.bodies.join('\n');
        for (const secret of [password, adminKey, ...usernames]) assert.ok(!exported.includes(secret), `no exported byte carries "${secret.slice(0, 12)}..."`);
      } finally {
        await service.stop();
        await receiver.close();
        await cleanup();
      }
    });
  });
}
