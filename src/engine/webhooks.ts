/**
 * Webhook endpoints (admin use cases) and what the webhook worker needs of
 * them. Each endpoint has a signing secret (`whsec_` + 32 random bytes in
 * base64, the Standard Webhooks form), shown once at creation and at each
 * rotation, stored sealed under the server key (bound to the endpoint id);
 * after a rotation the previous secret signs too until its overlap ends, so
 * receivers can switch without dropping a message.
 *
 * URLs are https, and their host must resolve to public addresses unless the
 * operator allows private ones (WEBHOOK_ALLOW_PRIVATE_ADDRESSES); the worker
 * checks again at every delivery. Deliveries are queue items of kind
 * 'webhook' in the endpoint's lane (engine/webhookFanOut.ts): listing,
 * redelivering and the test ping work on those.
 */
import { randomBytes } from 'node:crypto';
import type { Actor } from '../domain/actor.ts';
import { MusterError } from '../domain/errors.ts';
import type { DomainEvent } from '../domain/events.ts';
import {
  assertEventTypes,
  assertWebhookUrl,
  pingMessage,
  WEBHOOK_ROTATION_OVERLAP_DEFAULT_SECONDS,
  type EndpointDraft,
  type WebhookEndpoint,
  type WebhookMessage,
} from '../domain/webhook.ts';
import { newId } from '../crypto/ids.ts';
import { resolveCheckedAddress } from '../net/addressGuard.ts';
import type { Queryable } from '../store/ports.ts';
import { deleteLane, requeueItem } from '../store/repositories/queue.ts';
import * as repo from '../store/repositories/webhooks.ts';
import type { EngineContext } from './context.ts';
import { decodePayload, enqueueWork } from './queue.ts';
import { deliveryWork } from './webhookFanOut.ts';
import { inUnitOfWork } from './unitOfWork.ts';

export const WEBHOOK_SECRET_PREFIX = 'whsec_';

export interface DeliveryAttempt {
  readonly attempt: number;
  readonly startedAt: Date;
  readonly outcome: 'done' | 'failed';
  readonly error: string | null;
}

export interface Delivery {
  readonly id: string;
  /** The `webhook-id` every attempt carries. */
  readonly messageId: string;
  readonly type: string;
  readonly status: 'pending' | 'done' | 'dead';
  readonly attempts: number;
  readonly lastError: string | null;
  readonly nextAttemptAt: Date | null;
  readonly createdAt: Date;
  readonly finishedAt: Date | null;
  /** Place in the endpoint's order (page on with `before`). */
  readonly seq: number;
  readonly attemptLog: readonly DeliveryAttempt[];
}

/** What the worker needs to sign and send one delivery. */
export interface DeliveryTarget {
  readonly url: string;
  readonly enabled: boolean;
  /** Secrets that sign (the current one first; the previous one during its overlap). */
  readonly secrets: readonly string[];
  /** A failure streak runs: a success must call `attemptSucceeded` to end it. */
  readonly failing: boolean;
}

export type EndpointPatch = Partial<EndpointDraft>;

function newSecret(): string {
  return WEBHOOK_SECRET_PREFIX + randomBytes(32).toString('base64');
}

function endpointEvent(type: 'webhook.created' | 'webhook.updated' | 'webhook.deleted' | 'webhook.secret_rotated', endpoint: WebhookEndpoint, data: Record<string, unknown>): DomainEvent {
  return { type, subject: { type: 'webhook', id: endpoint.id }, directoryId: null, data };
}

