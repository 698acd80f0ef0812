/** Native wire <-> engine values for user creation: shared by the single and batch routes. */
import type { Static } from 'typebox';
import type { BatchOutcome, ItemResult } from '../../domain/batch.ts';
import type { MusterError } from '../../domain/errors.ts';
import type { UserDraft } from '../../domain/user.ts';
import type { StoredResponse } from '../../engine/idempotency.ts';
import { compileItemValidator } from '../validation.ts';
import { renderError, renderUser } from './render.ts';
import { UserCreateBody, type BatchResultBody } from './schemas.ts';

type UserCreateWire = Static<typeof UserCreateBody>;

export function draftFromWire(body: UserCreateWire): UserDraft {
  const { expiresAt, ...rest } = body;
  return { ...rest, ...(expiresAt !== undefined && { expiresAt: expiresAt === null ? null : new Date(expiresAt) }) };
}

const validateItem = compileItemValidator<UserCreateWire>(UserCreateBody);

/** A batch item from the wire: a draft, or the schema problems that keep it from being one. */
export function batchItemFromWire(item: unknown): { draft: UserDraft } | { rejected: MusterError } {
  const checked = validateItem(item);
  return 'value' in checked ? { draft: draftFromWire(checked.value) } : checked;
}

type ResultWire = Static<typeof BatchResultBody>['results'][number];

function renderResult(result: ItemResult): ResultWire {
  if (result.status === 'failed') {
    const { error } = renderError(result.error);
    const field = result.error.details?.field;
    // In the schema's order (http/serialization.ts: the body is served as built).
    const { code, message, details } = error;
    return { index: result.index, status: 'failed', error: { code, message, ...(typeof field === 'string' && { field }), ...(details && { details }) } };
  }
  const user = result.user === null ? null : renderUser(result.user);
  return 'secret' in result && result.secret !== undefined
    ? { index: result.index, status: result.status, user, secret: result.secret }
    : { index: result.index, status: result.status, user };
}

/** 200 when the batch was processed; 422 when an atomic batch failed and nothing was written. */
export function renderBatch(outcome: BatchOutcome): StoredResponse {
  const rejected = !outcome.summary.committed && !outcome.summary.dryRun && outcome.summary.failed > 0;
  const { total, created, updated, skipped, failed, committed, dryRun } = outcome.summary;
  return { status: rejected ? 422 : 200, body: { results: outcome.results.map(renderResult), summary: { total, created, updated, skipped, failed, committed, dryRun } } };
}

/** A request-level error as a recordable response. */
export function renderErrorResponse(error: MusterError): StoredResponse {
  return { status: error.status, body: renderError(error) };
}
