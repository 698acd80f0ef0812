/**
 * /metrics (issue 16): scraped and parsed as Prometheus text. Requests by
 * route template, dialect and status, latency histograms, users created,
 * batch sizes, queue depth and age by kind, dead items, the hashing pool's
 * queue and the store's connections; protected by METRICS_TOKEN or the
 * operator key; the separate listener (METRICS_PORT) serves it without.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { AddressInfo } from 'node:net';
import { startMetricsListener } from '../../src/metrics/listener.ts';
import { STORE_KINDS } from '../helpers/stores.ts';
import { startTestService, type TestService } from '../helpers/service.ts';
import { parsePrometheus, values } from '../helpers/prometheus.ts';

const OPERATOR_KEY = `op_${'o'.repeat(40)}`;
const METRICS_TOKEN = `scrape_${'s'.repeat(40)}`;

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

    it('counts requests, latency, users created, batch sizes and the queue', async () => {
      const { adminKey } = await svc.newTenant();
      assert.equal((await svc.call('GET', '/v1/directories/default/users', { key: adminKey })).status, 200);
      const batch = await svc.call('POST', '/v1/directories/default/users/batch', {
        key: adminKey,
        body: { users: ['m1', 'm2', 'm3'].map((username) => ({ username, email: `${username}@example.com` })), invite: {} },
      });
      assert.equal(batch.status, 200, batch.text);
      assert.equal((await svc.call('GET', '/cloud/v1/registries/1/1', { key: 'nope' })).status, 401);

      const families = await scrape(METRICS_TOKEN);
      const listed = values(families, 'muster_http_requests_total', { route: '/v1/directories/:directory/users', method: 'GET', dialect: 'native', status: '200' });
      assert.equal(listed.length, 1);
      assert.ok(listed[0]! >= 1);
      assert.deepEqual(values(families, 'muster_http_requests_total', { route: '/cloud/v1/registries/:project_id/:region_id', dialect: 'gcore', status: '401' }), [1]);
      assert.ok(!JSON.stringify([...families.values()]).includes(adminKey), 'no key in any label');
      assert.equal(families.get('muster_http_request_duration_seconds')!.type, 'histogram');
      const batchRoute = { route: '/v1/directories/:directory/users/batch', dialect: 'native' };
      assert.deepEqual(values(families, 'muster_http_request_duration_seconds_count', batchRoute), [1]);
      assert.deepEqual(values(families, 'muster_http_request_duration_seconds_bucket', { ...batchRoute, le: '+Inf' }), [1]);
      assert.ok(values(families, 'muster_users_created_total')[0]! >= 3);
      assert.deepEqual(values(families, 'muster_batch_users_count'), [1]);
      assert.deepEqual(values(families, 'muster_batch_users_sum'), [3]);
      // The mail worker polls hourly here, so the invitations wait in the queue.
      assert.ok(values(families, 'muster_queue_depth', { kind: 'mail' })[0]! >= 3);
      assert.ok(values(families, 'muster_queue_oldest_pending_seconds', { kind: 'mail' })[0]! >= 0);
      assert.deepEqual(values(families, 'muster_queue_dead', { kind: 'mail' }), [0]);
      assert.deepEqual(values(families, 'muster_password_hash_queue'), [0]);
      assert.equal(values(families, 'muster_store_connections', { state: 'total' }).length, kind === 'postgres' ? 1 : 0);
      assert.ok(families.has('muster_import_rows_total') && families.has('muster_import_jobs'), 'the import hooks are registered');
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