export function webhookService(ctx: EngineContext) {
  /** Throws `webhook.invalid_url`, `webhook.unresolvable` or `webhook.address_not_allowed`. */
  async function checkUrl(url: string): Promise<void> {
    const parsed = assertWebhookUrl(url);
    await resolveCheckedAddress(parsed.hostname, ctx.webhookAllowPrivateAddresses);
  }

  /** The endpoint, locked with all of the tenant's (repo.lockTenantEndpoints: the one lock order); throws `webhook.not_found`. */
  async function lockedEndpoint(tx: Queryable, actor: Actor, id: string): Promise<WebhookEndpoint> {
    await repo.lockTenantEndpoints(tx, actor.tenantId);
    const endpoint = await repo.findEndpoint(tx, actor.tenantId, id);
    if (!endpoint) throw new MusterError('webhook.not_found');
    return endpoint;
  }

  function deliveryOf(row: repo.DeliveryRow): Delivery {
    const message = decodePayload<WebhookMessage>(ctx, 'webhook', row.messageId, row.payload);
    const { payload: _payload, ...rest } = row;
    return { ...rest, type: message.type, nextAttemptAt: row.status === 'pending' ? row.nextAttemptAt : null };
  }

  /** Queues `message` as the last of the endpoint's lane; throws `webhook.disabled` when it is disabled. */
  async function enqueueLast(tx: Queryable, endpoint: WebhookEndpoint, message: WebhookMessage): Promise<string> {
    const seq = (await repo.reserveSequences(tx, endpoint.tenantId, new Map([[endpoint.id, 1]]))).get(endpoint.id);
    if (seq === undefined) throw new MusterError('webhook.disabled');
    const work = deliveryWork(endpoint.id, seq, message);
    await enqueueWork(ctx, tx, endpoint.tenantId, [work]);
    return work.dedupeKey;
  }

  return {
    /** Creates an endpoint; `secret` is returned only here (and by `rotateSecret`). */
    async create(actor: Actor, draft: EndpointDraft): Promise<{ endpoint: WebhookEndpoint; secret: string }> {
      const eventTypes = assertEventTypes(draft.eventTypes);
      await checkUrl(draft.url);
      const id = newId();
      const secret = newSecret();
      return inUnitOfWork(ctx, actor, async (uow) => {
        await repo.lockTenantEndpoints(uow.tx, actor.tenantId);
        const endpoint = await repo.insertEndpoint(uow.tx, {
          ...draft,
          eventTypes,
          tenantId: actor.tenantId,
          id,
          sealedSecret: ctx.webhookSecretSealer.seal(Buffer.from(secret, 'utf8'), id),
        });
        uow.emit(endpointEvent('webhook.created', endpoint, { url: endpoint.url, eventTypes, perUserEvents: endpoint.perUserEvents, enabled: endpoint.enabled }));
        return { endpoint, secret };
      });
    },

    list: (actor: Actor): Promise<WebhookEndpoint[]> => repo.listEndpoints(ctx.db, actor.tenantId),

    async get(actor: Actor, id: string): Promise<WebhookEndpoint> {
      const endpoint = await repo.findEndpoint(ctx.db, actor.tenantId, id);
      if (!endpoint) throw new MusterError('webhook.not_found');
      return endpoint;
    },

    /** Changes the given fields against the locked row; enabling clears the disabled reason. */
    async update(actor: Actor, id: string, patch: EndpointPatch): Promise<WebhookEndpoint> {
      const eventTypes = patch.eventTypes === undefined ? undefined : assertEventTypes(patch.eventTypes);
      if (patch.url !== undefined) await checkUrl(patch.url);
      return inUnitOfWork(ctx, actor, async (uow) => {
        const before = await lockedEndpoint(uow.tx, actor, id);
        const after = await repo.updateEndpoint(uow.tx, { ...before, ...patch, ...(eventTypes && { eventTypes }) });
        const changed = Object.fromEntries(
          (['url', 'description', 'eventTypes', 'perUserEvents', 'enabled'] as const)
            .filter((field) => JSON.stringify(before[field]) !== JSON.stringify(after[field]))
            .map((field) => [field, after[field]]),
        );
        if (Object.keys(changed).length > 0) uow.emit(endpointEvent('webhook.updated', after, changed));
        return after;
      });
    },

    /** Deletes the endpoint and its deliveries (pending ones are never sent); its lane's lock comes after the endpoints' (the lock order). */
    delete: (actor: Actor, id: string): Promise<void> =>
      inUnitOfWork(ctx, actor, async (uow) => {
        await repo.lockTenantEndpoints(uow.tx, actor.tenantId);
        const deleted = await repo.deleteEndpoint(uow.tx, actor.tenantId, id);
        if (!deleted) throw new MusterError('webhook.not_found');
        await deleteLane(uow.tx, actor.tenantId, 'webhook', id);
        uow.emit(endpointEvent('webhook.deleted', deleted, { url: deleted.url }));
      }),

    /** A new secret, returned only here; the old one keeps signing for `overlapSeconds` (0: stops at once). */
    async rotateSecret(actor: Actor, id: string, overlapSeconds = WEBHOOK_ROTATION_OVERLAP_DEFAULT_SECONDS): Promise<{ endpoint: WebhookEndpoint; secret: string }> {
      const secret = newSecret();
      return inUnitOfWork(ctx, actor, async (uow) => {
        await lockedEndpoint(uow.tx, actor, id);
        const overlapEndsAt = new Date(uow.now.getTime() + overlapSeconds * 1000);
        const endpoint = (await repo.rotateSecret(uow.tx, actor.tenantId, id, ctx.webhookSecretSealer.seal(Buffer.from(secret, 'utf8'), id), overlapEndsAt))!;
        uow.emit(endpointEvent('webhook.secret_rotated', endpoint, { overlapEndsAt: overlapEndsAt.toISOString() }));
        return { endpoint, secret };
      });
    },

    /** Queues a `webhook.ping` as the endpoint's next delivery; throws `webhook.not_found`, `webhook.disabled`. */
    async sendTest(actor: Actor, id: string): Promise<Delivery> {
      const messageId = await inUnitOfWork(ctx, actor, async (uow) => {
        const endpoint = await lockedEndpoint(uow.tx, actor, id);
        const queued = await enqueueLast(uow.tx, endpoint, pingMessage(uow.now));
        uow.afterCommit(ctx.notifyOutbox);
        return queued;
      });
      const [row] = await repo.listDeliveries(ctx.db, actor.tenantId, id, { limit: 1, messageId });
      return deliveryOf(row!);
    },

    /** Newest first, at most `limit`, before the delivery at `beforeSeq`; throws `webhook.not_found`. */
    async deliveries(actor: Actor, id: string, page: { limit: number; beforeSeq?: number }): Promise<Delivery[]> {
      const endpoint = await repo.findEndpoint(ctx.db, actor.tenantId, id);
      if (!endpoint) throw new MusterError('webhook.not_found');
      return (await repo.listDeliveries(ctx.db, actor.tenantId, id, page)).map(deliveryOf);
    },

    /**
     * Sends a done or dead delivery again, under the same `webhook-id`, as the
     * endpoint's next delivery; a pending one is left as it is. Throws
     * `webhook.not_found`, `webhook.delivery_not_found`, `webhook.disabled`.
     */
    async redeliver(actor: Actor, id: string, deliveryId: string): Promise<Delivery> {
      await inUnitOfWork(ctx, actor, async (uow) => {
        const endpoint = await lockedEndpoint(uow.tx, actor, id);
        const [row] = await repo.listDeliveries(uow.tx, actor.tenantId, id, { limit: 1, deliveryId });
        if (!row) throw new MusterError('webhook.delivery_not_found');
        if (row.status === 'pending') return;
        const seq = (await repo.reserveSequences(uow.tx, actor.tenantId, new Map([[endpoint.id, 1]]))).get(endpoint.id);
        if (seq === undefined) throw new MusterError('webhook.disabled');
        await requeueItem(uow.tx, actor.tenantId, 'webhook', deliveryId, { key: endpoint.id, seq });
        uow.afterCommit(ctx.notifyOutbox);
      });
      const [row] = await repo.listDeliveries(ctx.db, actor.tenantId, id, { limit: 1, deliveryId });
      return deliveryOf(row!);
    },

    // What the webhook worker needs (workers/webhookHandler.ts).

    /** The endpoint's URL, state and signing secrets (opened), or undefined when it was deleted. */
    async deliveryTarget(tenantId: string, endpointId: string): Promise<DeliveryTarget | undefined> {
      const found = await repo.signingEndpoint(ctx.db, tenantId, endpointId);
      if (!found) return undefined;
      const open = (sealed: Uint8Array) => ctx.webhookSecretSealer.open(sealed, endpointId).toString('utf8');
      return { url: found.url, enabled: found.enabled, failing: found.failing, secrets: [open(found.sealedSecret), ...(found.sealedPreviousSecret ? [open(found.sealedPreviousSecret)] : [])] };
    },

    attemptSucceeded: (tenantId: string, endpointId: string): Promise<void> => ctx.db.transaction((tx) => repo.recordSuccess(tx, tenantId, endpointId)),

    /** Records a failed attempt; returns whether the endpoint was disabled now, having failed for `disableAfterHours`. */
    attemptFailed: (tenantId: string, endpointId: string, disableAfterHours: number): Promise<boolean> =>
      ctx.db.transaction((tx) =>
        repo.recordFailure(tx, tenantId, endpointId, disableAfterHours, `Disabled by muster: every delivery attempt failed for ${disableAfterHours} hours.`),
      ),

    /** Disables the endpoint with `reason`, which its admins see. */
    disable: (tenantId: string, endpointId: string, reason: string): Promise<void> => ctx.db.transaction((tx) => repo.disableEndpoint(tx, tenantId, endpointId, reason)),
  };
}

export type WebhookService = ReturnType<typeof webhookService>;
