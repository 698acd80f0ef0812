/**
 * Fan-out: the committed events of a unit of work become webhook deliveries,
 * queued in the same transaction (so they exist exactly when the events
 * commit, and an atomic batch that fails queues nothing).
 *
 * Cost in the request's transaction: one indexed read of the tenant's enabled
 * endpoints (nothing more for a tenant without a matching endpoint); when
 * some match, a lock on each matching endpoint's row (held to COMMIT, which is
 * what orders its deliveries by commit) and one insert of the deliveries (a
 * thousand-user batch is one `users.batch_created` per endpoint unless it
 * asked for per-user events). The HTTP calls happen later, in the webhook
 * worker; nothing waits for a receiver.
 */
import { actorColumns, type Actor } from '../domain/actor.ts';
import { messagesFor, type CommittedEvent, type WebhookMessage } from '../domain/webhook.ts';
import { newId } from '../crypto/ids.ts';
import type { Queryable } from '../store/ports.ts';
import * as repo from '../store/repositories/webhooks.ts';
import type { EngineContext } from './context.ts';
import { enqueueWork, type Work } from './queue.ts';

/** A new Standard Webhooks message id (`webhook-id`), stable across every attempt of the delivery. */
export function newMessageId(): string {
  return `msg_${newId().replaceAll('-', '')}`;
}

/** One delivery of `message` to `endpointId`, at `seq` of the endpoint's lane. */
export function deliveryWork(endpointId: string, seq: number, message: WebhookMessage): Work {
  return { kind: 'webhook', dedupeKey: newMessageId(), target: endpointId, lane: { key: endpointId, seq }, payload: message };
}

/** Inside the unit of work's transaction, after its events are written; returns whether anything was queued. */
export async function fanOutToWebhooks(ctx: EngineContext, tx: Queryable, actor: Actor, occurredAt: Date, events: readonly CommittedEvent[]): Promise<boolean> {
  if (events.length === 0) return false;
  const endpoints = await repo.enabledEndpoints(tx, actor.tenantId);
  if (endpoints.length === 0) return false;
  const who = actorColumns(actor);
  const planned = new Map<string, WebhookMessage[]>();
  for (const endpoint of endpoints) {
    const messages = messagesFor(endpoint, events, who, occurredAt);
    if (messages.length > 0) planned.set(endpoint.id, messages);
  }
  if (planned.size === 0) return false;
  const firsts = await repo.reserveSequences(tx, actor.tenantId, new Map([...planned].map(([id, messages]) => [id, messages.length])));
  const work = [...firsts].flatMap(([id, first]) => planned.get(id)!.map((message, i) => deliveryWork(id, first + i, message)));
  await enqueueWork(ctx, tx, actor.tenantId, work);
  return work.length > 0;
}
