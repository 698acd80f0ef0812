/**
 * The admin console at /console: a browser client of the native API, never a
 * second implementation. This plugin serves only
 * - the session: POST /console/session exchanges an API key for an httpOnly
 *   SameSite=Strict cookie (Secure when PUBLIC_URL is https), GET describes it
 *   (with its CSRF token, for a page that reloads), DELETE signs out;
 * - the page: one HTML document for every /console path (the client routes),
 *   its scripts and styles, and the pinned libraries from node_modules through
 *   an import map (assets.ts), all under a strict Content-Security-Policy.
 * Every other call the page makes goes to /v1 with the cookie.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { MusterError } from '../../domain/errors.ts';
import type { Engine } from '../../engine/engine.ts';
import type { ConsoleSessionView } from '../../engine/consoleSessions.ts';
import { sessionCookie, sessionOf } from '../auth/consoleSession.ts';
import { loadConsoleAssets, type ConsoleAssets } from './assets.ts';

const SessionBody = Type.Object({
  tenantId: Type.String({ format: 'uuid' }),
  keyPrefix: Type.String({ description: 'The visible prefix of the key that signed in.' }),
  scopes: Type.Array(Type.String()),
  csrfToken: Type.String({ description: 'Send it as `X-CSRF-Token` on every write made with the session cookie.' }),
  expiresAt: Type.String({ format: 'date-time' }),
});

const SignInBody = Type.Object({ key: Type.String({ minLength: 1, maxLength: 512, description: 'An API key (mst_...).' }) }, { additionalProperties: false });

const ErrorBody = Type.Object({ error: Type.Object({ code: Type.String(), message: Type.String() }, { additionalProperties: true }) });

function hostOf(origin: string): string | undefined {
  try {
    return new URL(origin).host;
  } catch {
    return undefined;
  }
}

const renderSession = (session: ConsoleSessionView) => ({ ...session, scopes: [...session.scopes], expiresAt: session.expiresAt.toISOString() });

export interface ConsoleOptions {
  /** Mark the cookie Secure (PUBLIC_URL is https: the service is behind TLS). */
  readonly secureCookie: boolean;
}

export function consolePlugin(engine: Engine, options: ConsoleOptions) {
  return async function console(app: FastifyInstance): Promise<void> {
    const assets: ConsoleAssets = loadConsoleAssets();
    const r = app.withTypeProvider<TypeBoxTypeProvider>();
    const tags = ['console'];

    r.post(
      '/console/session',
      {
        schema: {
          tags,
          summary: 'Sign in to the console: exchange an API key for a session cookie',
          description: 'Sets the httpOnly session cookie; the key is not kept. The session has the key\'s scopes.',
          security: [],
          body: SignInBody,
          response: { 201: SessionBody, 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 415: ErrorBody },
        },
      },
      async (request, reply) => {
        // Sign-in takes JSON only, which a cross-site form cannot send; a browser's
        // Origin of another host is refused as well (no login CSRF).
        const origin = request.headers.origin;
        if (origin !== undefined && hostOf(origin) !== request.headers.host) throw new MusterError('auth.csrf_invalid', 'Sign in from the console\'s own page.');
        const { token, session } = await engine.consoleSessions.signIn(request.body.key);
        reply.header('set-cookie', sessionCookie(token, options.secureCookie)).header('cache-control', 'no-store');
        return reply.code(201).send(renderSession(session));
      },
    );

    r.get(
      '/console/session',
      { schema: { tags, summary: 'The signed-in console session and its CSRF token', security: [], response: { 200: SessionBody, 401: ErrorBody } } },
      async (request, reply) => {
        const session = sessionOf(request);
        if (!session) throw new MusterError('auth.missing', 'Not signed in to the console.');
        reply.header('cache-control', 'no-store');
        return renderSession(await engine.consoleSessions.describe(session.token));
      },
    );

    r.delete(
      '/console/session',
      { schema: { tags, summary: 'Sign out of the console (needs X-CSRF-Token)', security: [], response: { 204: Type.Null(), 403: ErrorBody } } },
      async (request, reply) => {
        const session = sessionOf(request);
        if (session) await engine.consoleSessions.signOut(session);
        return reply.header('set-cookie', sessionCookie(null, options.secureCookie)).code(204).send(null);
      },
    );

    const sendAsset = (reply: FastifyReply, path: string) => {
      const asset = assets.files.get(path);
      if (!asset) throw new MusterError('route.not_found', `No console asset ${path}.`);
      return reply.headers({ ...assets.headers, 'content-type': asset.type, 'cache-control': 'no-cache' }).send(asset.body);
    };
    app.get<{ Params: { '*': string } }>('/console/assets/*', { schema: { hide: true } }, async (request, reply) => sendAsset(reply, `assets/${request.params['*']}`));
    app.get<{ Params: { '*': string } }>('/console/vendor/*', { schema: { hide: true } }, async (request, reply) => sendAsset(reply, `vendor/${request.params['*']}`));
    const page = async (_request: unknown, reply: FastifyReply) =>
      reply.headers({ ...assets.headers, 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).send(assets.page);
    app.get('/console', { schema: { hide: true } }, page);
    app.get('/console/*', { schema: { hide: true } }, page);
  };
}
