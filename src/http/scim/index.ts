/**
 * The SCIM 2.0 dialect (RFC 7643/7644), for identity providers (Okta, Entra
 * ID) and HR systems. Mounted twice: `/scim/v2/{directory}/...` addresses a
 * directory of the caller's tenant by name or id, and `/scim/v2/...` the
 * tenant's directory named `scim`, created on first use. Directory names are
 * lower case, so they never collide with SCIM's endpoints (`Users`, `Schemas`).
 *
 * Shape: auth.ts (Bearer API key or JWT), registry.ts (the attribute registry)
 * -> discovery.ts, resource.ts (reading input), projection.ts, filter.ts,
 * patch.ts; userTranslate.ts and groupTranslate.ts map resources to muster's
 * users and groups; users.ts and groups.ts have the routes, bulk.ts /Bulk. Errors are SCIM Error bodies (errors.ts); content is
 * `application/scim+json` both ways (`application/json` accepted).
 * Decisions where the RFCs leave a choice: docs/dialects/scim.md.
 */
import type { FastifyInstance } from 'fastify';
import type { ScimConfig } from '../../config.ts';
import type { JwtAuthority } from '../../crypto/jwt.ts';
import type { Engine } from '../../engine/engine.ts';
import { useErrorShape } from '../errors.ts';
import { useScimAuth } from './auth.ts';
import { renderScimError, SCIM_CONTENT_TYPE } from './errors.ts';
import { discoveryRoutes } from './discoveryRoutes.ts';
import { bulkRoutes } from './bulk.ts';
import { groupRoutes } from './groups.ts';
import { userRoutes } from './users.ts';

export { renderScimError } from './errors.ts';

export interface ScimLimits extends ScimConfig {
  readonly bodyLimitBytes: number;
  /** BATCH_MAX_ITEMS: a Bulk run of creates longer than this goes in several batches. */
  readonly batchMaxItems: number;
}

export interface ScimOptions {
  readonly engine: Engine;
  readonly jwt: JwtAuthority;
  readonly limits: ScimLimits;
  /** The service's public address, for `meta.location` and `Location`. */
  readonly publicUrl: string;
}

/** `application/scim+json` parsed as JSON (an empty body is no body, as for application/json). */
function acceptScimJson(app: FastifyInstance): void {
  const json = app.getDefaultJsonParser('error', 'error');
  app.addContentTypeParser('application/scim+json', { parseAs: 'string' }, (request, body, done) => {
    if (body === '') done(null, undefined);
    else void json(request, body as string, done);
  });
}

function scimPlugin(options: ScimOptions) {
  return async function scim(app: FastifyInstance): Promise<void> {
    useErrorShape(app, renderScimError);
    acceptScimJson(app);
    useScimAuth(app, options.engine, options.jwt);
    app.addHook('onSend', async (_request, reply, payload) => {
      const type = reply.getHeader('content-type');
      if (payload !== null && payload !== undefined && payload !== '' && (type === undefined || String(type).startsWith('application/json'))) reply.header('content-type', SCIM_CONTENT_TYPE);
      return payload;
    });
    discoveryRoutes(app, options);
    userRoutes(app, options);
    groupRoutes(app, options);
    bulkRoutes(app, options);
  };
}

/** Registers the dialect at `/scim/v2` (the `scim` directory) and `/scim/v2/:directory`. */
export async function scimPlugins(app: FastifyInstance, options: ScimOptions): Promise<void> {
  await app.register(scimPlugin(options), { prefix: '/scim/v2' });
  await app.register(scimPlugin(options), { prefix: '/scim/v2/:directory' });
}
