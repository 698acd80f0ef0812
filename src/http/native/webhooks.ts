/**
 * Native webhook routes (admin): endpoints (`/v1/webhooks`), their delivery
 * log, redelivery, a test ping and secret rotation. Thin: parse, call
 * `engine.webhooks`, render.
 */
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { WebhookEndpoint } from '../../domain/webhook.ts';
import type { Engine } from '../../engine/engine.ts';
import type { Delivery } from '../../engine/webhooks.ts';
import { actorOf } from '../auth/apiKeyAuth.ts';
import { errorResponses } from './openapi.ts';
import {
  CreatedWebhookBody,
  DeliveryBody,
  DeliveryListBody,
  DeliveryParams,
  DeliveryQuery,
  RotateQuery,
  WebhookBody,
  WebhookCreateBody,
  WebhookListBody,
  WebhookParams,
  WebhookPatchBody,
  type WebhookWire,
} from './webhookSchemas.ts';

const iso = (date: Date | null) => date?.toISOString() ?? null;

function renderWebhook(e: WebhookEndpoint): WebhookWire {
  return {
    id: e.id,
    url: e.url,
    description: e.description,
    eventTypes: [...e.eventTypes],
    perUserEvents: e.perUserEvents,
    enabled: e.enabled,
    disabledReason: e.disabledReason,
    disabledAt: iso(e.disabledAt),
    failingSince: iso(e.failingSince),
    previousSecretExpiresAt: iso(e.previousSecretExpiresAt),
    createdAt: e.createdAt.toISOString(),
    updatedAt: e.updatedAt.toISOString(),
  };
}

function renderDelivery(d: Delivery) {
  return {
    ...d,
    nextAttemptAt: iso(d.nextAttemptAt),
    createdAt: d.createdAt.toISOString(),
    finishedAt: iso(d.finishedAt),
    attemptLog: d.attemptLog.map((a) => ({ ...a, startedAt: a.startedAt.toISOString() })),
  };
}

export function webhookRoutes(app: FastifyInstance, engine: Engine): void {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['webhooks'];
  const config = { scope: 'admin' as const };

  r.post(
    '/webhooks',
    {
      config,
      schema: {
        tags,
        summary: 'Create a webhook endpoint (the signing secret is shown once)',
        description:
          'Deliveries follow the Standard Webhooks specification (headers `webhook-id`, `webhook-timestamp`, `webhook-signature`; body `{type, timestamp, data}`), ' +
          'in commit order per endpoint, at least once, retried immediately, after 5 s, 5 min, 30 min, 2 h, 5 h, 10 h and 10 h. ' +
          'A 2xx is success; a 410 disables the endpoint; an endpoint failing for days is disabled with the reason shown here.',
        body: WebhookCreateBody,
        response: { 201: CreatedWebhookBody, ...errorResponses(400, 401, 403, 415) },
      },
    },
    async (request, reply) => {
      const { description = '', perUserEvents = false, enabled = true, ...rest } = request.body;
      const created = await engine.webhooks.create(actorOf(request), { ...rest, description, perUserEvents, enabled });
      reply.code(201);
      return { ...renderWebhook(created.endpoint), secret: created.secret };
    },
  );

  r.get(
    '/webhooks',
    { config, schema: { tags, summary: 'List webhook endpoints', response: { 200: WebhookListBody, ...errorResponses(401, 403) } } },
    async (request) => ({ webhooks: (await engine.webhooks.list(actorOf(request))).map(renderWebhook) }),
  );

  r.get(
    '/webhooks/:webhookId',
    { config, schema: { tags, summary: 'One webhook endpoint', params: WebhookParams, response: { 200: WebhookBody, ...errorResponses(400, 401, 403, 404) } } },
    async (request) => renderWebhook(await engine.webhooks.get(actorOf(request), request.params.webhookId)),
  );

  r.patch(
    '/webhooks/:webhookId',
    {
      config,
      schema: { tags, summary: 'Change a webhook endpoint', params: WebhookParams, body: WebhookPatchBody, response: { 200: WebhookBody, ...errorResponses(400, 401, 403, 404, 415) } },
    },
    async (request) => renderWebhook(await engine.webhooks.update(actorOf(request), request.params.webhookId, request.body)),
  );

  r.delete(
    '/webhooks/:webhookId',
    { config, schema: { tags, summary: 'Delete a webhook endpoint and its deliveries', params: WebhookParams, response: { 204: Type.Null(), ...errorResponses(400, 401, 403, 404) } } },
    async (request, reply) => {
      await engine.webhooks.delete(actorOf(request), request.params.webhookId);
      return reply.code(204).send(null);
    },
  );

  r.post(
    '/webhooks/:webhookId/rotate-secret',
    {
      config,
      schema: {
        tags,
        summary: 'Rotate the signing secret (the new one is shown once; the old one signs too during the overlap)',
        params: WebhookParams,
        querystring: RotateQuery,
        response: { 200: CreatedWebhookBody, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const rotated = await engine.webhooks.rotateSecret(actorOf(request), request.params.webhookId, request.query.overlapSeconds);
      return { ...renderWebhook(rotated.endpoint), secret: rotated.secret };
    },
  );

  r.post(
    '/webhooks/:webhookId/test',
    {
      config,
      schema: { tags, summary: 'Send a `webhook.ping` as the endpoint\'s next delivery', params: WebhookParams, response: { 202: DeliveryBody, ...errorResponses(400, 401, 403, 404, 409) } },
    },
    async (request, reply) => {
      const delivery = await engine.webhooks.sendTest(actorOf(request), request.params.webhookId);
      reply.code(202);
      return renderDelivery(delivery);
    },
  );

  r.get(
    '/webhooks/:webhookId/deliveries',
    {
      config,
      schema: {
        tags,
        summary: 'The endpoint\'s deliveries, newest first, with every attempt',
        params: WebhookParams,
        querystring: DeliveryQuery,
        response: { 200: DeliveryListBody, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const { before, limit } = request.query;
      const deliveries = await engine.webhooks.deliveries(actorOf(request), request.params.webhookId, { limit, ...(before !== undefined && { beforeSeq: before }) });
      return { deliveries: deliveries.map(renderDelivery) };
    },
  );

  r.post(
    '/webhooks/:webhookId/deliveries/:deliveryId/redeliver',
    {
      config,
      schema: {
        tags,
        summary: 'Send a done or dead delivery again (same `webhook-id`), as the endpoint\'s next delivery',
        params: DeliveryParams,
        response: { 202: DeliveryBody, ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      const delivery = await engine.webhooks.redeliver(actorOf(request), request.params.webhookId, request.params.deliveryId);
      reply.code(202);
      return renderDelivery(delivery);
    },
  );
}
