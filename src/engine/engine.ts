/** The engine: every use case, over one context. Dialects and the CLI call only this. */
import type { EngineContext } from './context.ts';
import { accessKeyService } from './accessKeys.ts';
import { auditService } from './audit.ts';
import { directoryService } from './directories.ts';
import { groupService } from './groups.ts';
import { idempotencyService } from './idempotency.ts';
import { importService } from './imports/index.ts';
import { invitationService } from './invitations.ts';
import { lockoutService } from './lockouts.ts';
import { observabilityService } from './observability.ts';
import { queueService } from './queue.ts';
import { rateLimitService } from './rateLimits.ts';
import { registryService } from './registries.ts';
import { provisioningService } from './provisioning.ts';
import { tenantService } from './tenants.ts';
import { consoleSessionService } from './consoleSessions.ts';
import { userService } from './users.ts';
import { webhookService } from './webhooks.ts';

export function createEngine(ctx: EngineContext) {
  const lockouts = lockoutService(ctx);
  const invitations = invitationService(ctx, lockouts);
  const idempotency = idempotencyService(ctx);
  const provisioning = provisioningService(ctx, invitations, idempotency);
  const tenants = tenantService(ctx);
  return {
    provisioning,
    invitations,
    audit: auditService(ctx),
    queue: queueService(ctx),
    registries: registryService(ctx),
    accessKeys: accessKeyService(ctx),
    groups: groupService(ctx),
    idempotency,
    tenants,
    directories: directoryService(ctx),
    users: userService(ctx, provisioning, lockouts),
    imports: importService(ctx, provisioning),
    webhooks: webhookService(ctx),
    rateLimits: rateLimitService(ctx),
    observability: observabilityService(ctx),
    consoleSessions: consoleSessionService(ctx, tenants),
    /** True when the store answers a trivial query. */
    async isReady(): Promise<boolean> {
      try {
        await ctx.db.query('SELECT 1');
        return true;
      } catch {
        return false;
      }
    },
  };
}

export type Engine = ReturnType<typeof createEngine>;
