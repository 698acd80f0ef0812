/**
 * `node --liftoff-only bench/webhookDirectoryDelete.ts`: what a directory
 * delete's `user.deleted` deliveries add to the request. A directory of
 * BENCH_USERS users (default 20,000; no passwords) is deleted with force in a
 * tenant without endpoints (the baseline), in one with an endpoint receiving
 * `users.batch_deleted` (one message per BATCH_MAX_ITEMS users) and in one
 * with an endpoint asking for per-user events (a queue row per user, written
 * by one INSERT ... SELECT). Deliveries go to a closed loopback port and
 * retry after an hour. Prints each delete's time, its ratio to the baseline
 * and the deliveries queued, then one JSON line.
 *
 * BENCH_STORES: postgres (default), embedded, or both comma-separated.
 */
import { startTestService, type TestService } from '../test/helpers/service.ts';
import type { StoreKind } from '../src/store/ports.ts';

const USERS = Number(process.env.BENCH_USERS ?? 20_000);
const BATCH = 1000;
const STORES = (process.env.BENCH_STORES ?? 'postgres').split(',') as StoreKind[];

type Side = 'none' | 'batched' | 'perUser';

async function deleteTime(svc: TestService, side: Side): Promise<{ ms: number; queued: number }> {
  const { adminKey: key, tenantId } = await svc.newTenant();
  if (side !== 'none') {
    const created = await svc.call('POST', '/v1/webhooks', { key, body: { url: 'https://127.0.0.1:1/hook', eventTypes: ['user.deleted'], perUserEvents: side === 'perUser' } });
    if (created.status !== 201) throw new Error(created.text);
  }
  await svc.call('POST', '/v1/directories', { key, body: { name: 'doomed' } });
  for (let from = 0; from < USERS; from += BATCH) {
    const users = Array.from({ length: Math.min(BATCH, USERS - from) }, (_, i) => ({ username: `d${from + i}` }));
    const answer = await svc.call('POST', '/v1/directories/doomed/users/batch', { key, body: { users } });
    if (answer.body?.summary?.created !== users.length) throw new Error(answer.text.slice(0, 300));
  }
  const started = performance.now();
  const deleted = await svc.call('DELETE', '/v1/directories/doomed?force=true', { key });
  const ms = performance.now() - started;
  if (deleted.status !== 204) throw new Error(deleted.text);
  const { rows } = await svc.db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM queue WHERE tenant_id = $1 AND kind = 'webhook' AND convert_from(payload, 'UTF8')::jsonb->>'type' IN ('user.deleted', 'users.batch_deleted')`,
    [tenantId],
  );
  return { ms, queued: rows[0]!.n };
}

const figures: Record<string, number> = {};
for (const kind of STORES) {
  const svc = await startTestService(kind, { WEBHOOK_ALLOW_PRIVATE_ADDRESSES: 'true', WEBHOOK_RETRY_SCHEDULE_MS: '0,3600000', LOG_LEVEL: 'error' });
  try {
    let base = 0;
    for (const side of ['none', 'batched', 'perUser'] as const) {
      const { ms, queued } = await deleteTime(svc, side);
      if (side === 'none') base = ms;
      figures[`${kind}.${side}.ms`] = Math.round(ms);
      figures[`${kind}.${side}.queued`] = queued;
      process.stdout.write(`${kind.padEnd(9)} ${side.padEnd(8)} delete of ${USERS} users ${ms.toFixed(0).padStart(6)} ms  x${(ms / base).toFixed(2)}  ${queued} deliveries\n`);
    }
  } finally {
    await svc.close();
  }
}
process.stdout.write(`${JSON.stringify(figures)}\n`);
