/**
 * Opaque page cursors: base64url JSON that names the last id a page showed,
 * and which way the next page goes (`after` it in creation order, or `before`
 * it, newest first). Anything not made here is `request.invalid_cursor`.
 */
import { isUuid } from '../domain/directory.ts';
import { MusterError } from '../domain/errors.ts';

export type CursorDirection = 'after' | 'before';

export function encodeCursor(direction: CursorDirection, lastId: string): string {
  return Buffer.from(JSON.stringify({ [direction]: lastId })).toString('base64url');
}

/** The id a cursor of `direction` names; throws `request.invalid_cursor` for anything else. */
export function decodeCursor(direction: CursorDirection, cursor: string): string {
  try {
    const id = (JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Record<string, unknown>)[direction];
    if (typeof id === 'string' && isUuid(id)) return id;
  } catch {
    // fall through: anything unparseable is simply not a cursor of ours
  }
  throw new MusterError('request.invalid_cursor');
}
