/**
 * The invitation page, `/invite/{token}`: the invited person chooses a
 * password. GET shows the form (or why the link no longer works); POST sets the
 * password, activates the user, burns the token, and redirects (303) to the
 * inviter's redirect URL when the tenant's allow-list still allows it.
 *
 * Pages are HTML, never JSON or a stack trace: 404 for an unknown link, 410 for
 * an expired, used or revoked one, 400 when the password is refused. The token
 * is kept out of logs (see the request serialiser in app.ts) and out of
 * referrers; pages are not cached and cannot be framed.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import formbody from '@fastify/formbody';
import type { Engine } from '../../engine/engine.ts';
import { classifyError } from '../errors.ts';
import { donePage, errorPage, passwordForm, statePage, type PageState } from './pages.ts';

/** Tokens are 43 base64url characters; anything else is unknown without a lookup. */
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;
const PAGE_BODY_LIMIT = 16 * 1024;

const STATE_STATUS: Record<PageState, number> = { unknown: 404, expired: 410, used: 410, revoked: 410 };

function html(reply: FastifyReply, status: number, page: string): FastifyReply {
  return reply
    .code(status)
    .type('text/html; charset=utf-8')
    .header('cache-control', 'no-store')
    .header('referrer-policy', 'no-referrer')
    .header('x-content-type-options', 'nosniff')
    .header('x-frame-options', 'DENY')
    .header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'")
    .send(page);
}

export function invitePagePlugin(engine: Engine) {
  return async function invitePage(app: FastifyInstance): Promise<void> {
    await app.register(formbody, { bodyLimit: PAGE_BODY_LIMIT });
    app.setErrorHandler((error, request, reply) => {
      const { error: registered, unexpected } = classifyError(error, PAGE_BODY_LIMIT);
      if (unexpected) request.log.error({ err: error }, 'unexpected error on the invitation page');
      const retryAfter = registered.details?.retryAfterSeconds;
      if (typeof retryAfter === 'number') reply.header('retry-after', String(retryAfter));
      return html(reply, registered.status, errorPage(registered.status));
    });

    app.get<{ Params: { token: string } }>('/invite/:token', { schema: { hide: true } }, async (request, reply) => {
      const { token } = request.params;
      const state = TOKEN_SHAPE.test(token) ? await engine.invitations.inspect(token, request.ip) : ({ kind: 'unknown' } as const);
      if (state.kind !== 'valid') return html(reply, STATE_STATUS[state.kind], statePage(state.kind));
      return html(reply, 200, passwordForm(state.username, state.expiresAt));
    });

    app.post<{ Params: { token: string }; Body: { password?: unknown; confirm?: unknown } }>(
      '/invite/:token',
      { schema: { hide: true } },
      async (request, reply) => {
        const { token } = request.params;
        if (!TOKEN_SHAPE.test(token)) return html(reply, 404, statePage('unknown'));
        const state = await engine.invitations.inspect(token, request.ip);
        if (state.kind !== 'valid') return html(reply, STATE_STATUS[state.kind], statePage(state.kind));
        const password = typeof request.body?.password === 'string' ? request.body.password : '';
        const confirm = typeof request.body?.confirm === 'string' ? request.body.confirm : '';
        if (password !== confirm) return html(reply, 400, passwordForm(state.username, state.expiresAt, 'The two passwords do not match.'));

        const outcome = await engine.invitations.accept(token, password, request.id, request.ip);
        if (outcome.kind === 'weak_password') return html(reply, 400, passwordForm(state.username, state.expiresAt, outcome.message));
        if (outcome.kind === 'invalid') return html(reply, STATE_STATUS[outcome.state], statePage(outcome.state));
        if (outcome.redirectUrl) return reply.code(303).header('referrer-policy', 'no-referrer').header('cache-control', 'no-store').redirect(outcome.redirectUrl, 303);
        return html(reply, 200, donePage(outcome.user.username));
      },
    );
  };
}
