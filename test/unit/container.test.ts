/**
 * The container files (issue 16) cannot be built here (no Docker), so this
 * checks what can go wrong without a build: compose.yaml parses (the `yaml`
 * package) and wires muster to its PostgreSQL and SMTP catcher; the Dockerfile
 * is multi-stage, runs as a non-root user with the embedded store on a volume,
 * copies files that exist, and starts what `npm start` starts.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parse } from 'yaml';

const root = new URL('../../', import.meta.url);
const read = (path: string) => readFileSync(new URL(path, root), 'utf8');

interface Instruction {
  readonly op: string;
  readonly args: string;
}

/** Dockerfile instructions, continuation lines joined, comments dropped. */
function instructions(text: string): Instruction[] {
  return text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => {
      const [, op = '', args = ''] = /^(\S+)\s+(.*)$/.exec(l) ?? [];
      return { op: op.toUpperCase(), args };
    });
}

describe('Dockerfile', () => {
  const steps = instructions(read('Dockerfile'));
  const last = (op: string) => steps.filter((s) => s.op === op).at(-1);

  it('is multi-stage: the runtime copies the dependencies from a build stage', () => {
    const froms = steps.filter((s) => s.op === 'FROM');
    assert.ok(froms.length >= 2);
    const stage = /\bAS\s+(\S+)/i.exec(froms[0]!.args)?.[1];
    assert.ok(stage && steps.some((s) => s.op === 'COPY' && s.args.includes(`--from=${stage}`)));
    for (const from of froms) assert.match(from.args, /^node:24\b/, 'the Node major of package.json engines');
  });

  it('runs as a non-root user, with DATA_DIR on a volume it owns', () => {
    const user = last('USER')!.args;
    assert.ok(user !== 'root' && user !== '0');
    const dataDir = /DATA_DIR=(\S+)/.exec(steps.filter((s) => s.op === 'ENV').map((s) => s.args).join(' '))?.[1];
    assert.equal(dataDir, '/data');
    assert.match(last('VOLUME')!.args, /"\/data"/);
    assert.ok(steps.some((s) => s.op === 'RUN' && s.args.includes(`chown ${user}`) && s.args.includes('/data')));
  });

  it('copies files that exist, installs from the lock file, and starts what npm start starts', () => {
    for (const copy of steps.filter((s) => s.op === 'COPY' && !s.args.includes('--from'))) {
      const sources = copy.args.split(/\s+/).slice(0, -1);
      for (const source of sources) assert.ok(existsSync(new URL(source, root)), `${source} exists`);
    }
    assert.ok(steps.some((s) => s.op === 'RUN' && /\bnpm ci\b/.test(s.args)));
    const cmd = JSON.parse(last('CMD')!.args) as string[];
    const start = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts.start!;
    assert.equal(`exec ${cmd.join(' ')}`, start);
    assert.ok(existsSync(new URL(cmd.at(-1)!, root)));
    assert.match(last('HEALTHCHECK')!.args, /\/readyz/);
  });
});

describe('compose.yaml', () => {
  const compose = parse(read('compose.yaml')) as { services: Record<string, Record<string, unknown>>; volumes: Record<string, unknown> };
  const muster = compose.services.muster!;
  const env = muster.environment as Record<string, string>;

  it('builds muster from this folder, with PostgreSQL and an SMTP catcher', () => {
    assert.equal(muster.build, '.');
    assert.ok(existsSync(new URL('Dockerfile', root)));
    assert.match(String(compose.services.postgres!.image), /^postgres:\d+/);
    assert.match(String(compose.services.mailpit!.image), /mailpit/);
  });

  it('points DATABASE_URL and SMTP_URL at those services, and keeps DATA_DIR on a named volume', () => {
    const db = new URL(env.DATABASE_URL!);
    assert.equal(db.hostname, 'postgres');
    const pg = compose.services.postgres!.environment as Record<string, string>;
    assert.equal(decodeURIComponent(db.username), pg.POSTGRES_USER);
    assert.equal(db.pathname.slice(1), pg.POSTGRES_DB);
    assert.equal(new URL(env.SMTP_URL!).hostname, 'mailpit');
    assert.deepEqual(muster.volumes, ['muster-data:/data']);
    assert.ok('muster-data' in compose.volumes);
    assert.deepEqual(muster.depends_on, { postgres: { condition: 'service_healthy' }, mailpit: { condition: 'service_started' } });
  });

  it('makes every instance share the server key, and names only settings muster reads', () => {
    assert.match(env.MUSTER_SERVER_KEY!, /^\$\{MUSTER_SERVER_KEY:\?/);
    const config = read('src/config.ts');
    for (const name of Object.keys(env)) assert.ok(config.includes(`'${name}'`), `${name} is a setting in src/config.ts`);
  });
});
