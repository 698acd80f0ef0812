/** Native invitation routes: a user's invitation status, resend, revoke; the tenant's redirect allow-list. */
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Engine } from '../../engine/engine.ts';
import { actorOf } from '../auth/apiKeyAuth.ts';
import { errorResponses } from './openapi.ts';
import { renderInvitation } from './render.ts';
import { AllowlistBody, InvitationBody, InviteBody, UserParams } from './schemas.ts';

export function invitationRoutes(app: FastifyInstance, engine: Engine): void {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['invitations'];
  const base = '/directories/:directory/users/:userId/invitation';

  r.get(
    base,
    {
      config: { scope: 'users:read' },
      schema: {
        tags,
        summary: "A user's latest invitation and the delivery of its mail",
        params: UserParams,
        response: { 200: InvitationBody, ...errorResponses(401, 403, 404) },
      },
    },
    async (request) =>
      renderInvitation(await engine.invitations.status(actorOf(request), request.params.directory, request.params.userId)),
  );

  r.post(
    `${base}/resend`,
    {
      config: { scope: 'users:write' },
      // The body is optional: what it leaves out is the previous invitation's.
      preValidation: async (request) => {
        request.body ??= {};
      },
      schema: {
        tags,
        summary: 'Send a new invitation (the previous link stops working)',
        description: 'The user must be `pending` and have an email. The body is optional; a redirectUrl or message it does not give is the previous invitation\'s.',
        params: UserParams,
        body: InviteBody,
        response: { 202: InvitationBody, ...errorResponses(400, 401, 403, 404, 409, 415) },
      },
    },
    async (request, reply) => {
      const view = await engine.invitations.resend(actorOf(request), request.params.directory, request.params.userId, request.body);
      return reply.code(202).send(renderInvitation(view));
    },
  );

  r.post(
    `${base}/revoke`,
    {
      config: { scope: 'users:write' },
      schema: {
        tags,
        summary: "Revoke a user's pending invitation",
        params: UserParams,
        response: { 200: InvitationBody, ...errorResponses(401, 403, 404, 409) },
      },
    },
    async (request) =>
      renderInvitation(await engine.invitations.revoke(actorOf(request), request.params.directory, request.params.userId)),
  );

  r.get(
    '/settings/redirect-allowlist',
    {
      config: { scope: 'admin' },
      schema: { tags, summary: 'The URLs invitation redirects may go to', response: { 200: AllowlistBody, ...errorResponses(401, 403) } },
    },
    async (request) => ({ allowed: await engine.invitations.getAllowlist(actorOf(request)) }),
  );

  r.put(
    '/settings/redirect-allowlist',
    {
      config: { scope: 'admin' },
      schema: {
        tags,
        summary: 'Replace the URLs invitation redirects may go to',
        body: AllowlistBody,
        response: { 200: AllowlistBody, ...errorResponses(400, 401, 403, 415) },
      },
    },
    async (request) => ({ allowed: await engine.invitations.setAllowlist(actorOf(request), request.body.allowed) }),
  );
}
