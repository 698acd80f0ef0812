/**
 * muster's Prometheus metrics, through prom-client (the Node client the
 * Prometheus docs list; it writes the text exposition format and keeps
 * histograms right), in one registry per service so tests can run several.
 *
 * Recorded as things happen: HTTP requests by route, method, dialect and
 * status, with a latency histogram; users created (from committed
 * `user.created` events); batch sizes; import rows (each committed chunk's,
 * `recordImportRows`, the engine's `onImportRows`). Read at scrape time
 * (collect, from the engine's snapshot, whose stored figures are cached for
 * a few seconds): queue depth, oldest pending age and dead items by kind,
 * import jobs by status, the hashing pool's queue, the store's connections.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { DomainEvent } from '../domain/events.ts';
import type { OperationalSnapshot } from '../engine/observability.ts';

export const METRICS_CONTENT_TYPE = Registry.PROMETHEUS_CONTENT_TYPE;

export interface MetricsOptions {
  /** Read at each scrape; a failure leaves those gauges at their last values. */
  readonly snapshot: () => Promise<OperationalSnapshot>;
}

export function createMetrics(options: MetricsOptions) {
  const registry = new Registry();
  // prom-client's own names start process_ and nodejs_: muster_process_resident_memory_bytes, muster_nodejs_heap_size_used_bytes.
  collectDefaultMetrics({ register: registry, prefix: 'muster_' });

  const requests = new Counter({
    name: 'muster_http_requests_total',
    help: 'HTTP requests answered, by route template, method, dialect and status.',
    labelNames: ['route', 'method', 'dialect', 'status'] as const,
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'muster_http_request_duration_seconds',
    help: 'Time from receiving a request to answering it, by route template and dialect.',
    labelNames: ['route', 'dialect'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  const usersCreated = new Counter({ name: 'muster_users_created_total', help: 'Users created (committed), every dialect and import.', registers: [registry] });
  const batchSizes = new Histogram({
    name: 'muster_batch_users',
    help: 'Users per batch request (batch endpoints of every dialect).',
    buckets: [1, 10, 50, 100, 250, 500, 1000, 5000, 10000],
    registers: [registry],
  });
  const importRows = new Counter({
    name: 'muster_import_rows_total',
    help: 'Import rows processed in committed chunks (rate() gives rows per second; an atomic job\'s validation pass counts too).',
    registers: [registry],
  });

  let lastSnapshot: Promise<OperationalSnapshot | undefined> | undefined;
  /** One snapshot per scrape, shared by the gauges that read it. */
  const current = () => (lastSnapshot ??= options.snapshot().catch(() => undefined).finally(() => setImmediate(() => (lastSnapshot = undefined))));
  const gauge = (name: string, help: string, labelNames: readonly string[], fill: (g: Gauge, s: OperationalSnapshot) => void) =>
    new Gauge({
      name,
      help,
      labelNames,
      registers: [registry],
      async collect() {
        const snapshot = await current();
        if (snapshot) fill(this, snapshot);
      },
    });
  gauge('muster_queue_depth', 'Queue items waiting (pending), by kind.', ['kind'], (g, s) => s.queue.forEach((q) => g.set({ kind: q.kind }, q.pending)));
  gauge('muster_queue_oldest_pending_seconds', 'Age of the oldest pending queue item, by kind (0 when none waits).', ['kind'], (g, s) =>
    s.queue.forEach((q) => g.set({ kind: q.kind }, q.oldestPendingSeconds ?? 0)),
  );
  gauge('muster_queue_dead', 'Dead queue items (out of attempts), by kind.', ['kind'], (g, s) => s.queue.forEach((q) => g.set({ kind: q.kind }, q.dead)));
  gauge('muster_import_jobs', 'Import jobs of every tenant by status.', ['status'], (g, s) => {
    for (const [status, jobs] of Object.entries(s.importJobs)) g.set({ status }, jobs);
  });
  gauge('muster_password_hash_queue', 'Password hashes and verifications waiting for a hashing worker.', [], (g, s) => g.set(s.hashQueue));
  gauge('muster_store_connections', 'Store pool connections by state: total, idle, busy (in use), and waiting (queries waiting for one). PostgreSQL; the embedded store has one.', ['state'], (g, s) => {
    if (!s.storePool) return;
    g.set({ state: 'total' }, s.storePool.total);
    g.set({ state: 'idle' }, s.storePool.idle);
    g.set({ state: 'busy' }, s.storePool.total - s.storePool.idle);
    g.set({ state: 'waiting' }, s.storePool.waiting);
  });

  return {
    registry,
    /** One answered request; `route` is the route template (`/v1/directories/:directory/users`), never the raw URL. */
    recordRequest(route: string, method: string, dialect: string, status: number, seconds: number): void {
      requests.inc({ route, method, dialect, status: String(status) });
      latency.observe({ route, dialect }, seconds);
    },
    recordBatch: (users: number): void => batchSizes.observe(users),
    recordEvents(events: readonly DomainEvent[]): void {
      const created = events.reduce((n, e) => (e.type === 'user.created' ? n + 1 : n), 0);
      if (created > 0) usersCreated.inc(created);
    },
    /** Rows of a committed import chunk (the engine's `onImportRows`). */
    recordImportRows: (rows: number): void => importRows.inc(rows),
    /** The exposition text. */
    text: (): Promise<string> => registry.metrics(),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
