/**
 * The queue's `webhook` kind: signs one message the Standard Webhooks way and
 * POSTs it to its endpoint (net/checkedHttps.ts: https, the address checked
 * at delivery time and pinned, no redirects, a bounded response read, a
 * timeout).
 *
 * Headers: `webhook-id` (the delivery's message id, the same on every
 * attempt, so receivers deduplicate), `webhook-timestamp` (this attempt's
 * time, in seconds) and `webhook-signature`: `v1,` + base64 HMAC-SHA256 of
 * `id.timestamp.body` under each signing secret (two, space-separated, while a
 * rotated secret's overlap lasts).
 *
 * Outcome: a 2xx is done. A 410 Gone disables the endpoint (the reason is on
 * the endpoint) and ends the delivery. Anything else (another status, a
 * refused address, a network or TLS error, the timeout) fails the attempt:
 * it is retried on `retryScheduleMs`, and an endpoint whose every attempt has
 * failed for `disableAfterHours` is disabled with the reason. A delivery whose
 * endpoint is disabled or deleted ends without a call.
 */
import { createHmac } from 'node:crypto';
import type { Engine } from '../engine/engine.ts';
import { WEBHOOK_SECRET_PREFIX } from '../engine/webhooks.ts';
import type { WebhookMessage } from '../domain/webhook.ts';
import { checkedPoster } from '../net/checkedHttps.ts';
import { PermanentFailure, type QueueHandler } from './queueRunner.ts';

/** How much of a receiver's answer is read (and kept, for a failure's reason). */
export const WEBHOOK_RESPONSE_LIMIT_BYTES = 4096;
/** How much of a failing answer's body goes into the delivery's error. */
const ERROR_BODY_CHARS = 200;

export interface WebhookHandlerOptions {
  readonly allowPrivateAddresses: boolean;
  readonly extraCa: readonly string[];
  readonly timeoutMs: number;
  readonly retryScheduleMs: readonly number[];
  readonly disableAfterHours: number;
}

/** The `webhook-signature` value: one `v1,<base64>` per secret. */
export function signatureHeader(secrets: readonly string[], messageId: string, timestamp: number, body: string): string {
  return secrets
    .map((secret) => {
      const key = Buffer.from(secret.startsWith(WEBHOOK_SECRET_PREFIX) ? secret.slice(WEBHOOK_SECRET_PREFIX.length) : secret, 'base64');
      return `v1,${createHmac('sha256', key).update(`${messageId}.${timestamp}.${body}`).digest('base64')}`;
    })
    .join(' ');
}

export function webhookHandler(engine: Engine, options: WebhookHandlerOptions): QueueHandler<WebhookMessage> {
  const post = checkedPoster({ allowPrivate: options.allowPrivateAddresses, extraCa: options.extraCa, timeoutMs: options.timeoutMs, maxResponseBytes: WEBHOOK_RESPONSE_LIMIT_BYTES });
  return {
    kind: 'webhook',
    // One round per claim (batch = concurrency): every claimed delivery ends
    // within one timeout, so within its lease (main.ts keeps the timeout
    // under half the lease).
    batchSize: 10,
    concurrency: 10,
    retryDelaysMs: options.retryScheduleMs,
    async handle({ item, payload: message }) {
      const endpointId = item.target;
      const target = await engine.webhooks.deliveryTarget(item.tenantId, endpointId);
      if (!target) throw new PermanentFailure('the endpoint was deleted');
      if (!target.enabled) throw new PermanentFailure('the endpoint is disabled');
      const body = JSON.stringify(message);
      const timestamp = Math.floor(Date.now() / 1000);
      const headers = {
        'webhook-id': item.dedupeKey,
        'webhook-timestamp': String(timestamp),
        'webhook-signature': signatureHeader(target.secrets, item.dedupeKey, timestamp, body),
        'user-agent': 'muster-webhooks',
      };
      let failure: string;
      try {
        const answer = await post(target.url, headers, body);
        if (answer.status >= 200 && answer.status < 300) {
          if (target.failing) await engine.webhooks.attemptSucceeded(item.tenantId, endpointId);
          return;
        }
        if (answer.status === 410) {
          await engine.webhooks.disable(item.tenantId, endpointId, `Disabled by muster: the endpoint answered 410 Gone at ${new Date().toISOString()}.`);
          throw new PermanentFailure('HTTP 410 Gone: the endpoint is disabled');
        }
        const snippet = answer.body.slice(0, ERROR_BODY_CHARS).replace(/\s+/g, ' ').trim();
        failure = `HTTP ${answer.status}${answer.status >= 300 && answer.status < 400 ? ' (redirects are not followed)' : ''}${snippet ? `: ${snippet}` : ''}`;
      } catch (error) {
        if (error instanceof PermanentFailure) throw error;
        failure = error instanceof Error ? error.message : String(error);
      }
      const disabled = await engine.webhooks.attemptFailed(item.tenantId, endpointId, options.disableAfterHours);
      if (disabled) throw new PermanentFailure(`${failure}; the endpoint is disabled after failing for ${options.disableAfterHours} hours`);
      throw new Error(failure);
    },
  };
}
