/**
 * OpenTelemetry tracing: request -> engine -> store spans, exported over
 * OTLP/HTTP in JSON (the official SDK: sdk-trace-node, exporter-trace-otlp-http;
 * pure JavaScript). main.ts imports this module only when an OTLP endpoint is
 * configured (config.ts TracingConfig); without one nothing of it is loaded.
 *
 * Spans and what they carry (never a parameter, a body, a header, a URL or a
 * credential):
 * - one SERVER span per HTTP request, `<METHOD> <route template>`:
 *   `http.request.method`, `http.route`, `http.response.status_code`,
 *   `muster.dialect`; a client's W3C `traceparent` is continued;
 * - one span per engine use case, `engine.<service>.<use case>`:
 *   `muster.tenant.id`, `muster.actor.dialect`, and for createUsers
 *   `muster.batch.size`, `.mode`, `.on_conflict`, `.dry_run`, `.created`,
 *   `.failed`; a thrown error sets `error.type` (its stable code);
 * - one span per store transaction (`db.transaction`) and statement (`db.query`):
 *   `db.system.name`, `db.operation.name` (the statement kind: SELECT,
 *   INSERT, ...), `db.collection.name` where the statement names its table
 *   plainly, `muster.store`.
 *
 * Engine and store spans start only inside a trace (a request's, an import
 * job's), so idle queue polling exports nothing; an import job's attempt
 * (`imports.runClaimed`, run by a worker) starts a trace of its own.
 */
import type { IncomingMessage, RequestListener } from 'node:http';
import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Attributes, type Span, type Tracer } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import type { TracingConfig } from '../config.ts';
import type { Database, Queryable } from '../store/ports.ts';
import type { AnsweredRequest, RequestTracing } from './ports.ts';

export interface Tracing {
  readonly requests: RequestTracing;
  /** The store, with a span per transaction and per statement. */
  database(db: Database): Database;
  /** The engine, with a span per use case (every function of every service, and the engine's own). */
  engine<E extends object>(engine: E): E;
  /** Exports the spans still buffered, then stops. */
  shutdown(): Promise<void>;
}

/** Use cases that start a trace of their own when no span is active: work a worker runs. */
const TRACE_ROOTS = new Set(['engine.imports.runClaimed']);

type Extractor = (args: readonly unknown[], result?: unknown) => Attributes;

/** Attributes of particular use cases, from their arguments (before) and their result (after). */
const USE_CASE_ATTRIBUTES: Record<string, { before?: Extractor; after?: Extractor }> = {
  'engine.provisioning.createUsers': {
    before: (args) => {
      const policy = args[3] as { mode?: string; onConflict?: string; dryRun?: boolean } | undefined;
      return {
        'muster.batch.size': (args[2] as readonly unknown[] | undefined)?.length ?? 0,
        ...(policy?.mode && { 'muster.batch.mode': policy.mode }),
        ...(policy?.onConflict && { 'muster.batch.on_conflict': policy.onConflict }),
        'muster.batch.dry_run': policy?.dryRun === true,
      };
    },
    after: (_args, result) => {
      const summary = (result as { summary?: { created?: number; failed?: number } } | undefined)?.summary;
      return { 'muster.batch.created': summary?.created ?? 0, 'muster.batch.failed': summary?.failed ?? 0 };
    },
  },
};

/** Tenant and dialect of a use case's actor (its first argument), when it has one. */
function actorAttributes(first: unknown): Attributes {
  if (typeof first !== 'object' || first === null) return {};
  const { tenantId, dialect } = first as { tenantId?: unknown; dialect?: unknown };
  if (typeof tenantId !== 'string') return {};
  return { 'muster.tenant.id': tenantId, ...(typeof dialect === 'string' && { 'muster.actor.dialect': dialect }) };
}

/** A thrown error's stable code (MusterError) or class name; never its message, which may quote input. */
function errorType(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : error instanceof Error ? error.name : 'unknown';
}

const STATEMENT_KIND = /^\s*(\w+)/;
const STATEMENT_TABLE = /^\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+([a-z_][\w]*)|^\s*SELECT\b[\s\S]*?\bFROM\s+([a-z_][\w]*)/i;

/** The statement's kind and, where it names one plainly, its table; nothing of its values. */
function statementAttributes(sql: string): Attributes {
  const kind = STATEMENT_KIND.exec(sql)?.[1]?.toUpperCase() ?? 'UNKNOWN';
  const table = STATEMENT_TABLE.exec(sql);
  const collection = table?.[1] ?? table?.[2];
  return { 'db.operation.name': kind, ...(collection && { 'db.collection.name': collection }) };
}

