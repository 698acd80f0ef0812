/**
 * `node --liftoff-only bench/webhookClaim.ts`: what one claim of webhook
 * deliveries costs while an endpoint is down with a backlog. A lane (one
 * endpoint) gets BACKLOG pending deliveries; its head is claimed and fails,
 * due again in an hour, so the rest wait behind it. Then claims of the
 * `webhook` kind run back to back (each finds nothing due) and their median
 * time is printed, for a backlog of 0 (the head alone) and of BACKLOG, on each
 * store; then one JSON line. The claim goes through the queue repository
 * (`claimDue`), as the worker's does.
 *
 * BENCH_STORES: postgres (default), embedded, or both comma-separated.
 * BENCH_BACKLOG: pending items behind the dead head (default 50000).
 */
import { newId } from '../src/crypto/ids.ts';
import type { StoreKind } from '../src/store/ports.ts';
import { claimDue, insertItems, markFailed, type NewQueueItem } from '../src/store/repositories/queue.ts';
import { insertTenant } from '../src/store/repositories/tenants.ts';
import { openTestStore } from '../test/helpers/stores.ts';

const STORES = (process.env.BENCH_STORES ?? 'postgres').split(',') as StoreKind[];
const BACKLOG = Number(process.env.BENCH_BACKLOG ?? 50_000);
const CLAIMS = 50;
const INSERT_CHUNK = 10_000;

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

const figures: Record<string, number> = {};
for (const kind of STORES) {
  for (const backlog of [0, BACKLOG]) {
    const db = await openTestStore(kind);
    try {
      const tenantId = (await insertTenant(db, { id: newId(), name: 'bench' })).id;
      const lane = newId();
      const item = (seq: number): NewQueueItem => ({ id: newId(), kind: 'webhook', dedupeKey: `msg_${seq}`, target: lane, invitationId: null, lane, laneSeq: seq, payload: Buffer.from('{}') });
      await insertItems(db, tenantId, [item(1)]);
      const [head] = await claimDue(db, 'webhook', 10, 60_000);
      if (!head) throw new Error('the head was not claimed');
      await markFailed(db, head, 'the endpoint is down', 3_600_000);
      for (let from = 0; from < backlog; from += INSERT_CHUNK) {
        await insertItems(db, tenantId, Array.from({ length: Math.min(INSERT_CHUNK, backlog - from) }, (_, i) => item(2 + from + i)));
      }
      await db.query('ANALYZE queue');
      const times: number[] = [];
      for (let i = 0; i < CLAIMS + 5; i += 1) {
        const started = performance.now();
        const claimed = await claimDue(db, 'webhook', 10, 60_000);
        const elapsed = performance.now() - started;
        if (claimed.length > 0) throw new Error('a waiting delivery was claimed');
        if (i >= 5) times.push(elapsed);
      }
      const ms = median(times);
      figures[`${kind}.backlog${backlog}.ms`] = Number(ms.toFixed(2));
      process.stdout.write(`${kind.padEnd(9)} backlog ${String(backlog).padStart(6)}  median claim ${ms.toFixed(2).padStart(8)} ms\n`);
    } finally {
      await db.close();
    }
  }
}
process.stdout.write(`${JSON.stringify(figures)}\n`);
