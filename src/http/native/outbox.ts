/** Native operations routes for mail: the mail queue's depth and dead messages (`/v1/outbox`), and the local .eml files. */
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { MusterError } from '../../domain/errors.ts';
import type { Engine } from '../../engine/engine.ts';
import type { MailFolder } from '../../mail/transport.ts';
import { actorOf } from '../auth/apiKeyAuth.ts';
import { errorResponses } from './openapi.ts';
import { MailListBody, MailParams, OutboxBody } from './schemas.ts';

export function outboxRoutes(app: FastifyInstance, engine: Engine, mailFolder: MailFolder | undefined): void {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['mail'];

  r.get(
    '/outbox',
    {
      config: { scope: 'admin' },
      schema: { tags, summary: "The tenant's outbox: depth, attempts, dead messages", response: { 200: OutboxBody, ...errorResponses(401, 403) } },
    },
    async (request) => {
      const actor = actorOf(request);
      const [stats, dead] = await Promise.all([engine.queue.stats('mail', actor.tenantId), engine.queue.dead('mail', actor.tenantId)]);
      const { done, ...counts } = stats;
      return {
        ...counts,
        sent: done,
        deadMessages: dead.map((d) => ({ id: d.id, messageId: d.dedupeKey, recipient: d.target, attempts: d.attempts, lastError: d.lastError, createdAt: d.createdAt.toISOString() })),
      };
    },
  );

  r.get(
    '/mail',
    {
      config: { scope: 'admin' },
      schema: {
        tags,
        summary: 'Mail written as .eml files (only without SMTP_URL)',
        response: { 200: MailListBody, ...errorResponses(401, 403, 404) },
      },
    },
    async (request) => {
      if (!mailFolder) throw new MusterError('mail.not_file_transport');
      const messages = mailFolder.list(actorOf(request).tenantId);
      return { messages: messages.map((m) => ({ ...m, createdAt: m.createdAt.toISOString() })) };
    },
  );

  r.get(
    '/mail/:file',
    {
      config: { scope: 'admin' },
      schema: {
        tags,
        summary: 'One .eml file, as message/rfc822',
        params: MailParams,
        response: { 200: Type.Unsafe<Buffer>({ type: 'string', format: 'binary', description: 'The message (message/rfc822).' }), ...errorResponses(401, 403, 404) },
      },
    },
    async (request, reply) => {
      if (!mailFolder) throw new MusterError('mail.not_file_transport');
      return reply.type('message/rfc822').send(mailFolder.read(actorOf(request).tenantId, request.params.file));
    },
  );
}