export function startTracing(config: TracingConfig, version: string): Tracing {
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': config.serviceName, 'service.version': version }),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: config.tracesUrl }), { scheduledDelayMillis: config.exportDelayMs })],
  });
  // Installs the AsyncLocalStorage context manager and the W3C propagator.
  provider.register();
  const tracer: Tracer = provider.getTracer('muster', version);

  /**
   * Runs `work` in a new active span that ends when it returns or, for a
   * promise, settles (a synchronous use case stays synchronous); `after` adds
   * attributes from its result.
   */
  function inSpan<T>(name: string, attributes: Attributes, work: () => T, after?: (result: Awaited<T>) => Attributes, kind = SpanKind.INTERNAL): T {
    return tracer.startActiveSpan(name, { kind, attributes }, (span: Span) => {
      const failed = (error: unknown): never => {
        span.setAttribute('error.type', errorType(error));
        span.setStatus({ code: SpanStatusCode.ERROR });
        span.end();
        throw error;
      };
      const succeeded = (result: Awaited<T>) => {
        if (after) span.setAttributes(after(result));
        span.end();
        return result;
      };
      let result: T;
      try {
        result = work();
      } catch (error) {
        return failed(error);
      }
      if (result instanceof Promise) return result.then(succeeded, failed) as T;
      return succeeded(result as Awaited<T>);
    });
  }

  const inTrace = () => trace.getSpan(context.active()) !== undefined;

  function tracedUseCase(name: string, fn: (...args: unknown[]) => unknown, self: unknown): (...args: unknown[]) => unknown {
    const extra = USE_CASE_ATTRIBUTES[name];
    return (...args) => {
      if (!inTrace() && !TRACE_ROOTS.has(name)) return fn.apply(self, args);
      const attributes = { ...actorAttributes(args[0]), ...extra?.before?.(args) };
      return inSpan(name, attributes, () => fn.apply(self, args), extra?.after && ((result) => extra.after!(args, result)));
    };
  }

  function tracedQueryable(inner: Queryable, store: string): Queryable {
    const base = { 'db.system.name': 'postgresql', 'muster.store': store };
    return {
      query: (sql, params) => (inTrace() ? inSpan('db.query', { ...base, ...statementAttributes(sql) }, () => inner.query(sql, params), undefined, SpanKind.CLIENT) : inner.query(sql, params)),
      exec: (sql) => (inTrace() ? inSpan('db.exec', { ...base, ...statementAttributes(sql) }, () => inner.exec(sql), undefined, SpanKind.CLIENT) : inner.exec(sql)),
    };
  }

  /** Open request spans, by the request they belong to. */
  const open = new WeakMap<IncomingMessage, Span>();
  const endRequest = (request: IncomingMessage) => {
    open.get(request)?.end();
    open.delete(request);
  };

  return {
    requests: {
      wrapListener(listener: RequestListener): RequestListener {
        return (request, response) => {
          const parent = propagation.extract(ROOT_CONTEXT, request.headers);
          const span = tracer.startSpan(request.method ?? 'HTTP', { kind: SpanKind.SERVER, attributes: { 'http.request.method': request.method ?? 'unknown' } }, parent);
          open.set(request, span);
          response.once('close', () => endRequest(request));
          const active = trace.setSpan(parent, span);
          // The body arrives in the connection's events: bind them so the handler runs in the request's context.
          context.bind(active, request);
          context.bind(active, response);
          context.with(active, () => listener(request, response));
        };
      },
      answer(request: IncomingMessage, answered: AnsweredRequest): void {
        const span = open.get(request);
        if (!span) return;
        span.updateName(`${answered.method} ${answered.route}`);
        span.setAttributes({ 'http.route': answered.route, 'http.response.status_code': answered.status, 'muster.dialect': answered.dialect });
        if (answered.status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      },
    },

    database(db: Database): Database {
      const traced = tracedQueryable(db, db.kind);
      return {
        kind: db.kind,
        query: traced.query,
        exec: traced.exec,
        transaction: (fn) =>
          inTrace()
            ? inSpan('db.transaction', { 'db.system.name': 'postgresql', 'muster.store': db.kind }, () => db.transaction((tx) => fn(tracedQueryable(tx, db.kind))))
            : db.transaction(fn),
        close: () => db.close(),
        ...(db.poolStats && { poolStats: db.poolStats.bind(db) }),
      };
    },

    engine<E extends object>(engine: E): E {
      const wrapped: Record<string, unknown> = {};
      for (const [name, value] of Object.entries(engine)) {
        if (typeof value === 'function') {
          wrapped[name] = tracedUseCase(`engine.${name}`, value as (...args: unknown[]) => unknown, engine);
        } else if (typeof value === 'object' && value !== null) {
          wrapped[name] = Object.fromEntries(
            Object.entries(value).map(([useCase, fn]) => [useCase, typeof fn === 'function' ? tracedUseCase(`engine.${name}.${useCase}`, fn as (...args: unknown[]) => unknown, value) : fn]),
          );
        } else {
          wrapped[name] = value;
        }
      }
      return wrapped as E;
    },

    shutdown: () => provider.shutdown(),
  };
}
