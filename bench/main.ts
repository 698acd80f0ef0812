/**
 * `npm run bench`: batch provisioning throughput against baselines measured in
 * the same run on the same machine, on PostgreSQL (TEST_DATABASE_URL) and on the
 * embedded store. The service runs as its own process and is driven over HTTP.
 *
 * - no passwords: 100,000 users, 1000 per request, one request at a time (and 2
 *   and 4 at a time); baseline: the same rows inserted into the same store and
 *   schema by one multi-row INSERT ... SELECT FROM unnest(...) per 1000 rows.
 *   Target: at least 0.5x the baseline.
 * - with passwords: 2,000 users with plain passwords; baseline: hashing the same
 *   passwords with the same pool size and argon2id parameters. Target: 0.8x.
 * - pre-hashed: 100,000 users with bcrypt hashes. Target: within 10% of no passwords.
 * - the server's peak RSS, and p50/p99 latency of a 1000-user batch.
 *
 * Each side is warmed up first, and each comparison interleaves baseline and API
 * in rounds so that drift in the machine's state (two cores shared by client,
 * server and database) weighs on both alike.
 *
 * Prints a table, then as its last line one JSON object with every figure.
 * Set BENCH_USERS to scale the 100,000 (e.g. 20000 for a quick look).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { hashSync as bcryptHash } from '@node-rs/bcrypt';
import pg from 'pg';
import { createPasswordHasher, type PasswordHasher } from '../src/crypto/passwords.ts';
import { newId } from '../src/crypto/ids.ts';
import { comparisonKey } from '../src/domain/user.ts';
import { migrate } from '../src/store/migrate.ts';
import { openEmbedded } from '../src/store/pglite.ts';
import { openPostgres } from '../src/store/postgres.ts';
import type { Database, StoreKind } from '../src/store/ports.ts';
import { startProcess, type RunningService } from '../test/helpers/process.ts';

const DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const USERS = Number(process.env.BENCH_USERS ?? 100_000);
const BATCH = 1000;
const PASSWORD_USERS = 2000;
/** Baseline and API alternate in this many rounds. */
const ROUNDS = 4;
const THREADS = availableParallelism();
const ADMIN_KEY = `bench-${randomBytes(24).toString('hex')}`;

type Figures = Record<string, number>;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Request bodies prepared before timing, so the client's JSON work is not measured. */
function bodies(prefix: string, total: number, extra: (i: number) => object = () => ({})): string[] {
  const out: string[] = [];
  for (let start = 0; start < total; start += BATCH) {
    const users = [];
    for (let i = start; i < Math.min(total, start + BATCH); i++) {
      users.push({ username: `${prefix}${i}`, email: `${prefix}${i}@example.com`, displayName: `User ${i}`, ...extra(i) });
    }
    out.push(JSON.stringify({ users }));
  }
  return out;
}

/** Sends the bodies with `concurrency` requests in flight; returns users/s and per-request latencies. */
async function drive(
  service: RunningService,
  directory: string,
  payloads: string[],
  concurrency: number,
): Promise<{ rate: number; seconds: number; latencies: number[] }> {
  const latencies: number[] = [];
  let next = 0;
  let users = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < payloads.length) {
        const body = payloads[next++]!;
        const t0 = performance.now();
        const response = await fetch(`${service.url}/v1/directories/${directory}/users/batch`, {
          method: 'POST',
          headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
          body,
        });
        const result = (await response.json()) as { summary?: { created: number } };
        latencies.push(performance.now() - t0);
        if (response.status !== 200 || !result.summary) throw new Error(`batch failed: ${response.status} ${JSON.stringify(result).slice(0, 300)}`);
        users += result.summary.created;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  return { rate: users / seconds, seconds, latencies };
}

