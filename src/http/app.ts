/**
 * Builds the HTTP server: logging with request ids, validation, the OpenAPI
 * document and docs page, health endpoints, and one plugin per dialect mounted
 * by prefix. The root renders errors in the native shape; each dialect plugin
 * overrides that with its own. Errors raised before routing (bad URLs, oversized
 * headers) take the shape of the dialect whose prefix the URL has
 * (DIALECT_SHAPES). One input guard (inputGuard.ts) keeps text PostgreSQL
 * cannot store and over-deep JSON away from every route.
 */
import { randomUUID } from 'node:crypto';
import type { Writable } from 'node:stream';
import Fastify, { LogController, type FastifyInstance, type FastifyRequest } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { ERROR_CODES, MusterError } from '../domain/errors.ts';
import type { LogLevel, ScimConfig } from '../config.ts';
import type { JwtAuthority } from '../crypto/jwt.ts';
import type { Engine } from '../engine/engine.ts';
import { preRoutingErrorHandlers, useErrorShape, type DialectShape, type ErrorRenderer } from './errors.ts';
import { renderGcoreError } from './gcore/errors.ts';
import { gcorePlugin } from './gcore/index.ts';
import { renderHuaweiError } from './huawei/errors.ts';
import { huaweiPlugin } from './huawei/index.ts';
import { alloyPlugin, renderAlloyError } from './alloy/index.ts';
import { renderRoyaltiError, royaltiPlugin } from './royalti/index.ts';
import { renderScimError, scimPlugins } from './scim/index.ts';
import { useInputGuard } from './inputGuard.ts';
import { addExamples } from './openapiExamples.ts';
import { invitePagePlugin } from './invite/index.ts';
import { consolePlugin } from './console/index.ts';
import { nativePlugin } from './native/index.ts';
import { useRateLimits } from './rateLimit.ts';
import { useMetrics } from './metrics.ts';
import type { Metrics } from '../metrics/metrics.ts';
import type { RequestTracing } from '../observability/ports.ts';
import { tracedServerFactory, useRequestTracing } from './tracing.ts';
import type { MailFolder } from '../mail/transport.ts';
import { renderError } from './native/render.ts';
import { validatorCompiler } from './validation.ts';

export interface AppOptions {
  readonly engine: Engine;
  /** Issues and checks JWTs (POST /v1/tokens, /.well-known/jwks.json, the Royalti dialect). */
  readonly jwt: JwtAuthority;
  /** The .eml files, when mail is written locally (no SMTP). */
  readonly mailFolder: MailFolder | undefined;
  readonly bodyLimitBytes: number;
  readonly batchMaxItems: number;
  /** The service's public address (links, registry URLs). */
  readonly publicUrl: string;
  /** The SCIM dialect's limits (SCIM_MAX_RESULTS). */
  readonly scim: ScimConfig;
  readonly logLevel: LogLevel;
  /** Where JSON log lines go; stdout by default (tests capture them). */
  readonly logStream?: Writable;
  readonly version: string;
  /** Request metrics and GET /metrics (METRICS_TOKEN or the operator key); none without. */
  readonly metrics?: { readonly metrics: Metrics; readonly token: string | undefined };
  /** A span per request (when OTLP tracing is configured); none without. */
  readonly tracing?: RequestTracing;
}

const REQUEST_ID = /^[\w.:-]{1,128}$/;

/**
 * Longest path parameter the router accepts (characters as sent); a longer one
 * is a 414 `request.uri_too_long`. Every parameter's own limit (an Alloy
 * username of 256 characters, percent-encoded) fits well below it.
 */
export const PATH_PARAM_MAX_LENGTH = 2048;

/** The native shape, for `/v1` and every route outside a dialect's prefix. */
const renderNativeError: ErrorRenderer = (error) => ({ status: error.status, body: renderError(error) });

/**
 * Where each dialect is mounted and its error shape, for errors raised before
 * routing (bad URLs, oversized headers): they are answered in the shape of the
 * dialect whose prefix the URL has, anything else in the native shape.
 */
const DIALECT_SHAPES: readonly DialectShape[] = [
  { prefix: '/cloud/v1/registries', render: renderGcoreError },
  { prefix: '/v2', render: renderHuaweiError },
  { prefix: '/users', render: renderAlloyError },
  { prefix: '/user', render: renderRoyaltiError },
  { prefix: '/scim/v2', render: renderScimError },
];

/**
 * Log redaction: credentials never reach a log line. Request logs carry the
 * method, path and ids only; bodies and headers are never logged, and these
 * paths are censored should anything attach them.
 */
const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers["x-auth-token"]',
  'req.headers.cookie',
  '*.password',
  '*.secret',
  '*.key',
  '*.token',
];

function describeErrorCodes(): string {
  const rows = Object.entries(ERROR_CODES).map(([code, spec]) => `| \`${code}\` | ${spec.status} | ${spec.category} | ${spec.description} |`);
  return ['| code | status | category | meaning |', '|---|---|---|---|', ...rows].join('\n');
}

/**
 * `Content-Type: application/json` with an empty body is no body, in every
 * dialect: clients (Gcore's SDKs, curl lines copied from the README) send that
 * header on DELETE and on body-less POSTs (`.../revoke`, `refresh_secret`).
 * A route that takes no body accepts such a request; a route with a body schema
 * answers `request.body_required` (see `validatorCompiler`), in its dialect's
 * shape. Dialect plugins inherit this parser; one that needs the raw bytes
 * (Huawei's signatures) replaces it and keeps the same rule.
 */
function acceptEmptyJsonBodies(app: FastifyInstance): void {
  const json = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (body === '') done(null, undefined);
    else void json(request, body as string, done); // the default parser answers through done()
  });
}

