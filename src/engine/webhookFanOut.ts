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
import { BATCH_DELETED_TYPE, messagesFor, userEventDelivery, type CommittedEvent, type WebhookMessage } from '../domain/webhook.ts';
import { newId } from '../crypto/ids.ts';
import type { Queryable } from '../store/ports.ts';
import { writingLanes } from '../store/repositories/queue.ts';
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

/**
 * Inside a directory delete's unit of work, right after
 * `insertUsersDeletedInDirectory` wrote `count` `user.deleted` events in SQL
 * (they bypass `emit`) and before the users are deleted: queues their
 * deliveries, set-based (a constant number of statements, whatever the
 * directory's size), in the same transaction. An endpoint that asked for
 * per-user events gets one `user.deleted` per user; one subscribed to
 * `user.deleted` or `users.batch_deleted` otherwise gets `users.batch_deleted`
 * messages of at most BATCH_MAX_ITEMS users (one when the directory holds no
 * more), as `messagesFor` groups a batch (a lone user is a `user.deleted`).
 * They come before the unit's emitted events (its `directory.deleted`) in
 * each endpoint's order.
 *
 * Locks: when some endpoint matches, all the tenant's endpoints, in id order
 * (`lockTenantEndpoints`), since the unit's own fan-out follows at commit,
 * then the lanes. Returns whether anything was queued (the caller wakes the
 * worker after commit).
 */
export async function fanOutUsersDeletedInDirectory(ctx: EngineContext, tx: Queryable, actor: Actor, occurredAt: Date, directoryId: string, count: number): Promise<boolean> {
  const matching = async () => (await repo.enabledEndpoints(tx, actor.tenantId)).filter((e) => userEventDelivery(e, 'user.deleted', count) !== null);
  if (count === 0 || (await matching()).length === 0) return false;
  await repo.lockTenantEndpoints(tx, actor.tenantId);
  const endpoints = await matching();
  const groupSize = ctx.limits.batchMaxItems;
  const wanted = new Map(endpoints.map((e) => [e.id, userEventDelivery(e, 'user.deleted', count) === 'batch' ? Math.ceil(count / groupSize) : count]));
  const firsts = await repo.reserveSequences(tx, actor.tenantId, wanted);
  const pick = (delivery: 'batch' | 'per_user') => new Map(endpoints.filter((e) => firsts.has(e.id) && userEventDelivery(e, 'user.deleted', count) === delivery).map((e) => [e.id, firsts.get(e.id)!]));
  const lanes = { perUser: pick('per_user'), grouped: pick('batch'), groupSize, groupedType: BATCH_DELETED_TYPE };
  let queued = 0;
  await writingLanes(tx, actor.tenantId, [...firsts.keys()].map((lane) => ({ kind: 'webhook' as const, lane })), async () => {
    queued = await repo.insertUserDeletionDeliveries(tx, actor.tenantId, directoryId, occurredAt, actorColumns(actor), lanes);
  });
  return queued > 0;
}
