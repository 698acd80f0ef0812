/**
 * Fixed-window counters in the database (table `rate_limit_hits`), so every
 * instance on one database counts the same hits. One statement bumps several
 * buckets at once (an UPSERT each) and returns their totals in the current
 * window; windows are aligned to the database clock, so instances agree
 * whatever their own clocks say.
 */
import type { Queryable } from '../ports.ts';

export interface CounterHit {
  readonly bucket: string;
  /** Added to the bucket's count in this window (0 reads it without adding). */
  readonly cost: number;
  readonly windowSeconds: number;
}

export interface CounterTotal {
  readonly bucket: string;
  /** Hits in the current window, this one included. */
  readonly hits: number;
  /** Whole seconds until the current window ends (at least 1). */
  readonly secondsLeft: number;
}

/**
 * Adds each hit to its bucket's current window and returns the totals, in the
 * order given. Buckets must be distinct; they are bumped in sorted order, so
 * concurrent calls lock rows in one order and never deadlock each other.
 */
export async function bumpCounters(q: Queryable, hits: readonly CounterHit[]): Promise<CounterTotal[]> {
  if (hits.length === 0) return [];
  const sorted = [...hits].sort((a, b) => (a.bucket < b.bucket ? -1 : a.bucket > b.bucket ? 1 : 0));
  const { rows } = await q.query<{ bucket: string; hits: number; seconds_left: number }>(
    `INSERT INTO rate_limit_hits AS h (bucket, window_start, window_end, hits)
     SELECT b.bucket, w.start, w.start + make_interval(secs => b.win), b.cost
     FROM unnest($1::text[], $2::int[], $3::int[]) WITH ORDINALITY AS b(bucket, cost, win, ord)
     CROSS JOIN LATERAL (SELECT to_timestamp(floor(extract(epoch FROM now()) / b.win) * b.win) AS start) w
     ORDER BY b.ord
     ON CONFLICT ON CONSTRAINT rate_limit_hits_pk DO UPDATE SET hits = h.hits + excluded.hits
     RETURNING h.bucket, h.hits, greatest(1, ceil(extract(epoch FROM h.window_end - now())))::int AS seconds_left`,
    [sorted.map((h) => h.bucket), sorted.map((h) => h.cost), sorted.map((h) => h.windowSeconds)],
  );
  const byBucket = new Map(rows.map((r) => [r.bucket, { bucket: r.bucket, hits: Number(r.hits), secondsLeft: Number(r.seconds_left) }]));
  return hits.map((h) => byBucket.get(h.bucket)!);
}

/** The current window's totals of these buckets (those with no hits in it are left out); adds nothing. */
export async function readCounters(q: Queryable, buckets: readonly string[], windowSeconds: number): Promise<CounterTotal[]> {
  const { rows } = await q.query<{ bucket: string; hits: number; seconds_left: number }>(
    `SELECT bucket, hits, greatest(1, ceil(extract(epoch FROM window_end - now())))::int AS seconds_left
     FROM rate_limit_hits
     WHERE bucket = ANY($1::text[]) AND window_start = to_timestamp(floor(extract(epoch FROM now()) / $2) * $2)`,
    [buckets, windowSeconds],
  );
  return rows.map((r) => ({ bucket: r.bucket, hits: Number(r.hits), secondsLeft: Number(r.seconds_left) }));
}

/** Forgets every window of these buckets (an admin unlock); returns how many rows went. */
export async function clearCounters(q: Queryable, buckets: readonly string[]): Promise<number> {
  const { rowCount } = await q.query('DELETE FROM rate_limit_hits WHERE bucket = ANY($1::text[])', [buckets]);
  return rowCount;
}

/** Deletes windows that have ended; returns how many. */
export async function deleteEndedWindows(q: Queryable): Promise<number> {
  const { rowCount } = await q.query('DELETE FROM rate_limit_hits WHERE window_end <= now()');
  return rowCount;
}