/** The fastest multi-row insert: one INSERT ... SELECT FROM unnest per 1000 rows, same table, same constraints. */
async function baselineStore(db: Database): Promise<(prefix: string, total: number) => Promise<number>> {
  const tenantId = newId();
  const directoryId = newId();
  await db.query("INSERT INTO tenants (id, name) VALUES ($1, 'baseline')", [tenantId]);
  await db.query("INSERT INTO directories (tenant_id, id, name) VALUES ($1, $2, 'baseline')", [tenantId, directoryId]);
  return async (prefix, total) => {
    const started = performance.now();
    for (let start = 0; start < total; start += BATCH) {
      const ids: string[] = [];
      const names: string[] = [];
      const keys: string[] = [];
      const emails: string[] = [];
      const emailKeys: string[] = [];
      const displayNames: string[] = [];
      for (let i = start; i < Math.min(total, start + BATCH); i++) {
        ids.push(newId());
        names.push(`${prefix}${i}`);
        keys.push(comparisonKey(`${prefix}${i}`));
        emails.push(`${prefix}${i}@example.com`);
        emailKeys.push(comparisonKey(`${prefix}${i}@example.com`));
        displayNames.push(`User ${i}`);
      }
      await db.query(
        `INSERT INTO users (tenant_id, directory_id, id, username, username_key, email, email_key, display_name, status)
         SELECT $1, $2, id, username, username_key, email, email_key, display_name, 'active'
         FROM unnest($3::uuid[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[])
           AS t(id, username, username_key, email, email_key, display_name)`,
        [tenantId, directoryId, ids, names, keys, emails, emailKeys, displayNames],
      );
    }
    return (performance.now() - started) / 1000;
  };
}

/** Seconds to hash `passwords` with a pool of the server's size and parameters. */
async function hashingSeconds(hasher: PasswordHasher, passwords: string[]): Promise<number> {
  const started = performance.now();
  await Promise.all(passwords.map((p) => hasher.hash(p)));
  return (performance.now() - started) / 1000;
}

function peakRssMiB(pid: number): number {
  const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Math.round(Number(match[1]) / 1024) : Number.NaN;
}

async function createDirectory(service: RunningService, name: string): Promise<void> {
  const response = await fetch(`${service.url}/v1/directories`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name }),
  });
  if (response.status !== 201) throw new Error(`could not create directory ${name}: ${response.status}`);
}

async function benchStore(kind: StoreKind): Promise<Figures> {
  const figures: Figures = {};
  const dataDir = mkdtempSync(join(tmpdir(), `muster-bench-${kind}-`));
  // The baseline and the service each get an empty store of the same kind: a
  // schema each on the PostgreSQL server, a data directory each for PGlite.
  const schema = `muster_bench_${randomBytes(6).toString('hex')}`;
  const baselineSchema = `${schema}_baseline`;
  const admin = new pg.Client({ connectionString: DATABASE_URL });
  let baselineDb: Database;
  let serviceEnv: Record<string, string>;
  if (kind === 'postgres') {
    await admin.connect();
    await admin.query(`CREATE SCHEMA ${schema}`);
    await admin.query(`CREATE SCHEMA ${baselineSchema}`);
    const url = new URL(DATABASE_URL);
    url.searchParams.set('options', `-c search_path=${schema}`);
    serviceEnv = { DATABASE_URL: url.toString(), DATA_DIR: dataDir };
    baselineDb = await openPostgres({ connectionString: DATABASE_URL, poolSize: 2, schema: baselineSchema });
  } else {
    serviceEnv = { DATA_DIR: join(dataDir, 'service') };
    baselineDb = await openEmbedded({ dataDir: join(dataDir, 'baseline') });
  }
  const hasher = await createPasswordHasher(THREADS);
  try {
    await migrate(baselineDb);
    const baselineInsert = await baselineStore(baselineDb);
    const service = await startProcess({ ...serviceEnv, MUSTER_ADMIN_KEY: ADMIN_KEY, PASSWORD_HASH_THREADS: String(THREADS) }, 120_000);
    try {
      // Warm both sides up (JIT, caches, connections) before anything is timed.
      await baselineInsert('warm', 5 * BATCH);
      await createDirectory(service, 'warm');
      await drive(service, 'warm', bodies('warm', 5 * BATCH), 1);

      // Baseline, API without passwords and API with bcrypt hashes interleaved
      // in rounds, so that drift in the machine's state, and the table's growth
      // (which slows PGlite), weigh on all three alike; each figure is over all
      // of its rounds.
      process.stderr.write(`[${kind}] ${USERS} users each: baseline, API without passwords, API with bcrypt hashes, interleaved in ${ROUNDS} rounds\n`);
      await createDirectory(service, 'plain-c1');
      await createDirectory(service, 'prehashed');
      const bcryptHashes = Array.from({ length: 64 }, (_, i) => bcryptHash(`imported password ${i}`, { cost: 4 }));
      let baselineSeconds = 0;
      let apiSeconds = 0;
      let prehashedSeconds = 0;
      const latencies: number[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        baselineSeconds += await baselineInsert(`base${round}-`, USERS / ROUNDS);
        const run = await drive(service, 'plain-c1', bodies(`c1r${round}-`, USERS / ROUNDS), 1);
        apiSeconds += run.seconds;
        latencies.push(...run.latencies);
        const hashed = bodies(`h${round}-`, USERS / ROUNDS, (i) => ({ passwordHash: bcryptHashes[i % 64] }));
        prehashedSeconds += (await drive(service, 'prehashed', hashed, 1)).seconds;
      }
      figures.baselineInsertUsersPerSec = USERS / baselineSeconds;
      figures.apiUsersPerSec_c1 = USERS / apiSeconds;
      const sorted = latencies.sort((a, b) => a - b);
      figures.batchLatencyP50Ms = percentile(sorted, 50);
      figures.batchLatencyP99Ms = percentile(sorted, 99);
      figures.ratioNoPasswords = figures.apiUsersPerSec_c1 / figures.baselineInsertUsersPerSec;
      figures.apiPrehashedUsersPerSec = USERS / prehashedSeconds;
      figures.ratioPrehashedToNoPasswords = figures.apiPrehashedUsersPerSec / figures.apiUsersPerSec_c1;

      for (const concurrency of [2, 4]) {
        await createDirectory(service, `plain-c${concurrency}`);
        process.stderr.write(`[${kind}] no passwords: ${USERS / 2} users, ${concurrency} requests at a time\n`);
        figures[`apiUsersPerSec_c${concurrency}`] = (await drive(service, `plain-c${concurrency}`, bodies(`c${concurrency}u`, USERS / 2), concurrency)).rate;
      }


      process.stderr.write(`[${kind}] plain passwords: ${PASSWORD_USERS} users, baseline hashing and API interleaved\n`);
      await createDirectory(service, 'passwords');
      const passwords = Array.from({ length: PASSWORD_USERS }, (_, i) => `correct horse ${i} battery`);
      let hashSeconds = 0;
      let passwordApiSeconds = 0;
      for (let start = 0; start < PASSWORD_USERS; start += BATCH) {
        const slice = passwords.slice(start, start + BATCH);
        hashSeconds += await hashingSeconds(hasher, slice);
        passwordApiSeconds += (await drive(service, 'passwords', bodies(`p${start}-`, slice.length, (i) => ({ password: slice[i] })), 1)).seconds;
      }
      figures.baselineHashesPerSec = PASSWORD_USERS / hashSeconds;
      figures.apiPasswordUsersPerSec = PASSWORD_USERS / passwordApiSeconds;
      figures.ratioPasswords = figures.apiPasswordUsersPerSec / figures.baselineHashesPerSec;
      figures.serverPeakRssMiB = peakRssMiB(service.process.pid!);
    } finally {
      await service.stop();
    }
  } finally {
    await hasher.close();
    await baselineDb.close();
    if (kind === 'postgres') {
      await admin.query(`DROP SCHEMA ${schema} CASCADE`);
      await admin.query(`DROP SCHEMA ${baselineSchema} CASCADE`);
      await admin.end();
    }
    rmSync(dataDir, { recursive: true, force: true });
  }
  return figures;
}

