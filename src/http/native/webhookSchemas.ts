/** Wire schemas of the native webhook routes (`/v1/webhooks`); request bodies reject unknown fields. */
import { Type, type Static } from 'typebox';
import { LIST_DEFAULT_LIMIT, LIST_MAX_LIMIT } from '../../config.ts';
import {
  EVENT_PATTERN,
  WEBHOOK_DESCRIPTION_MAX_LENGTH,
  WEBHOOK_EVENT_TYPES_MAX,
  WEBHOOK_ROTATION_OVERLAP_DEFAULT_SECONDS,
  WEBHOOK_ROTATION_OVERLAP_MAX_SECONDS,
  WEBHOOK_URL_MAX_LENGTH,
} from '../../domain/webhook.ts';
import { Defaulted } from '../validation.ts';

const DateTime = Type.String({ format: 'date-time' });
const NullableDateTime = Type.Union([DateTime, Type.Null()]);
const NullableText = Type.Union([Type.String(), Type.Null()]);

const editable = {
  url: Type.String({ maxLength: WEBHOOK_URL_MAX_LENGTH, description: 'An https URL. Its host must resolve to public addresses (checked when saved and at every delivery) unless the operator allows private ones.', examples: ['https://crm.example.com/hooks/muster'] }),
  description: Type.String({ maxLength: WEBHOOK_DESCRIPTION_MAX_LENGTH }),
  eventTypes: Type.Array(Type.String({ pattern: EVENT_PATTERN.source }), {
    minItems: 1,
    maxItems: WEBHOOK_EVENT_TYPES_MAX,
    description: 'Event types (`user.created`), families (`user.*`, `import.*`, `invitation.*`) or `*`.',
    examples: [['user.*', 'import.*']],
  }),
  perUserEvents: Type.Boolean({ description: 'false (default): a batch of created users arrives as one `users.batch_created` with the count and ids, deleted users as `users.batch_deleted` (a directory delete: at most BATCH_MAX_ITEMS users per message); true: one `user.created` or `user.deleted` per user.' }),
  enabled: Type.Boolean(),
};

export const WebhookCreateBody = Type.Object(
  {
    url: editable.url,
    description: Defaulted(Type.String({ ...editable.description, default: '' })),
    eventTypes: editable.eventTypes,
    perUserEvents: Defaulted(Type.Boolean({ ...editable.perUserEvents, default: false })),
    enabled: Defaulted(Type.Boolean({ default: true })),
  },
  { additionalProperties: false },
);

export const WebhookPatchBody = Type.Object(
  {
    url: Type.Optional(editable.url),
    description: Type.Optional(editable.description),
    eventTypes: Type.Optional(editable.eventTypes),
    perUserEvents: Type.Optional(editable.perUserEvents),
    enabled: Type.Optional(Type.Boolean({ description: 'true re-enables an endpoint muster disabled (and clears the reason); dead deliveries stay dead until redelivered.' })),
  },
  { additionalProperties: false, minProperties: 1 },
);

export const WebhookBody = Type.Object({
  id: Type.String({ format: 'uuid' }),
  url: Type.String(),
  description: Type.String(),
  eventTypes: Type.Array(Type.String()),
  perUserEvents: Type.Boolean(),
  enabled: Type.Boolean(),
  disabledReason: Type.Union([Type.String(), Type.Null()], { description: 'Why muster disabled the endpoint (a 410 Gone, failing for WEBHOOK_DISABLE_AFTER_HOURS), or null.' }),
  disabledAt: NullableDateTime,
  failingSince: Type.Union([DateTime, Type.Null()], { description: 'Since when every attempt has failed; null after a success.' }),
  previousSecretExpiresAt: Type.Union([DateTime, Type.Null()], { description: 'After a rotation: until when the previous secret signs as well.' }),
  createdAt: DateTime,
  updatedAt: DateTime,
});
export type WebhookWire = Static<typeof WebhookBody>;

export const CreatedWebhookBody = Type.Object({
  ...WebhookBody.properties,
  secret: Type.String({ description: 'The signing secret (`whsec_...`, Standard Webhooks). Shown only in this response; store it now.' }),
});

export const WebhookListBody = Type.Object({ webhooks: Type.Array(WebhookBody) });
export const WebhookParams = Type.Object({ webhookId: Type.String({ format: 'uuid' }) });
export const DeliveryParams = Type.Object({ webhookId: Type.String({ format: 'uuid' }), deliveryId: Type.String({ format: 'uuid' }) });

export const RotateQuery = Type.Object(
  {
    overlapSeconds: Defaulted(
      Type.Integer({ minimum: 0, maximum: WEBHOOK_ROTATION_OVERLAP_MAX_SECONDS, default: WEBHOOK_ROTATION_OVERLAP_DEFAULT_SECONDS, description: 'How long the previous secret keeps signing (both signatures are sent).' }),
    ),
  },
  { additionalProperties: false },
);

export const DeliveryQuery = Type.Object(
  {
    before: Type.Optional(Type.Integer({ minimum: 1, description: 'Only deliveries before this `seq` (from the last one of the previous page).' })),
    limit: Defaulted(Type.Integer({ minimum: 1, maximum: LIST_MAX_LIMIT, default: LIST_DEFAULT_LIMIT })),
  },
  { additionalProperties: false },
);

export const DeliveryBody = Type.Object({
  id: Type.String({ format: 'uuid' }),
  messageId: Type.String({ description: 'The `webhook-id` header of every attempt.' }),
  type: Type.String({ examples: ['users.batch_created'] }),
  status: Type.Union([Type.Literal('pending'), Type.Literal('done'), Type.Literal('dead')]),
  seq: Type.Integer({ description: 'Place in the endpoint\'s delivery order.' }),
  attempts: Type.Integer(),
  lastError: NullableText,
  nextAttemptAt: NullableDateTime,
  createdAt: DateTime,
  finishedAt: NullableDateTime,
  attemptLog: Type.Array(
    Type.Object({ attempt: Type.Integer(), startedAt: DateTime, outcome: Type.Union([Type.Literal('done'), Type.Literal('failed')]), error: NullableText }),
  ),
});

export const DeliveryListBody = Type.Object({ deliveries: Type.Array(DeliveryBody) });
