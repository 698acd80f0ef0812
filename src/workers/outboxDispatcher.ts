/**
 * The outbox dispatcher: claims due messages (FOR UPDATE SKIP LOCKED, under a
 * lease, so any number of instances can run one), renders and sends each,
 * and records the outcome. It wakes when a transaction queues mail, and
 * otherwise polls every OUTBOX_POLL_MS. Stopping lets the sends in flight
 * finish; a process killed mid-send leaves leases that run out, and those
 * messages are sent again after restart, under the same Message-ID.
 */
import type { FastifyBaseLogger } from 'fastify';
import type { Engine } from '../engine/engine.ts';
import type { ClaimedInvitationMail } from '../engine/outbox.ts';
import type { InvitationTemplates } from '../mail/templates.ts';
import { PermanentMailError, SMTP_CONNECTIONS, type MailTransport } from '../mail/transport.ts';

export interface DispatcherOptions {
  readonly engine: Engine;
  readonly transport: MailTransport;
  readonly templates: InvitationTemplates;
  /** The service's public address, for links in mail. */
  readonly publicUrl: string;
  readonly log: FastifyBaseLogger;
  readonly pollMs: number;
  /** Messages claimed at once, and sent at once. */
  readonly batchSize?: number;
  readonly concurrency?: number;
}

export interface Dispatcher {
  /** Look for due messages now. */
  wake(): void;
  /** Stops claiming, waits for the sends in flight. */
  stop(): Promise<void>;
}

/** How often the outbox's depth is logged while it has work. */
const DEPTH_LOG_INTERVAL_MS = 60_000;

export function startOutboxDispatcher(options: DispatcherOptions): Dispatcher {
  const { engine, transport, templates, log } = options;
  const batchSize = options.batchSize ?? 50;
  const concurrency = options.concurrency ?? SMTP_CONNECTIONS;
  let running = true;
  let wakeUp: (() => void) | undefined;
  /** Set by a wake that came while the loop was busy, so it is not lost. */
  let woken = false;
  let lastDepthLog = 0;

  async function deliver({ claim, mail }: ClaimedInvitationMail): Promise<void> {
    const rendered = templates.render({
      name: mail.displayName ?? mail.username,
      username: mail.username,
      message: mail.message ?? '',
      link: `${options.publicUrl}/invite/${mail.token}`,
      expiresAt: new Date(mail.expiresAt).toUTCString(),
    });
    try {
      await transport.send({ messageId: claim.messageId, to: mail.to, ...rendered }, claim.tenantId);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const dead = await engine.outbox.failed(claim, message, error instanceof PermanentMailError);
      const entry = { messageId: claim.messageId, attempt: claim.attempt, error: message };
      if (dead) log.error(entry, 'mail is dead: no more attempts');
      else log.warn(entry, 'mail attempt failed; will retry');
      return;
    }
    await engine.outbox.delivered(claim);
    log.debug({ messageId: claim.messageId, attempt: claim.attempt }, 'mail sent');
  }

  async function logDepth(): Promise<void> {
    if (Date.now() - lastDepthLog < DEPTH_LOG_INTERVAL_MS) return;
    lastDepthLog = Date.now();
    const stats = await engine.outbox.stats(null);
    if (stats.pending > 0 || stats.dead > 0) log.info({ outbox: stats }, 'outbox depth');
  }

  async function loop(): Promise<void> {
    while (running) {
      /** A full batch means more may be due: claim again at once. */
      let full = false;
      try {
        const claimed = await engine.outbox.claim(batchSize);
        for (let i = 0; i < claimed.length; i += concurrency) {
          await Promise.all(claimed.slice(i, i + concurrency).map(deliver));
        }
        full = claimed.length === batchSize;
        await logDepth();
      } catch (error) {
        log.error({ err: error }, 'outbox dispatch failed; retrying after the poll interval');
      }
      if (running && !full && !woken) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, options.pollMs);
          wakeUp = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        wakeUp = undefined;
      }
      woken = false;
    }
  }

  const done = loop();
  return {
    wake: () => {
      woken = true;
      wakeUp?.();
    },
    async stop() {
      running = false;
      wakeUp?.();
      await done;
    },
  };
}