const TARGETS: [string, string, number][] = [
  ['ratioNoPasswords', 'no passwords vs raw insert', 0.5],
  ['ratioPasswords', 'passwords vs bare hashing', 0.8],
  ['ratioPrehashedToNoPasswords', 'bcrypt import vs no passwords', 0.9],
];

const results: Record<string, Figures> = {};
for (const kind of ['postgres', 'embedded'] as const) results[kind] = await benchStore(kind);

const round = (n: number) => (n >= 100 ? Math.round(n) : Math.round(n * 100) / 100);
const rows: [string, ...string[]][] = [['figure', 'postgres', 'embedded']];
for (const name of Object.keys(results.postgres!)) rows.push([name, String(round(results.postgres![name]!)), String(round(results.embedded![name]!))]);
const width = rows.map((r) => r[0].length).reduce((a, b) => Math.max(a, b));
console.log(`\nmuster bench: ${USERS} users per run, ${BATCH} per request, ${THREADS} hashing threads\n`);
for (const row of rows) console.log(`${row[0].padEnd(width)}  ${row.slice(1).map((c) => c.padStart(10)).join('  ')}`);
console.log('');
let met = true;
for (const [name, label, target] of TARGETS) {
  for (const kind of ['postgres', 'embedded'] as const) {
    const value = results[kind]![name]!;
    const ok = value >= target;
    met &&= ok;
    console.log(`${ok ? 'MET ' : 'MISS'}  ${kind.padEnd(8)}  ${label}: ${round(value)}x (target ${target}x)`);
  }
}
console.log(JSON.stringify({ users: USERS, batch: BATCH, hashingThreads: THREADS, targetsMet: met, ...results }));
