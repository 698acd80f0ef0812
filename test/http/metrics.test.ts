/**
 * /metrics (issue 16): scraped and parsed as Prometheus text. Every family
 * the issue lists: requests by route template, dialect and status, latency
 * histograms, users created, batch sizes, import rows and jobs by status,
 * queue depth and age by kind, dead items, the hashing pool's queue and the
 * store's connections; protected by METRICS_TOKEN or the
 * operator key; the separate listener (METRICS_PORT) serves it without.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { AddressInfo } from 'node:net';
import { IMPORT_STATUSES } from '../../src/domain/importJob.ts';
import { SNAPSHOT_TTL_MS } from '../../src/engine/observability.ts';
import { startMetricsListener } from '../../src/metrics/listener.ts';
import { QUEUE_KINDS } from '../../src/store/repositories/queue.ts';
import { finished, upload } from '../imports/helpers.ts';
import { STORE_KINDS } from '../helpers/stores.ts';
import { startTestService, type TestService } from '../helpers/service.ts';
import { parsePrometheus, values } from '../helpers/prometheus.ts';
import { waitFor } from '../helpers/wait.ts';

const OPERATOR_KEY = `op_${'o'.repeat(40)}`;
const METRICS_TOKEN = `scrape_${'s'.repeat(40)}`;
const IMPORT_ROWS = 40;

/** Every family of the list, with its type; the test fails when one is missing. */
const FAMILIES: Record<string, string> = {
  muster_http_requests_total: 'counter',
  muster_http_request_duration_seconds: 'histogram',
  muster_users_created_total: 'counter',
  muster_batch_users: 'histogram',
  muster_import_rows_total: 'counter',
  muster_import_jobs: 'gauge',
  muster_queue_depth: 'gauge',
  muster_queue_oldest_pending_seconds: 'gauge',
  muster_queue_dead: 'gauge',
  muster_password_hash_queue: 'gauge',
  muster_store_connections: 'gauge',
  muster_process_resident_memory_bytes: 'gauge',
  muster_nodejs_heap_size_used_bytes: 'gauge',
};

