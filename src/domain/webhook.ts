/**
 * Webhook endpoints and the messages they receive. Pure: what an endpoint
 * subscribes to, which committed events become which messages, and the
 * message body of the Standard Webhooks format (`{type, timestamp, data}`).
 *
 * Subscriptions are event types (`user.created`), families (`user.*`,
 * `import.*`) or `*`; matching is generic over type names, so a new event
 * family (the import jobs' `import.*`) needs no webhook code.
 *
 * Batching: when one unit of work commits `BATCH_GROUPING_MIN` or more
 * `user.created` (or `user.deleted`) events, an endpoint that did not ask for
 * per-user events gets ONE `users.batch_created` (`users.batch_deleted`)
 * message with the count and the users' ids, so a thousand-user batch or an
 * import chunk is one HTTP call, not a thousand. A directory delete writes
 * its `user.deleted` events in SQL (engine/webhookFanOut.ts
 * `fanOutUsersDeletedInDirectory`) and builds the same messages there, at
 * most BATCH_MAX_ITEMS users per batch message.
 */
import type { actorColumns } from './actor.ts';
import type { DomainEvent } from './events.ts';
import { MusterError } from './errors.ts';

/** The actor as messages carry it (who made the change; never a credential). */
export type MessageActor = ReturnType<typeof actorColumns>;

export const WEBHOOK_URL_MAX_LENGTH = 2000;
export const WEBHOOK_DESCRIPTION_MAX_LENGTH = 500;
export const WEBHOOK_EVENT_TYPES_MAX = 50;
/** The longest overlap a rotated secret may keep signing. */
export const WEBHOOK_ROTATION_OVERLAP_MAX_SECONDS = 7 * 24 * 3600;
export const WEBHOOK_ROTATION_OVERLAP_DEFAULT_SECONDS = 24 * 3600;

/** `user.created`, `user.*`, or `*`. */
export const EVENT_PATTERN = /^(\*|[a-z_]+\.(\*|[a-z_]+))$/;

/** The type of the grouped message a batch of `user.created` becomes. */
export const BATCH_CREATED_TYPE = 'users.batch_created';
/** The type of the grouped message a batch of `user.deleted` (an import undo's page, a directory delete) becomes. */
export const BATCH_DELETED_TYPE = 'users.batch_deleted';
/** Per-user event types that a unit of work's batch of them groups into one message, and the grouped message's type. */
export const BATCH_TYPES: Readonly<Record<string, string>> = { 'user.created': BATCH_CREATED_TYPE, 'user.deleted': BATCH_DELETED_TYPE };
/** The type of `POST /v1/webhooks/{id}/test`'s message. */
export const PING_TYPE = 'webhook.ping';
/** A unit of work with at least this many `user.created` events is a batch. */
export const BATCH_GROUPING_MIN = 2;

export interface WebhookEndpoint {
  readonly id: string;
  readonly tenantId: string;
  readonly url: string;
  readonly description: string;
  readonly eventTypes: readonly string[];
  /** One message per user of a batch instead of one `users.batch_created` or `users.batch_deleted`. */
  readonly perUserEvents: boolean;
  readonly enabled: boolean;
  /** Why muster disabled the endpoint (a 410, failing for too long); null when enabled or disabled by a person. */
  readonly disabledReason: string | null;
  readonly disabledAt: Date | null;
  /** Since when every attempt has failed; null after a success. */
  readonly failingSince: Date | null;
  /** Until when the previous secret signs as well, after a rotation. */
  readonly previousSecretExpiresAt: Date | null;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

export interface EndpointDraft {
  readonly url: string;
  readonly description: string;
  readonly eventTypes: readonly string[];
  readonly perUserEvents: boolean;
  readonly enabled: boolean;
}

/** The body of a delivery (Standard Webhooks: `{type, timestamp, data}`). */
export interface WebhookMessage {
  readonly type: string;
  readonly timestamp: string;
  readonly data: Readonly<Record<string, unknown>>;
}

/** A committed event as fan-out sees it: the emitted event and the id the unit of work gave it. */
export interface CommittedEvent {
  readonly id: string;
  readonly event: DomainEvent;
}

/** Throws `webhook.invalid_url` unless `url` is an absolute https URL without credentials. */
export function assertWebhookUrl(url: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new MusterError('webhook.invalid_url', 'The URL is not an absolute URL.', { field: 'url' });
  }
  if (parsed.protocol !== 'https:') throw new MusterError('webhook.invalid_url', 'Webhook URLs must use https.', { field: 'url' });
  if (parsed.username !== '' || parsed.password !== '') throw new MusterError('webhook.invalid_url', 'Webhook URLs may not carry user info.', { field: 'url' });
  return parsed;
}