export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const preRouting = preRoutingErrorHandlers(DIALECT_SHAPES, renderNativeError);
  const tracing = options.tracing;
  const app = Fastify({
    frameworkErrors: preRouting.frameworkErrors,
    clientErrorHandler: preRouting.clientErrorHandler,
    logger: {
      level: options.logLevel,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      serializers: {
        // No query strings, and no invitation tokens: they are credentials.
        req: (req: FastifyRequest) => ({
          method: req.method,
          url: req.url.replace(/\?.*$/, '').replace(/^\/invite\/[^/]+/, '/invite/[redacted]'),
          remoteAddress: req.ip,
        }),
        // Driver errors carry the failed statement's parameters; log only what identifies the failure.
        err: (err: Error & { code?: unknown; constraint?: unknown }) => ({
          type: err.name,
          message: err.message,
          code: err.code,
          constraint: err.constraint,
          stack: err.stack ?? '',
        }),
      },
      ...(options.logStream && { stream: options.logStream }),
    },
    bodyLimit: options.bodyLimitBytes,
    logController: new LogController({ requestIdLogLabel: 'requestId' }),
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: PATH_PARAM_MAX_LENGTH },
    ...(tracing && { serverFactory: tracedServerFactory(tracing) }),
  });
  app.setValidatorCompiler(validatorCompiler());
  acceptEmptyJsonBodies(app);

  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });

  useErrorShape(app, renderNativeError);
  useInputGuard(app);

  await app.register(swagger, {
    transformObject: (documentObject) => addExamples('openapiObject' in documentObject ? documentObject.openapiObject : documentObject.swaggerObject),
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'muster',
        version: options.version,
        description:
          'Self-hosted user provisioning. Authenticate with `Authorization: Bearer <api key>`.\n\n' +
          `Limits on this server: request bodies up to ${options.bodyLimitBytes} bytes (BODY_LIMIT_BYTES; more is 413 \`request.too_large\`), ` +
          `batches up to ${options.batchMaxItems} users (BATCH_MAX_ITEMS; more is 413 \`batch.too_large\`).\n\n` +
          'Every error has the shape `{"error": {"code", "message", "details"?}}` with one of these stable codes:\n\n' +
          describeErrorCodes(),
        // An OpenAPI extension field, for tools: the same limits, machine-readable.
        ...({ 'x-muster-limits': { bodyLimitBytes: options.bodyLimitBytes, batchMaxItems: options.batchMaxItems } } as object),
      },
      components: {
        securitySchemes: {
          apiKey: { type: 'http', scheme: 'bearer', description: 'An API key (mst_...).' },
          operatorKey: { type: 'http', scheme: 'bearer', description: 'The operator key (MUSTER_OPERATOR_KEY, else DATA_DIR/operator.key): tenants and their keys, never a tenant\'s data.' },
          gcoreApiKey: { type: 'apiKey', in: 'header', name: 'Authorization', description: 'Gcore dialect: `APIKey <muster API key>` (scheme in any letter case).' },
          huaweiToken: { type: 'apiKey', in: 'header', name: 'X-Auth-Token', description: 'Huawei dialect: a muster API key.' },
          royaltiJwt: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'Royalti dialect: a JWT from POST /v1/tokens (or a trusted external issuer).' },
          scimBearer: { type: 'http', scheme: 'bearer', description: 'SCIM dialect: a muster API key or a JWT from POST /v1/tokens.' },
          huaweiSignature: { type: 'apiKey', in: 'header', name: 'Authorization', description: 'Huawei dialect: `SDK-HMAC-SHA256 Access=<AK>, SignedHeaders=..., Signature=...` with X-Sdk-Date, by a muster access key (POST /v1/access-keys).' },
        },
      },
      security: [{ apiKey: [] }],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  app.get(
    '/.well-known/jwks.json',
    { schema: { tags: ['operations'], summary: 'The public keys that sign muster\'s tokens (JWKS)', security: [] } },
    async () => options.jwt.jwks(),
  );
  app.get('/healthz', { schema: { tags: ['operations'], summary: 'Liveness: the process answers', security: [] } }, async () => ({
    status: 'ok',
  }));
  app.get(
    '/readyz',
    { schema: { tags: ['operations'], summary: 'Readiness: the store answers', security: [] } },
    async (_request, reply) => {
      if (await options.engine.isReady()) return { status: 'ready' };
      return reply.code(503).send(renderError(new MusterError('service.unavailable')));
    },
  );

  useRateLimits(app, options.engine);
  if (options.metrics) useMetrics(app, options.engine, options.metrics.metrics, options.metrics.token);
  if (tracing) useRequestTracing(app, tracing);
  await app.register(nativePlugin(options.engine, options.jwt, options.mailFolder), { prefix: '/v1' });
  await app.register(invitePagePlugin(options.engine));
  await app.register(consolePlugin(options.engine, { secureCookie: options.publicUrl.startsWith('https://') }));
  await app.register(gcorePlugin(options.engine, new URL(options.publicUrl).host), { prefix: '/cloud/v1/registries' });
  await app.register(huaweiPlugin(options.engine), { prefix: '/v2' });
  await app.register(alloyPlugin(options.engine), { prefix: '/users' });
  await app.register(royaltiPlugin(options.engine, options.jwt), { prefix: '/user' });
  await scimPlugins(app, { engine: options.engine, jwt: options.jwt, limits: { ...options.scim, bodyLimitBytes: options.bodyLimitBytes, batchMaxItems: options.batchMaxItems }, publicUrl: options.publicUrl });
  return app;
}