for (const kind of STORE_KINDS) {
  describe(`/metrics: ${kind}`, () => {
    let svc: TestService;
    before(async () => {
      svc = await startTestService(kind, { MUSTER_OPERATOR_KEY: OPERATOR_KEY, METRICS_TOKEN, OUTBOX_POLL_MS: '3600000' }, { transport: 'socket' });
    });
    after(() => svc.close());

    const scrape = async (token: string) => {
      const response = await svc.request({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${token}` } });
      assert.equal(response.status, 200, response.text);
      assert.match(String(response.headers['content-type']), /^text\/plain; version=0\.0\.4/);
      return parsePrometheus(response.text);
    };

    it('counts requests, latency, users created, batch sizes, import rows and jobs, and the queue', async () => {
      const { adminKey } = await svc.newTenant();
      const csv = ['username', ...Array.from({ length: IMPORT_ROWS }, (_, i) => `imported${i}`)].join('\n');
      const started = await upload({ svc, key: adminKey }, 'default', csv, 'text/csv');
      assert.equal(started.status, 202, started.text);
      assert.equal((await finished({ svc, key: adminKey }, started.body.id as string)).status, 'completed');
      assert.equal((await svc.call('GET', '/v1/directories/default/users', { key: adminKey })).status, 200);
      const batch = await svc.call('POST', '/v1/directories/default/users/batch', {
        key: adminKey,
        body: { users: ['m1', 'm2', 'm3'].map((username) => ({ username, email: `${username}@example.com` })), invite: {} },
      });
      assert.equal(batch.status, 200, batch.text);
      assert.equal((await svc.call('GET', '/cloud/v1/registries/1/1', { key: 'nope' })).status, 401);
      // The commit woke the mail worker: once it has sent the three, leave them as a backlog would be, one
      // dead after its last attempt and two waiting an hour for a retry (not due, so no worker touches them).
      await waitFor('the invitations sent', async () => (await svc.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM queue WHERE kind = 'mail' AND status = 'done'`)).rows[0]!.n === 3);
      await svc.db.query(`UPDATE queue SET status = 'pending', next_attempt_at = now() + interval '1 hour' WHERE kind = 'mail'`);
      await svc.db.query(`UPDATE queue SET status = 'dead' WHERE id = (SELECT id FROM queue WHERE kind = 'mail' ORDER BY created_at LIMIT 1)`);

      // The stored figures are cached for SNAPSHOT_TTL_MS (the import worker's depth log read them during the import): they catch up within it.
      const since = Date.now();
      const families = await waitFor('the queue figures to catch up', async () => {
        const scraped = await scrape(METRICS_TOKEN);
        return values(scraped, 'muster_queue_dead', { kind: 'mail' })[0] === 1 ? scraped : undefined;
      }, SNAPSHOT_TTL_MS + 5000);
      assert.ok(Date.now() - since <= SNAPSHOT_TTL_MS + 5000);
      for (const [name, type] of Object.entries(FAMILIES)) assert.equal(families.get(name)?.type, type, `${name} is a ${type}`);
      for (const name of ['muster_queue_depth', 'muster_queue_oldest_pending_seconds', 'muster_queue_dead']) {
        for (const queueKind of QUEUE_KINDS) assert.equal(values(families, name, { kind: queueKind }).length, 1, `${name}{kind="${queueKind}"}`);
      }
      const listed = values(families, 'muster_http_requests_total', { route: '/v1/directories/:directory/users', method: 'GET', dialect: 'native', status: '200' });
      assert.equal(listed.length, 1);
      assert.ok(listed[0]! >= 1);
      assert.deepEqual(values(families, 'muster_http_requests_total', { route: '/cloud/v1/registries/:project_id/:region_id', dialect: 'gcore', status: '401' }), [1]);
      assert.ok(!JSON.stringify([...families.values()]).includes(adminKey), 'no key in any label');
      assert.equal(families.get('muster_http_request_duration_seconds')!.type, 'histogram');
      const batchRoute = { route: '/v1/directories/:directory/users/batch', dialect: 'native' };
      assert.deepEqual(values(families, 'muster_http_request_duration_seconds_count', batchRoute), [1]);
      assert.deepEqual(values(families, 'muster_http_request_duration_seconds_bucket', { ...batchRoute, le: '+Inf' }), [1]);
      assert.deepEqual(values(families, 'muster_batch_users_count'), [1]);
      assert.deepEqual(values(families, 'muster_batch_users_sum'), [3]);
      assert.deepEqual(values(families, 'muster_queue_depth', { kind: 'mail' }), [2]);
      assert.ok(values(families, 'muster_queue_oldest_pending_seconds', { kind: 'mail' })[0]! >= 0);
      assert.deepEqual(values(families, 'muster_queue_dead', { kind: 'mail' }), [1]);
      assert.deepEqual(values(families, 'muster_queue_depth', { kind: 'import' }), [0], 'the import ran');
      assert.deepEqual(values(families, 'muster_password_hash_queue'), [0]);
      assert.deepEqual(values(families, 'muster_import_rows_total'), [IMPORT_ROWS]);
      assert.ok(values(families, 'muster_users_created_total')[0]! >= 3 + IMPORT_ROWS, 'imported users count as created');
      for (const status of IMPORT_STATUSES) assert.deepEqual(values(families, 'muster_import_jobs', { status }), [status === 'completed' ? 1 : 0], status);
      const pool = (state: string) => values(families, 'muster_store_connections', { state });
      if (kind === 'postgres') {
        const [total, idle, busy] = [pool('total')[0]!, pool('idle')[0]!, pool('busy')[0]!];
        assert.ok(total >= 1 && busy === total - idle, `total ${total}, idle ${idle}, busy ${busy}`);
        assert.equal(pool('waiting').length, 1);
      } else assert.equal(pool('total').length, 0, 'the embedded store has no pool');
    });

    it('answers the operator key too, and 401 to anything else', async () => {
      await scrape(OPERATOR_KEY);
      const { adminKey } = await svc.newTenant();
      for (const headers of [{}, { authorization: `Bearer ${adminKey}` }, { authorization: `Bearer ${METRICS_TOKEN}x` }]) {
        const refused = await svc.request({ method: 'GET', url: '/metrics', headers });
        assert.ok([401, 403].includes(refused.status), `${refused.status} ${refused.text}`);
        assert.ok(refused.body.error.code.startsWith('auth.'));
      }
    });

    it('the separate listener serves it without credentials, and nothing else', async () => {
      const listener = await startMetricsListener(svc.metrics, '127.0.0.1', 0);
      try {
        const base = `http://127.0.0.1:${(listener.address() as AddressInfo).port}`;
        const response = await fetch(`${base}/metrics`);
        assert.equal(response.status, 200);
        assert.ok(parsePrometheus(await response.text()).has('muster_http_requests_total'));
        assert.equal((await fetch(`${base}/v1/directories`)).status, 404);
      } finally {
        listener.close();
      }
    });
  });
}
