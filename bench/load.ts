/**
 * Mixed-load bench (`npm run bench` runs it last; alone: `BENCH_ONLY=load npm
 * run bench` or `node --liftoff-only bench/load.ts`), on PostgreSQL
 * (TEST_DATABASE_URL), the service its own process driven over HTTP.
 *
 * The mix, in a fixed weighted order each client walks from its own offset:
 * batches of BATCH_USERS users (no passwords), single creates, list pages,
 * authenticate with a right password (argon2id verify) of a user seeded
 * first, and imports (a CSV of IMPORT_ROWS rows, run by the service's import
 * worker in the background). Clients are closed-loop: each sends its next
 * request when the last one is answered.
 *
 * 1. The knee: steps of BENCH_LOAD_STEP_SECONDS (default 5) at 1, 2, 4, ...
 *    clients (at most BENCH_LOAD_MAX_CONCURRENCY, default 64) until two
 *    steps in a row fail to beat the best rate so far by 10% (the rate has
 *    stopped rising; latency climbs); the knee is the fewest clients that
 *    reached 90% of the best rate (more only queue). Two flat steps, not
 *    one, because a shared machine makes one step noisy.
 *    BENCH_LOAD_CONCURRENCY skips the search and uses the number given.
 * 2. The run: the mix at the knee for BENCH_LOAD_SECONDS (default 300).
 *    Printed: requests, errors (not 2xx) and 5xx per route, p50/p99 per
 *    route, throughput, and the server's RSS sampled every second (start,
 *    end, peak), and how long the imports queued took to finish after the
 *    run. Any 5xx or failed connection makes the exit code 1. The run
 *    starts once the knee search's imports are done.
 *
 * No limits interfere: the service runs with rate limits off and room for
 * the imports queued (they are a mix's share, not a test of the queue limit).
 */
import { randomBytes } from 'node:crypto';
import { startProcess, type RunningService } from '../test/helpers/process.ts';
import { mib, withSchema } from './imports.ts';

const SECONDS = Number(process.env.BENCH_LOAD_SECONDS ?? 300);
const STEP_SECONDS = Number(process.env.BENCH_LOAD_STEP_SECONDS ?? 5);
const MAX_CONCURRENCY = Number(process.env.BENCH_LOAD_MAX_CONCURRENCY ?? 64);
const FIXED_CONCURRENCY = process.env.BENCH_LOAD_CONCURRENCY === undefined ? undefined : Number(process.env.BENCH_LOAD_CONCURRENCY);
const BATCH_USERS = 100;
const IMPORT_ROWS = 200;
const SIGN_IN_USERS = 32;
const DIRECTORY = 'default';

type Route = 'batch' | 'create' | 'list' | 'authenticate' | 'import';
const ROUTES: readonly Route[] = ['batch', 'create', 'list', 'authenticate', 'import'];
/** Requests of each route per 100 of the mix. */
const WEIGHTS: Record<Route, number> = { list: 30, create: 25, authenticate: 20, batch: 20, import: 5 };
/** The mix's order: the routes interleaved by weight (a smooth weighted round robin), 100 long. */
const ORDER: Route[] = (() => {
  const credit = Object.fromEntries(ROUTES.map((r) => [r, 0])) as Record<Route, number>;
  return Array.from({ length: 100 }, () => {
    for (const r of ROUTES) credit[r] += WEIGHTS[r];
    const next = ROUTES.reduce((best, r) => (credit[r] > credit[best] ? r : best));
    credit[next] -= 100;
    return next;
  });
})();

interface Tally {
  requests: number;
  errors: number;
  serverErrors: number;
  /** Requests that got no answer at all (connection refused or reset). */
  failed: number;
  latencies: number[];
  statuses: Record<string, number>;
}

const newTally = (): Tally => ({ requests: 0, errors: 0, serverErrors: 0, failed: 0, latencies: [], statuses: {} });

function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** One request of each route, built fresh (unique usernames) for every call. */
function requests(service: RunningService, key: string, run: string, password: string) {
  let serial = 0;
  const base = `${service.url}/v1/directories/${DIRECTORY}`;
  const json = (body: unknown): RequestInit => ({ method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const user = (prefix: string) => {
    serial += 1;
    return { username: `${run}-${prefix}${serial}`, email: `${run}-${prefix}${serial}@example.com`, displayName: `Load ${serial}` };
  };
  const build: Record<Route, () => [string, RequestInit]> = {
    batch: () => [`${base}/users/batch`, json({ users: Array.from({ length: BATCH_USERS }, () => user('b')) })],
    create: () => [`${base}/users`, json(user('s'))],
    list: () => [`${base}/users?limit=50`, { headers: { authorization: `Bearer ${key}` } }],
    authenticate: () => [`${base}/authenticate`, json({ username: `${run}-signin${serial++ % SIGN_IN_USERS}`, password })],
    import: () => {
      const lines = ['username,email,displayName'];
      for (let i = 0; i < IMPORT_ROWS; i++) {
        const u = user('i');
        lines.push(`${u.username},${u.email},${u.displayName}`);
      }
      return [`${base}/imports`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'text/csv' }, body: `${lines.join('\n')}\n` }];
    },
  };
  return build;
}

