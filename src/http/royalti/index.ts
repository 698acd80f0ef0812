/**
 * The Royalti dialect, mounted at `/user`: `POST /user/bulk` (seed 004), a partial-success batch
 * that invites every created user by email. Authentication is a JWT bearer
 * token: one from muster's POST /v1/tokens, or from an external issuer the
 * deployment trusts (JWT_EXTERNAL_JWKS_URL). Royalti accounts map to the
 * tenant's `royalti` directory, created on first use. Decisions where the seed
 * is silent are in docs/dialects/royalti.md.
 */
import type { FastifyInstance } from 'fastify';
import type { StoredResponse } from '../../engine/idempotency.ts';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { MusterError } from '../../domain/errors.ts';
import type { JwtAuthority } from '../../crypto/jwt.ts';
import type { Engine } from '../../engine/engine.ts';
import { actorOf } from '../auth/apiKeyAuth.ts';
import { useJwtAuth } from '../auth/jwtAuth.ts';
import { useErrorShape } from '../errors.ts';
import { BulkBody, BulkResult, RoyaltiError } from './schemas.ts';
import { bulkAnswer, draftOf, errorBody } from './translate.ts';

export const ROYALTI_DIRECTORY = 'royalti';

/** Seed 004's `Error` for every failure (translate.ts builds the body). */
export const renderRoyaltiError = (error: MusterError): StoredResponse => ({ status: error.status, body: errorBody(error) });

export function royaltiPlugin(engine: Engine, jwt: JwtAuthority) {
  return async function royalti(app: FastifyInstance): Promise<void> {
    useErrorShape(app, renderRoyaltiError);
    useJwtAuth(app, jwt, 'royalti');

    app.withTypeProvider<TypeBoxTypeProvider>().post(
      '/bulk',
      {
        config: { scope: 'users:write', batchUsersField: 'users' },
        schema: {
          tags: ['royalti'],
          security: [{ royaltiJwt: [] }],
          summary: 'Create users in bulk (seed 004): valid users are created, the rest reported',
          body: BulkBody,
          response: { 201: BulkResult, 400: RoyaltiError, 401: RoyaltiError, 403: RoyaltiError, 404: RoyaltiError, 413: RoyaltiError, 500: RoyaltiError },
        },
      },
      async (request, reply) => {
        const actor = actorOf(request);
        const { users, sendEmail, redirect_url: redirectUrl, message } = request.body;
        const directory = await engine.directories.ensureDirectory(actor, ROYALTI_DIRECTORY);
        const outcome = await engine.provisioning.createUsers(
          actor,
          directory.id,
          users.map((user) => ({ draft: draftOf(user, sendEmail) })),
          {
            mode: 'partial',
            onConflict: 'fail',
            dryRun: false,
            ...(sendEmail && { invite: { ...(redirectUrl !== undefined && { redirectUrl }), ...(message !== undefined && { message }) } }),
          },
        );
        return reply.code(201).send(bulkAnswer(outcome, users));
      },
    );
  };
}
