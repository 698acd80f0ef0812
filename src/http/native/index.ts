/**
 * The native dialect, mounted at `/v1`: API-key authentication, the native
 * error shape `{"error": {"code", "message", "details"?}}`, and its routes.
 */
import type { FastifyInstance } from 'fastify';
import type { Engine } from '../../engine/engine.ts';
import { useApiKeyAuth } from '../auth/apiKeyAuth.ts';
import { apiKeyRoutes } from './apiKeys.ts';
import { auditRoutes } from './audit.ts';
import { batchRoutes } from './batch.ts';
import { tokenRoutes } from './tokens.ts';
import type { JwtAuthority } from '../../crypto/jwt.ts';
import { groupRoutes } from './groups.ts';
import { importRoutes } from './imports.ts';
import { invitationRoutes } from './invitations.ts';
import { outboxRoutes } from './outbox.ts';
import type { MailFolder } from '../../mail/transport.ts';
import { directoryRoutes } from './directories.ts';
import { tenantRoutes } from './tenants.ts';
import { userRoutes } from './users.ts';
import { webhookRoutes } from './webhooks.ts';
import { exportRoutes } from './export.ts';

export function nativePlugin(engine: Engine, jwt: JwtAuthority, mailFolder: MailFolder | undefined) {
  return async function native(app: FastifyInstance): Promise<void> {
    useApiKeyAuth(app, engine, 'native', 'Bearer', { consoleSessions: true });
    directoryRoutes(app, engine);
    userRoutes(app, engine);
    batchRoutes(app, engine);
    apiKeyRoutes(app, engine);
    tokenRoutes(app, jwt);
    invitationRoutes(app, engine);
    groupRoutes(app, engine);
    outboxRoutes(app, engine, mailFolder);
    auditRoutes(app, engine);
    tenantRoutes(app, engine);
    importRoutes(app, engine);
    webhookRoutes(app, engine);
    exportRoutes(app, engine);
  };
}
