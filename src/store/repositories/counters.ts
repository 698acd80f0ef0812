/**
 * Windowed counters in the database (table `rate_limit_hits`), so every
 * instance on one database counts the same hits. One statement bumps several
 * buckets at once (an UPSERT each) and returns their totals in the current
 * window, with the previous window's count and how much of the current
 * window is left (what a sliding-window estimate needs); windows are aligned
 * to the database clock, so instances agree whatever their own clocks say.
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

/** A bumped bucket's total, with what a sliding-window estimate weighs. */
export interface BumpedTotal extends CounterTotal {
  /** Hits in the window before the current one (0 when none or swept). */
  readonly previousHits: number;
  /** The part of the current window still to come, in (0, 1]. */
  readonly remainingFraction: number;
}

/**
 * Adds each hit to its bucket's current window and returns the totals, in the
 * order given. Buckets must be distinct; they are bumped in sorted order, so
 * concurrent calls lock rows in one order and never deadlock each other.
 */
export async function bumpCounters(q: Queryable, hits: readonly CounterHit[]): Promise<BumpedTotal[]> {
  if (hits.length === 0) return [];
  const sorted = [...hits].sort((a, b) => (a.bucket < b.bucket ? -1 : a.bucket > b.bucket ? 1 : 0));
  const { rows } = await q.query<{ bucket: string; hits: number; seconds_left: number; previous_hits: number | null; remaining: number }>(
    `INSERT INTO rate_limit_hits AS h (bucket, window_start, window_end, hits)
     SELECT b.bucket, w.start, w.start + make_interval(secs => b.win), b.cost
     FROM unnest($1::text[], $2::int[], $3::int[]) WITH ORDINALITY AS b(bucket, cost, win, ord)
     CROSS JOIN LATERAL (SELECT to_timestamp(floor(extract(epoch FROM now()) / b.win) * b.win) AS start) w
     ORDER BY b.ord
     ON CONFLICT ON CONSTRAINT rate_limit_hits_pk DO UPDATE SET hits = h.hits + excluded.hits
     RETURNING h.bucket, h.hits, greatest(1, ceil(extract(epoch FROM h.window_end - now())))::int AS seconds_left,
       (SELECT p.hits FROM rate_limit_hits p WHERE p.bucket = h.bucket AND p.window_start = h.window_start - (h.window_end - h.window_start)) AS previous_hits,
       (extract(epoch FROM h.window_end - now()) / extract(epoch FROM h.window_end - h.window_start))::float8 AS remaining`,
    [sorted.map((h) => h.bucket), sorted.map((h) => h.cost), sorted.map((h) => h.windowSeconds)],
  );
  const byBucket = new Map(
    rows.map((r) => [
      r.bucket,
      {
        bucket: r.bucket,
        hits: Number(r.hits),
        secondsLeft: Number(r.seconds_left),
        previousHits: Number(r.previous_hits ?? 0),
        remainingFraction: Math.min(1, Math.max(0, Number(r.remaining))),
      },
    ]),
  );
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

/** Deletes windows that ended more than `keepSeconds` ago (a sliding estimate still weighs the last one); returns how many. */
export async function deleteEndedWindows(q: Queryable, keepSeconds: number): Promise<number> {
  const { rowCount } = await q.query('DELETE FROM rate_limit_hits WHERE window_end <= now() - make_interval(secs => $1)', [keepSeconds]);
  return rowCount;
}
