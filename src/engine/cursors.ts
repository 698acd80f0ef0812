/**
 * Opaque page cursors: base64url JSON that names the last id a page showed,
 * and which way the next page goes (`after` it in creation order, or `before`
 * it, newest first); a sorted list's cursor also names its sort, direction and
 * the last key. Anything not made here is `request.invalid_cursor`.
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

/**
 * Where a sorted page ended, and the sort it belongs to. The creation order
 * keeps the id cursors above (`after` / `before`), so cursors made before
 * sorting existed still page.
 */
export interface SortCursor {
  readonly sort: string;
  readonly descending: boolean;
  /** The last user's sort key as the store renders it; null for a user without one. */
  readonly key: string | null;
  readonly id: string;
}

const CREATION_ORDER = 'createdAt';

export function encodeSortCursor(cursor: SortCursor): string {
  if (cursor.sort === CREATION_ORDER) return encodeCursor(cursor.descending ? 'before' : 'after', cursor.id);
  const { sort, descending, key, id } = cursor;
  return Buffer.from(JSON.stringify({ sort, order: descending ? 'desc' : 'asc', key, id })).toString('base64url');
}

/** What a cursor says, or undefined when it is not one of ours. */
function parseSortCursor(cursor: string): SortCursor | undefined {
  let value: Record<string, unknown>;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  if (value === null || typeof value !== 'object') return undefined;
  for (const direction of ['after', 'before'] as const) {
    const id = value[direction];
    if (typeof id === 'string') return isUuid(id) ? { sort: CREATION_ORDER, descending: direction === 'before', key: id, id } : undefined;
  }
  const { sort, order, key, id } = value;
  if (typeof sort !== 'string' || sort.length > 32 || (order !== 'asc' && order !== 'desc') || (typeof key !== 'string' && key !== null) || typeof id !== 'string' || !isUuid(id)) return undefined;
  return { sort, descending: order === 'desc', key, id };
}

/**
 * The position a cursor names, for a page in `sort` and direction. Throws
 * `request.invalid_cursor` for anything not made here, for a key `validKey`
 * refuses, and for a cursor of another sort or direction (its message says
 * which it belongs to; start again without a cursor).
 */
export function decodeSortCursor(cursor: string, sort: string, descending: boolean, validKey: (key: string | null) => boolean): { key: string | null; id: string } {
  const parsed = parseSortCursor(cursor);
  if (parsed === undefined || (parsed.sort === sort && !validKey(parsed.key))) throw new MusterError('request.invalid_cursor');
  if (parsed.sort !== sort || parsed.descending !== descending) {
    throw new MusterError(
      'request.invalid_cursor',
      `The cursor pages by sort=${parsed.sort}&order=${parsed.descending ? 'desc' : 'asc'}, not sort=${sort}&order=${descending ? 'desc' : 'asc'}; start again without a cursor.`,
      { field: 'cursor' },
    );
  }
  return { key: parsed.key, id: parsed.id };
}
