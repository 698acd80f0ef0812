/**
 * The Royalti dialect, mounted at `/user`: `POST /user/bulk` (seed 004), a partial-success batch
 * that invites every created user by email. Authentication is a JWT bearer
 * token: one from muster's POST /v1/tokens, or from an external issuer the
 * deployment trusts (JWT_EXTERNAL_JWKS_URL). Royalti accounts map to the
 * tenant's `royalti` directory, created on first use. Decisions where the seed
 * is silent are in docs/dialects/royalti.md.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type, type Static } from 'typebox';
import { hasScope, type Principal } from '../../domain/apiKey.ts';
import { MusterError } from '../../domain/errors.ts';
import type { ItemResult } from '../../domain/batch.ts';
import type { UserDraft } from '../../domain/user.ts';
import { InvalidTokenError, type JwtAuthority } from '../../crypto/jwt.ts';
import type { Engine } from '../../engine/engine.ts';
import { credentialFromHeader } from '../auth/bearer.ts';
import { useErrorShape } from '../errors.ts';

export const ROYALTI_DIRECTORY = 'royalti';

const RoyaltiUser = Type.Object({
  firstName: Type.Optional(Type.String({ maxLength: 256 })),
  lastName: Type.Optional(Type.String({ maxLength: 256 })),
  nickName: Type.Optional(Type.String({ maxLength: 256 })),
  userType: Type.Optional(Type.String({ maxLength: 64 })),
  email: Type.Optional(Type.String({ maxLength: 320 })),
  ipi: Type.Optional(Type.String({ maxLength: 64 })),
  role: Type.Optional(Type.String({ maxLength: 64 })),
  phone: Type.Optional(Type.String({ maxLength: 64 })),
  country: Type.Optional(Type.String({ maxLength: 64 })),
});
type RoyaltiUserWire = Static<typeof RoyaltiUser>;

const BulkBody = Type.Object({
  users: Type.Array(RoyaltiUser, { minItems: 1, description: 'At most BATCH_MAX_ITEMS (default 1000).' }),
  sendEmail: Type.Boolean({ default: true, description: 'Invite every created user by email.' }),
  redirect_url: Type.Optional(Type.String({ maxLength: 2048, description: 'Where the invitation page sends people; must be on the tenant\'s allow-list.' })),
  message: Type.Optional(Type.String({ maxLength: 2000, description: 'A custom message in the invitation mail.' })),
});

const BulkResult = Type.Object({
  message: Type.String(),
  createdUsers: Type.Array(Type.String()),
  processedCount: Type.Integer(),
  errors: Type.Array(Type.String()),
});

export const RoyaltiError = Type.Object({
  success: Type.Boolean(),
  error: Type.Object({ code: Type.String(), message: Type.String(), details: Type.Unknown() }),
});

const CODE_BY_STATUS: Record<number, string> = {
  400: 'VALIDATION_ERROR',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  503: 'SERVICE_UNAVAILABLE',
};

/** `{"success": false, "error": {"code", "message", "details"}}`, details carrying muster's code. */
function sendError(reply: FastifyReply, error: MusterError) {
  return reply.code(error.status).send({
    success: false,
    error: { code: CODE_BY_STATUS[error.status] ?? 'INTERNAL_SERVER_ERROR', message: error.message, details: { code: error.code, ...error.details } },
  });
}

/** The name Royalti's messages use for a user. */
function nameOf(user: RoyaltiUserWire): string {
  return [user.firstName, user.lastName].filter(Boolean).join(' ') || user.email || 'unnamed user';
}

function draftOf(user: RoyaltiUserWire, invite: boolean): UserDraft {
  const attributes = Object.fromEntries(
    (['nickName', 'userType', 'ipi', 'role', 'country'] as const).flatMap((k) => (user[k] === undefined ? [] : [[k, user[k]]])),
  );
  const displayName = [user.firstName, user.lastName].filter(Boolean).join(' ');
  return {
    username: user.email ?? '',
    ...(user.email !== undefined && { email: user.email }),
    ...(user.firstName !== undefined && { givenName: user.firstName }),
    ...(user.lastName !== undefined && { familyName: user.lastName }),
    ...(displayName !== '' && { displayName }),
    ...(user.phone !== undefined && { phone: user.phone }),
    status: 'pending',
    invite,
    attributes: { royalti: attributes },
  };
}

/** The seed's wording for a user that was not created. */
function errorLine(result: Extract<ItemResult, { status: 'failed' }>, user: RoyaltiUserWire): string {
  const name = nameOf(user);
  switch (result.error.code) {
    case 'user.username_taken':
    case 'user.email_taken':
    case 'batch.duplicate_in_batch':
      return `User ${name} already associated with workspace!`;
    case 'user.invalid_email':
      return `Invalid email format for ${name}`;
    case 'user.invalid_username':
    case 'invitation.email_required':
      return `Email is required for ${name}`;
    default: {
      const field = result.error.details?.field;
      return `Invalid ${typeof field === 'string' ? field : 'data'} for ${name}`;
    }
  }
}

export function royaltiPlugin(engine: Engine, jwt: JwtAuthority) {
  return async function royalti(app: FastifyInstance): Promise<void> {
    useErrorShape(app, sendError);
    if (!app.hasRequestDecorator('principal')) app.decorateRequest('principal', null);
    app.addHook('onRequest', async (request) => {
      const token = credentialFromHeader(request.headers.authorization, 'Bearer');
      let principal: Principal;
      try {
        const grant = await jwt.verify(token);
        principal = { tenantId: grant.tenantId, keyId: grant.subject, scopes: grant.scopes };
      } catch (error) {
        if (error instanceof InvalidTokenError) throw new MusterError('auth.invalid_token', `The bearer token is not valid: ${error.message}.`);
        throw error;
      }
      const required = request.routeOptions.config.scope;
      if (required && !hasScope(principal, required)) throw new MusterError('auth.insufficient_scope', `This operation needs the ${required} scope.`, { requiredScope: required });
      request.principal = principal;
    });

    app.withTypeProvider<TypeBoxTypeProvider>().post(
      '/bulk',
      {
        config: { scope: 'users:write' },
        schema: {
          tags: ['royalti'],
          security: [{ royaltiJwt: [] }],
          summary: 'Create users in bulk (seed 004): valid users are created, the rest reported',
          body: BulkBody,
          response: { 201: BulkResult, 400: RoyaltiError, 401: RoyaltiError, 403: RoyaltiError, 404: RoyaltiError, 413: RoyaltiError, 500: RoyaltiError },
        },
      },
      async (request, reply) => {
        const { tenantId } = request.principal!;
        const { users, sendEmail, redirect_url: redirectUrl, message } = request.body;
        const directory = await engine.directories.ensureDirectory(tenantId, ROYALTI_DIRECTORY);
        const outcome = await engine.provisioning.createUsers(
          tenantId,
          directory.id,
          users.map((user) => ({ draft: draftOf(user, sendEmail) })),
          {
            mode: 'partial',
            onConflict: 'fail',
            dryRun: false,
            ...(sendEmail && { invite: { ...(redirectUrl !== undefined && { redirectUrl }), ...(message !== undefined && { message }) } }),
          },
        );
        return reply.code(201).send({
          message: 'Done.',
          createdUsers: outcome.results.flatMap((r) => (r.status === 'created' ? [nameOf(users[r.index]!)] : [])),
          processedCount: users.length,
          errors: outcome.results.flatMap((r) => (r.status === 'failed' ? [errorLine(r, users[r.index]!)] : [])),
        });
      },
    );
  };
}
