/**
 * A job's live progress from GET /v1/imports/{id}/events (text/event-stream,
 * parsed with eventsource-parser, the widely used spec-complete SSE parser:
 * field rules, multi-line data, `retry:`, ids). The stream is re-opened with
 * Last-Event-ID whenever it ends before `done` or goes silent (the server sends
 * at least one event a second while the job runs, so silence means a dead
 * link), with a growing pause between failed attempts; after RECONNECT_GIVE_UP_MS
 * without a working connection it gives up with ServiceUnreachableError.
 * A refusal (404, 401) is thrown at once as ServiceError.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { ServiceError, ServiceUnreachableError, type ServiceClient } from './http.ts';
import type { ImportJob } from './importJob.ts';

/** No event for this long: the connection is taken as dead and re-opened. */
export const SILENCE_TIMEOUT_MS = 15_000;
/** Giving up after this long without a working connection (then: muster import --attach JOB). */
export const RECONNECT_GIVE_UP_MS = 10 * 60_000;
const MAX_PAUSE_MS = 30_000;

export interface JobEvent {
  readonly event: 'progress' | 'done';
  readonly job: ImportJob;
}

export interface WatchOptions {
  readonly signal?: AbortSignal;
  /** Told of each reconnect: the attempt's number and why the stream was re-opened. */
  readonly onReconnect?: (attempt: number, reason: string) => void;
}

/** The job's events until `done` (inclusive). Ends with an AbortError when `options.signal` aborts. */
export async function* watchJob(client: ServiceClient, jobId: string, options: WatchOptions = {}): AsyncGenerator<JobEvent> {
  let lastEventId: string | undefined;
  let retryMs = 1000;
  let pauseMs = retryMs;
  let failingSince: number | undefined;
  let attempt = 0;
  for (;;) {
    options.signal?.throwIfAborted();
    const connection = new AbortController();
    const abortConnection = () => connection.abort(options.signal?.reason);
    options.signal?.addEventListener('abort', abortConnection, { once: true });
    let silence = setTimeout(() => connection.abort(new Error('no event')), SILENCE_TIMEOUT_MS);
    let reason = 'the stream ended';
    try {
      const response = await client.open('GET', `/imports/${encodeURIComponent(jobId)}/events`, {
        headers: { accept: 'text/event-stream', ...(lastEventId !== undefined && { 'last-event-id': lastEventId }) },
        signal: connection.signal,
      });
      const received: EventSourceMessage[] = [];
      const parser = createParser({
        onEvent: (message) => received.push(message),
        onRetry: (ms) => (retryMs = pauseMs = Math.min(Math.max(ms, 100), MAX_PAUSE_MS)),
      });
      const decoder = new TextDecoder();
      for await (const chunk of response.body ?? []) {
        clearTimeout(silence);
        silence = setTimeout(() => connection.abort(new Error('no event')), SILENCE_TIMEOUT_MS);
        parser.feed(decoder.decode(chunk as Uint8Array, { stream: true }));
        for (const message of received.splice(0)) {
          if (message.id !== undefined) lastEventId = message.id;
          if (message.event !== 'progress' && message.event !== 'done') continue;
          failingSince = undefined;
          attempt = 0;
          pauseMs = retryMs;
          const job = JSON.parse(message.data) as ImportJob;
          yield { event: message.event, job };
          if (message.event === 'done') return;
        }
      }
    } catch (error) {
      if (options.signal?.aborted) throw options.signal.reason;
      if (error instanceof ServiceError) throw error;
      reason = error instanceof ServiceUnreachableError ? error.message : connection.signal.aborted ? `no event for ${SILENCE_TIMEOUT_MS / 1000} s` : (error as Error).message;
    } finally {
      clearTimeout(silence);
      options.signal?.removeEventListener('abort', abortConnection);
      connection.abort();
    }
    failingSince ??= Date.now();
    if (Date.now() - failingSince > RECONNECT_GIVE_UP_MS) {
      throw new ServiceUnreachableError(`lost the job's progress stream for ${RECONNECT_GIVE_UP_MS / 60_000} minutes (${reason}); the job goes on: muster import --attach ${jobId}`);
    }
    attempt += 1;
    options.onReconnect?.(attempt, reason);
    await sleep(pauseMs, undefined, options.signal && { signal: options.signal });
    pauseMs = Math.min(pauseMs * 2, MAX_PAUSE_MS);
  }
}
