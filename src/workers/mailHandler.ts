/**
 * The queue's `mail` kind: renders an invitation mail from its (opened)
 * payload and sends it, under the item's stable Message-ID. An SMTP 5xx is
 * permanent (the item is dead at once); anything else is retried.
 */
import type { InvitationMail } from '../engine/invitations.ts';
import type { InvitationTemplates } from '../mail/templates.ts';
import { PermanentMailError, SMTP_CONNECTIONS, type MailTransport } from '../mail/transport.ts';
import { PermanentFailure, type QueueHandler } from './queueRunner.ts';

export function mailHandler(transport: MailTransport, templates: InvitationTemplates, publicUrl: string): QueueHandler<InvitationMail> {
  return {
    kind: 'mail',
    batchSize: 50,
    concurrency: SMTP_CONNECTIONS,
    async handle({ item, payload: mail }) {
      const rendered = templates.render({
        name: mail.displayName ?? mail.username,
        username: mail.username,
        message: mail.message ?? '',
        link: `${publicUrl}/invite/${mail.token}`,
        expiresAt: new Date(mail.expiresAt).toUTCString(),
      });
      try {
        await transport.send({ messageId: item.dedupeKey, to: mail.to, ...rendered }, item.tenantId);
      } catch (error) {
        if (error instanceof PermanentMailError) throw new PermanentFailure(error.message);
        throw error;
      }
    },
  };
}
