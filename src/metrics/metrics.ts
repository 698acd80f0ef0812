/**
 * muster's Prometheus metrics, through prom-client (the Node client the
 * Prometheus docs list; it writes the text exposition format and keeps
 * histograms right), in one registry per service so tests can run several.
 *
 * Recorded as things happen: HTTP requests by route, method, dialect and
 * status, with a latency histogram; users created (from committed
 * `user.created` events); batch sizes. Read at scrape time (collect): queue
 * depth, oldest pending age and dead items by kind, the hashing pool's queue,
 * the store's connections. Import jobs feed `recordImportRows` and
 * `setImportJobs` (the import worker's hooks).
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
  collectDefaultMetrics({ register: registry, prefix: 'muster_process_' });

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
  const importRows = new Counter({ name: 'muster_import_rows_total', help: 'Import rows processed (rate() gives rows per second).', registers: [registry] });
  const importJobs = new Gauge({ name: 'muster_import_jobs', help: 'Import jobs by status.', labelNames: ['status'] as const, registers: [registry] });

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
  gauge('muster_password_hash_queue', 'Password hashes and verifications waiting for a hashing worker.', [], (g, s) => g.set(s.hashQueue));
  gauge('muster_store_connections', 'Store pool connections by state (PostgreSQL; the embedded store has one).', ['state'], (g, s) => {
    if (!s.storePool) return;
    g.set({ state: 'total' }, s.storePool.total);
    g.set({ state: 'idle' }, s.storePool.idle);
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
    /** Hook for the import worker: rows it has processed since the last call. */
    recordImportRows: (rows: number): void => importRows.inc(rows),
    /** Hook for the import worker: how many jobs are in each status now. */
    setImportJobs: (status: string, jobs: number): void => importJobs.set({ status }, jobs),
    /** The exposition text. */
    text: (): Promise<string> => registry.metrics(),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
