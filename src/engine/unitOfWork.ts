/**
 * The unit of work: every write of every use case runs in one. It opens the
 * transaction and hands the use case
 * - `tx`, the transaction handle every query of the write goes through;
 * - `actor`, who the write is for, and `now`, one clock reading for the unit;
 * - `emit(events)`, which buffers domain events: they are written in ONE
 *   statement, in the same transaction, just before COMMIT, so a batch of a
 *   thousand users costs one insert of a thousand events and a rollback writes
 *   none;
 * - `beforeCommit(participant)`: work that must commit with the write or not at
 *   all (recording an idempotent response, an import checkpoint). Participants
 *   run in registration order after the use case returns, and may emit;
 * - `afterCommit(hook)`: runs only once the transaction has committed (waking a
 *   queue worker). A hook is a wake-up and must not throw.
 *
 * After the events, still inside the transaction, they fan out to the
 * tenant's webhook endpoints (engine/webhookFanOut.ts: deliveries queued in
 * commit order per endpoint; the HTTP calls happen later, in a worker).
 *
 * A unit whose work (or a participant) throws rolls back whole: no change, no
 * event, no participant's write. Each call of `inUnitOfWork` is one attempt:
 * callers that retry a deadlock victim call it again, and nothing of the
 * rolled-back attempt (events included) carries over.
 */
import type { Actor } from '../domain/actor.ts';
import { assertCredentialFree, type DomainEvent } from '../domain/events.ts';
import type { Queryable } from '../store/ports.ts';
import { insertEvents } from '../store/repositories/events.ts';
import { fanOutToWebhooks } from './webhookFanOut.ts';
import type { EngineContext } from './context.ts';

export interface UnitOfWork {
  readonly tx: Queryable;
  readonly actor: Actor;
  readonly now: Date;
  emit(...events: readonly DomainEvent[]): void;
  beforeCommit(participant: (tx: Queryable) => Promise<void>): void;
  afterCommit(hook: () => void): void;
}

/** Runs `work` in one unit of work for `actor`; see the module contract. */
export async function inUnitOfWork<T>(ctx: EngineContext, actor: Actor, work: (uow: UnitOfWork) => Promise<T>): Promise<T> {
  const afterCommit: (() => void)[] = [];
  const events: DomainEvent[] = [];
  const result = await ctx.db.transaction(async (tx) => {
    const participants: ((tx: Queryable) => Promise<void>)[] = [];
    const now = ctx.now();
    const uow: UnitOfWork = {
      tx,
      actor,
      now,
      emit(...emitted) {
        for (const event of emitted) {
          assertCredentialFree(event);
          events.push(event);
        }
      },
      beforeCommit: (participant) => void participants.push(participant),
      afterCommit: (hook) => void afterCommit.push(hook),
    };
    const value = await work(uow);
    for (const participant of participants) await participant(tx);
    const ids = await insertEvents(tx, actor, now, events);
    const committed = events.map((event, i) => ({ id: ids[i]!, event }));
    if (await fanOutToWebhooks(ctx, tx, actor, now, committed)) afterCommit.push(ctx.notifyOutbox);
    return value;
  });
  for (const hook of afterCommit) hook();
  ctx.onEventsCommitted?.(events);
  return result;
}