/** Throws `webhook.invalid_event_types` unless every entry is a type, a `family.*` or `*`. */
export function assertEventTypes(types: readonly string[]): readonly string[] {
  const bad = types.find((t) => !EVENT_PATTERN.test(t));
  if (bad !== undefined || types.length === 0) {
    throw new MusterError('webhook.invalid_event_types', bad === undefined ? 'Subscribe to at least one event type.' : `"${bad}" is not an event type, a family (user.*) or *.`, { field: 'eventTypes' });
  }
  return [...new Set(types)];
}

/** Whether an endpoint subscribed to `types` receives events of `type`. */
export function subscribes(types: readonly string[], type: string): boolean {
  const family = `${type.slice(0, type.indexOf('.'))}.*`;
  return types.some((t) => t === '*' || t === type || t === family);
}

/**
 * The messages an endpoint receives for one unit of work's committed events,
 * in emission order (a batch's one `users.batch_created` takes the place of
 * its first `user.created`). Events carry no credential (events.ts), so
 * neither do messages.
 */
export function messagesFor(
  endpoint: Pick<WebhookEndpoint, 'eventTypes' | 'perUserEvents'>,
  events: readonly CommittedEvent[],
  actor: MessageActor,
  occurredAt: Date,
): WebhookMessage[] {
  const timestamp = occurredAt.toISOString();
  const batches = new Map<string, CommittedEvent[]>();
  for (const type of Object.keys(BATCH_TYPES)) {
    const ofType = events.filter((e) => e.event.type === type);
    if (userEventDelivery(endpoint, type, ofType.length) === 'batch') batches.set(type, ofType);
  }
  const messages: WebhookMessage[] = [];
  for (const committed of events) {
    const { event } = committed;
    const batch = batches.get(event.type);
    if (batch) {
      if (committed === batch[0]) messages.push(batchMessage(BATCH_TYPES[event.type]!, batch, actor, timestamp));
      continue;
    }
    if (!subscribes(endpoint.eventTypes, event.type)) continue;
    messages.push({
      type: event.type,
      timestamp,
      data: { eventId: committed.id, subject: event.subject, directoryId: event.directoryId, actor, ...event.data },
    });
  }
  return messages;
}

/**
 * How an endpoint receives `count` events of a per-user type (a key of
 * BATCH_TYPES) committed by one unit of work: as one grouped message
 * (`batch`: it subscribes to the type or to the grouped type, did not ask for
 * per-user events, and `count` is at least BATCH_GROUPING_MIN), one message
 * per event (`per_user`), or not at all.
 */
export function userEventDelivery(endpoint: Pick<WebhookEndpoint, 'eventTypes' | 'perUserEvents'>, type: string, count: number): 'batch' | 'per_user' | null {
  const batchType = BATCH_TYPES[type];
  if (count === 0) return null;
  if (batchType !== undefined && !endpoint.perUserEvents && count >= BATCH_GROUPING_MIN && (subscribes(endpoint.eventTypes, type) || subscribes(endpoint.eventTypes, batchType))) return 'batch';
  return subscribes(endpoint.eventTypes, type) ? 'per_user' : null;
}

function batchMessage(type: string, batch: readonly CommittedEvent[], actor: MessageActor, timestamp: string): WebhookMessage {
  const directories = [...new Set(batch.map((c) => c.event.directoryId))];
  return {
    type,
    timestamp,
    data: {
      count: batch.length,
      directoryId: directories.length === 1 ? directories[0]! : null,
      actor,
      users: batch.map((c) => ({ id: c.event.subject.id, username: c.event.data.username ?? null, eventId: c.id })),
    },
  };
}

export function pingMessage(now: Date): WebhookMessage {
  return { type: PING_TYPE, timestamp: now.toISOString(), data: { message: 'A test message from muster.' } };
}