/** `concurrency` closed-loop clients walk the mix for `seconds`; returns the tally per route and the seconds taken. */
async function drive(build: ReturnType<typeof requests>, concurrency: number, seconds: number): Promise<{ tallies: Record<Route, Tally>; seconds: number }> {
  const tallies = Object.fromEntries(ROUTES.map((r) => [r, newTally()])) as Record<Route, Tally>;
  const started = performance.now();
  const deadline = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, client) => {
      for (let step = Math.floor((client * ORDER.length) / concurrency); performance.now() < deadline; step++) {
        const route = ORDER[step % ORDER.length]!;
        const tally = tallies[route];
        const [url, init] = build[route]();
        const t0 = performance.now();
        tally.requests += 1;
        try {
          const response = await fetch(url, init);
          await response.arrayBuffer();
          tally.latencies.push(performance.now() - t0);
          tally.statuses[response.status] = (tally.statuses[response.status] ?? 0) + 1;
          if (response.status >= 300) tally.errors += 1;
          if (response.status >= 500) tally.serverErrors += 1;
        } catch {
          tally.failed += 1;
          tally.errors += 1;
        }
      }
    }),
  );
  return { tallies, seconds: (performance.now() - started) / 1000 };
}

const answered = (tallies: Record<Route, Tally>) => ROUTES.reduce((n, r) => n + tallies[r].requests - tallies[r].failed, 0);

/** Waits (at most `timeoutMs`) until no import job is queued or running; returns the seconds waited. */
async function importsSettled(service: RunningService, key: string, timeoutMs: number): Promise<number> {
  const started = performance.now();
  for (;;) {
    const statuses = await importStatuses(service, key);
    if (!statuses.queued && !statuses.running) return (performance.now() - started) / 1000;
    if (performance.now() - started > timeoutMs) throw new Error(`imports did not settle in ${timeoutMs} ms: ${JSON.stringify(statuses)}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** Import jobs of the directory by status (every page). */
async function importStatuses(service: RunningService, key: string): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  let cursor: string | null = null;
  do {
    const url = `${service.url}/v1/directories/${DIRECTORY}/imports?limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
    const page = (await (await fetch(url, { headers: { authorization: `Bearer ${key}` } })).json()) as { imports: { status: string }[]; nextCursor: string | null };
    for (const job of page.imports) counts[job.status] = (counts[job.status] ?? 0) + 1;
    cursor = page.nextCursor;
  } while (cursor);
  return counts;
}

export async function benchLoad(): Promise<{ figures: Record<string, unknown>; serverErrors: number }> {
  const key = `bench-load-${randomBytes(24).toString('hex')}`;
  return withSchema(async ({ env: storeEnv }) => {
    const service = await startProcess({
      ...storeEnv,
      RATE_LIMIT_KEY_REQUESTS: '0',
      RATE_LIMIT_ADDRESS_REQUESTS: '0',
      RATE_LIMIT_KEY_USERS: '0',
      IMPORT_MAX_QUEUED_PER_TENANT: '10000',
    });
    try {
      const pid = service.process.pid!;
      const run = randomBytes(3).toString('hex');
      const password = `load bench ${randomBytes(8).toString('hex')}`;
      const seeded = await fetch(`${service.url}/v1/directories/${DIRECTORY}/users/batch`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ users: Array.from({ length: SIGN_IN_USERS }, (_, i) => ({ username: `${run}-signin${i}`, password })) }),
      });
      if (seeded.status !== 200) throw new Error(`seeding the sign-in users: ${seeded.status} ${await seeded.text()}`);
      const build = requests(service, key, run, password);
      await drive(build, 2, Math.min(3, STEP_SECONDS)); // warm-up: JIT, connections, hashing threads

      const steps: { concurrency: number; rate: number; p50: number; p99: number }[] = [];
      let knee = FIXED_CONCURRENCY;
      const best = () => Math.max(...steps.map((s) => s.rate));
      for (let concurrency = 1, flat = 0; knee === undefined && concurrency <= MAX_CONCURRENCY && flat < 2; concurrency *= 2) {
        const step = await drive(build, concurrency, STEP_SECONDS);
        const all = ROUTES.flatMap((r) => step.tallies[r].latencies);
        const figures = { concurrency, rate: answered(step.tallies) / step.seconds, p50: percentile(all, 50), p99: percentile(all, 99) };
        flat = steps.length > 0 && figures.rate < best() * 1.1 ? flat + 1 : 0;
        steps.push(figures);
        process.stderr.write(`[load] knee search: ${concurrency} clients: ${figures.rate.toFixed(1)} req/s, p50 ${figures.p50.toFixed(0)} ms, p99 ${figures.p99.toFixed(0)} ms\n`);
      }
      // The knee: the fewest clients that reach 90% of the best rate seen (more only queue).
      knee ??= steps.find((s) => s.rate >= 0.9 * best())!.concurrency;

      // The run starts from a settled service: the search's imports done.
      await importsSettled(service, key, 120_000);
      process.stderr.write(`[load] ${SECONDS} s of the mix at ${knee} clients\n`);
      const rss = { start: mib(pid, 'VmRSS'), end: 0, peak: 0, samples: [] as number[] };
      const sampler = setInterval(() => rss.samples.push(mib(pid, 'VmRSS')), 1000);
      const main = await drive(build, knee, SECONDS);
      clearInterval(sampler);
      rss.end = mib(pid, 'VmRSS');
      rss.peak = Math.max(rss.start, rss.end, ...rss.samples);
      const importsDrainSeconds = await importsSettled(service, key, 120_000);
      const imports = await importStatuses(service, key);

      const perRoute = Object.fromEntries(
        ROUTES.map((r) => {
          const t = main.tallies[r];
          return [r, { requests: t.requests, errors: t.errors, serverErrors: t.serverErrors, failed: t.failed, p50Ms: Math.round(percentile(t.latencies, 50)), p99Ms: Math.round(percentile(t.latencies, 99)), statuses: t.statuses }];
        }),
      );
      const serverErrors = ROUTES.reduce((n, r) => n + main.tallies[r].serverErrors + main.tallies[r].failed, 0);
      const usersSent = main.tallies.batch.requests * BATCH_USERS + main.tallies.create.requests + main.tallies.import.requests * IMPORT_ROWS;
      return {
        serverErrors,
        figures: {
          seconds: Math.round(main.seconds),
          concurrency: knee,
          kneeSearch: steps.map((s) => ({ concurrency: s.concurrency, requestsPerSecond: Math.round(s.rate * 10) / 10, p50Ms: Math.round(s.p50), p99Ms: Math.round(s.p99) })),
          requestsPerSecond: Math.round((answered(main.tallies) / main.seconds) * 10) / 10,
          usersSentPerSecond: Math.round(usersSent / main.seconds),
          routes: perRoute,
          serverErrorsAndFailures: serverErrors,
          rssStartMiB: rss.start,
          rssEndMiB: rss.end,
          rssPeakMiB: rss.peak,
          importJobs: imports,
          importsDrainSeconds: Math.round(importsDrainSeconds * 10) / 10,
        },
      };
    } finally {
      await service.stop();
    }
  }, key);
}

