/**
 * What text PostgreSQL can store. Its `text` and `jsonb` types refuse U+0000
 * (NUL), and `jsonb` refuses a lone UTF-16 surrogate (JSON's `\ud800` with no
 * partner); in `text` a lone surrogate would silently become U+FFFD. Input is
 * checked against this rule once, at the boundary, so no such string reaches a
 * query. Pure; no I/O.
 */

/** Nesting depth of JSON input (objects and arrays) beyond which a request is refused. */
export const INPUT_MAX_DEPTH = 32;

// A high surrogate not followed by a low one, or a low one not preceded by a high one.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Why `text` cannot be stored (a phrase to follow the field's name), or undefined when it can. */
export function unstorableText(text: string): string | undefined {
  if (text.includes('\u0000')) return 'contains U+0000 (NUL), which cannot be stored';
  if (LONE_SURROGATE.test(text)) return 'contains a lone UTF-16 surrogate (not valid Unicode)';
  return undefined;
}

/**
 * The instants muster stores and compares: 0001-01-01T00:00:00Z to
 * 9999-12-31T23:59:59.999Z. PostgreSQL has no year 0 (`0000-01-01` is out of
 * range there), and past 9999 in UTC (`9999-12-31T23:59:59-23:59` is one) a
 * Date serialises with a six-digit year (`+010000-...`) that the embedded
 * store's driver sends and PostgreSQL refuses; the wire formats carry
 * four-digit years anyway.
 */
export const EARLIEST_STORABLE_TIME = Date.parse('0001-01-01T00:00:00Z');
export const LATEST_STORABLE_TIME = Date.parse('9999-12-31T23:59:59.999Z');

export function isStorableDate(date: Date): boolean {
  const time = date.getTime();
  return Number.isFinite(time) && time >= EARLIEST_STORABLE_TIME && time <= LATEST_STORABLE_TIME;
}

/** Largest integer id or offset accepted (JavaScript's safe integers; below PostgreSQL's bigint). */
export const MAX_INTEGER_INPUT = Number.MAX_SAFE_INTEGER;
