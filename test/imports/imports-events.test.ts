/** A running import job over a real socket, on both stores: Server-Sent Events while it runs, cancel, undo refused while running. */
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { STORE_KINDS } from '../helpers/stores.ts';
import { startTestService, type TestService } from '../helpers/service.ts';
import { finished, reportLines, upload, type ImportCall } from './helpers.ts';

interface ServerEvent {
  readonly id: number;
  readonly event: string;
  readonly job: { status: string; totals: { processed: number } };
}

/** Reads an event stream to its end. */
async function readEvents(url: string, key: string, lastEventId?: string): Promise<ServerEvent[]> {
  const response = await fetch(url, { headers: { authorization: `Bearer ${key}`, ...(lastEventId && { 'last-event-id': lastEventId }) } });
  assert.equal(response.status, 200);
  assert.match(response.headers.get('content-type') ?? '', /^text\/event-stream/);
  const text = await response.text();
  return text
    .split('\n\n')
    .filter(Boolean)
    .map((block) => {
      const fields = Object.fromEntries(block.split('\n').map((line) => [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 2)]));
      return { id: Number(fields.id), event: fields.event!, job: JSON.parse(fields.data!) as ServerEvent['job'] };
    });
}

const csvOf = (rows: number, prefix: string) => ['username', ...Array.from({ length: rows }, (_, i) => `${prefix}${i}`)].join('\n');

for (const kind of STORE_KINDS) {
  describe(`import jobs while they run: ${kind}`, () => {
    let svc: TestService;
    let key: string;
    let call: ImportCall;
    let base: string;

    before(async () => {
      svc = await startTestService(kind, { OUTBOX_POLL_MS: '50', IMPORT_CHUNK_ROWS: '500' }, { transport: 'socket' });
      ({ adminKey: key } = await svc.newTenant());
      call = { svc, key };
      base = `http://127.0.0.1:${(svc.app.server.address() as AddressInfo).port}`;
      await svc.call('POST', '/v1/directories', { key, body: { name: 'live' } });
    });
    after(() => svc.close());

    it('streams progress events while the job runs, then one done event; Last-Event-ID continues the numbering', async () => {
      // Long enough to run past a few of the stream's 500 ms ticks on a fast store (PostgreSQL imports some 20,000 rows/s).
      const started = await upload(call, 'live', csvOf(30_000, 'sse'), 'text/csv');
      const events = await readEvents(`${base}/v1/imports/${started.body.id}/events`, key);
      const last = events.at(-1)!;
      assert.equal(last.event, 'done');
      assert.equal(last.job.status, 'completed');
      assert.equal(events.filter((e) => e.event === 'done').length, 1);
      const running = events.filter((e) => e.event === 'progress' && e.job.status === 'running');
      assert.ok(running.length >= 1, `progress while running (${events.map((e) => e.job.status).join(',')})`);
      assert.ok(running.some((e) => e.job.totals.processed > 0 && e.job.totals.processed < 30_000), 'a progress event from the middle of the job');
      assert.deepEqual(events.map((e) => e.id), events.map((_, i) => i + 1));
      const resumed = await readEvents(`${base}/v1/imports/${started.body.id}/events`, key, '41');
      assert.deepEqual(resumed.map((e) => [e.id, e.event]), [[42, 'done']]);
    });

    it('cancel stops after the current chunk: rows done stay done and the report says which; undo waits for the end', async () => {
      const started = await upload(call, 'live', csvOf(30_000, 'cancel'), 'text/csv');
      const id = started.body.id as string;
      for (;;) {
        const job = (await svc.call('GET', `/v1/imports/${id}`, { key })).body;
        if (job.totals.processed >= 1000) break;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      const early = await svc.call('POST', `/v1/imports/${id}/undo`, { key });
      assert.deepEqual([early.status, early.body.error?.code], [409, 'import.not_finished']);
      const cancelled = await svc.call('POST', `/v1/imports/${id}/cancel`, { key });
      assert.equal(cancelled.status, 202);
      const job = await finished(call, id);
      assert.equal(job.status, 'cancelled');
      assert.ok(job.totals.processed < 30_000, `stopped early (${job.totals.processed})`);
      assert.equal(job.totals.processed % 500, 0, 'stopped at a chunk boundary');
      assert.equal(job.totals.created, job.totals.processed);
      const count = await svc.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM users WHERE username LIKE 'cancel%'`);
      assert.equal(count.rows[0]!.n, job.totals.created);
      assert.equal((await reportLines(call, id, 'status=created')).length, job.totals.created);
    });
  });
}