/** The figures as a table on stdout, then one JSON line; false when any 5xx or failed request. */
export function printLoad(result: Awaited<ReturnType<typeof benchLoad>>): boolean {
  const f = result.figures as { routes: Record<Route, { requests: number; errors: number; serverErrors: number; failed: number; p50Ms: number; p99Ms: number }> } & Record<string, unknown>;
  console.log(`\nmuster mixed load on PostgreSQL: ${f.seconds} s at ${f.concurrency} clients (the knee), ${f.requestsPerSecond} req/s, ${f.usersSentPerSecond} users sent/s`);
  console.log(`${'route'.padEnd(14)}${'requests'.padStart(10)}${'errors'.padStart(8)}${'5xx'.padStart(6)}${'p50 ms'.padStart(9)}${'p99 ms'.padStart(9)}`);
  for (const r of ROUTES) {
    const t = f.routes[r];
    console.log(`${r.padEnd(14)}${String(t.requests).padStart(10)}${String(t.errors).padStart(8)}${String(t.serverErrors + t.failed).padStart(6)}${String(t.p50Ms).padStart(9)}${String(t.p99Ms).padStart(9)}`);
  }
  console.log(`server RSS (MiB, sampled every second): start ${f.rssStartMiB}, end ${f.rssEndMiB}, peak ${f.rssPeakMiB}`);
  console.log(`import jobs: ${JSON.stringify(f.importJobs)}, the last done ${f.importsDrainSeconds} s after the run`);
  const ok = result.serverErrors === 0;
  console.log(`${ok ? 'MET ' : 'MISS'}  postgres  mixed load: ${result.serverErrors} 5xx or failed requests (target 0)`);
  console.log(JSON.stringify({ load: f }));
  return ok;
}

if (import.meta.main) {
  if (!printLoad(await benchLoad())) process.exitCode = 1;
}
