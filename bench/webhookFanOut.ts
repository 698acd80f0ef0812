/**
 * `node --liftoff-only bench/webhookFanOut.ts`: what webhook fan-out adds to
 * the request that produces the events. A 1000-user batch request (no
 * passwords) is timed on a tenant with no endpoint (the baseline), with one
 * endpoint receiving `users.batch_created`, and with one asking for per-user
 * events (1000 deliveries queued in the request's transaction). Rounds
 * rotate which side goes first. Deliveries are kept out of the measurement:
 * the endpoints point at a closed loopback port and retry after an hour, so
 * each lane's head fails once and the rest wait. Prints ratios to the
 * baseline (median request time), then one JSON line.
 *
 * BENCH_STORES: postgres (default), embedded, or both comma-separated.
 */
import { startTestService, type TestService } from '../test/helpers/service.ts';
import type { StoreKind } from '../src/store/ports.ts';

const ROUNDS = 5;
const BATCH = 1000;
const STORES = (process.env.BENCH_STORES ?? 'postgres').split(',') as StoreKind[];

type Side = 'none' | 'batched' | 'perUser';

async function tenantWith(svc: TestService, side: Side): Promise<string> {
  const { adminKey } = await svc.newTenant();
  if (side !== 'none') {
    const created = await svc.call('POST', '/v1/webhooks', { key: adminKey, body: { url: 'https://127.0.0.1:1/hook', eventTypes: ['user.*'], perUserEvents: side === 'perUser' } });
    if (created.status !== 201) throw new Error(created.text);
  }
  return adminKey;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

const figures: Record<string, number> = {};
for (const kind of STORES) {
  const svc = await startTestService(kind, { WEBHOOK_ALLOW_PRIVATE_ADDRESSES: 'true', WEBHOOK_RETRY_SCHEDULE_MS: '0,3600000', LOG_LEVEL: 'error' });
  try {
    const sides: Side[] = ['none', 'batched', 'perUser'];
    const keys = Object.fromEntries(await Promise.all(sides.map(async (side) => [side, await tenantWith(svc, side)] as const))) as Record<Side, string>;
    const times: Record<Side, number[]> = { none: [], batched: [], perUser: [] };
    let serial = 0;
    const run = async (side: Side, record: boolean) => {
      serial += 1;
      const users = Array.from({ length: BATCH }, (_, i) => ({ username: `b${serial}-${i}` }));
      const started = performance.now();
      const answer = await svc.call('POST', '/v1/directories/default/users/batch', { key: keys[side], body: { users } });
      const elapsed = performance.now() - started;
      if (answer.body?.summary?.created !== BATCH) throw new Error(answer.text.slice(0, 300));
      if (record) times[side].push(elapsed);
    };
    for (const side of sides) await run(side, false);
    for (let round = 0; round < ROUNDS; round += 1) {
      const order = sides.map((_, i) => sides[(i + round) % sides.length]!);
      for (const side of order) await run(side, true);
    }
    const base = median(times.none);
    for (const side of sides) {
      const ms = median(times[side]);
      figures[`${kind}.${side}.ms`] = Math.round(ms);
      figures[`${kind}.${side}.ratio`] = Number((ms / base).toFixed(2));
      process.stdout.write(`${kind.padEnd(9)} ${side.padEnd(8)} median ${ms.toFixed(0).padStart(5)} ms per 1000-user batch  x${(ms / base).toFixed(2)} of no endpoint\n`);
    }
  } finally {
    await svc.close();
  }
}
process.stdout.write(`${JSON.stringify(figures)}\n`);
