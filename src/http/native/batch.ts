/** Native batch create: `POST /v1/directories/{directory}/users/batch`, over the engine's createUsers. */
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { BatchPolicy } from '../../domain/batch.ts';
import type { Engine } from '../../engine/engine.ts';
import type { StoredResponse } from '../../engine/idempotency.ts';
import { actorOf } from '../auth/apiKeyAuth.ts';
import { sendIdempotent } from '../idempotency.ts';
import { plainJsonSerializer } from '../serialization.ts';
import { compileBodyValidator } from '../validation.ts';
import { errorResponses } from './openapi.ts';
import { Type } from 'typebox';
import { BatchBody, BatchResultBody, DirectoryParams, ErrorBody, IdempotencyHeaders } from './schemas.ts';
import { batchItemFromWire, renderBatch, renderErrorResponse } from './translate.ts';

/**
 * The request is validated as an envelope only: `users` must be an array, but
 * each item is validated by itself afterwards, so one bad item fails alone
 * with its index instead of failing the whole request.
 */
const envelopeSchema = { ...BatchBody, properties: { ...BatchBody.properties, users: { type: 'array', items: {} } } };

export function batchRoutes(app: FastifyInstance, engine: Engine): void {
  app.withTypeProvider<TypeBoxTypeProvider>().post(
    '/directories/:directory/users/batch',
    {
      config: { scope: 'users:write', batchUsersField: 'users' },
      validatorCompiler: ({ schema, httpPart }) => compileBodyValidator(httpPart === 'body' ? envelopeSchema : (schema as object)),
      serializerCompiler: plainJsonSerializer,
      schema: {
        tags: ['users'],
        summary: 'Create users in a batch',
        description:
          'Creates up to BATCH_MAX_ITEMS users (default 1000) in one transaction, with one result per item in input order. ' +
          '200 when the batch was processed (see `summary`); 422 with the same body when an atomic batch failed: nothing written, ' +
          'every item has its verdict (valid ones `batch.aborted`). Send `Idempotency-Key` to make retries safe: the first response is replayed ' +
          '(with `Idempotent-Replayed: true`), a different body with the same key is a 422, a concurrent one a 409.',
        params: DirectoryParams,
        headers: IdempotencyHeaders,
        body: BatchBody,
        response: {
          200: BatchResultBody,
          ...errorResponses(400, 401, 403, 404, 409, 413, 415),
          422: Type.Union([BatchResultBody, ErrorBody], {
            description: 'An atomic batch failed (results and summary, nothing written), or an Idempotency-Key was reused (error).',
          }),
        },
      },
    },
    async (request, reply) => {
      const actor = actorOf(request);
      const items = request.body.users.map(batchItemFromWire);
      const { mode, onConflict, dryRun, invite } = request.body;
      const policy: BatchPolicy = { mode, onConflict, dryRun, ...(invite && { invite }) };
      return sendIdempotent(request, reply, engine, actor, renderErrorResponse, async (owned) => {
        let recorded: StoredResponse | undefined;
        const outcome = await engine.provisioning.createUsers(actor, request.params.directory, items, policy, {
          ...(owned && { record: { owned, render: (committed) => (recorded = renderBatch(committed)) } }),
        });
        return recorded ?? renderBatch(outcome);
      });
    },
  );
}
