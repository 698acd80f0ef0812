/**
 * The `muster` command: operator tasks against the configured store (the same
 * environment variables as the service). On the embedded store the CLI needs the
 * data directory to itself, so stop the service first; with DATABASE_URL it
 * runs beside running instances.
 *
 *   muster migrate
 *   muster tenants create <name>
 *   muster tenants list
 *   muster keys create --tenant <name|id> [--name <name>] [--scopes users:read,users:write]
 *   muster keys list --tenant <name|id>
 *   muster keys revoke --tenant <name|id> <key id or prefix>
 *   muster access-keys create|list|revoke --tenant <name|id> ...   (AK/SK for signed requests)
 *   muster audit --tenant <name|id> [--user <id>] [--actor <key id|prefix>] [--type user.created|user.*] [--since <ISO time>] [--until <ISO time>] [--limit N]
 *
 * Add --json for machine-readable output. Exit codes: 0 done, 1 failed, 2 usage.
 */
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../config.ts';
import { cliActor, type Actor } from '../domain/actor.ts';
import type { ApiKeyInfo } from '../domain/apiKey.ts';
import { isMusterError } from '../domain/errors.ts';
import type { StoredEvent } from '../engine/audit.ts';
import type { Engine } from '../engine/engine.ts';
import { composeEngine, openStore } from '../main.ts';
import { migrate } from '../store/migrate.ts';
import { DataDirectoryInUseError } from '../store/pglite.ts';

const USAGE = `Usage:
  muster migrate
  muster tenants create <name>
  muster tenants list
  muster keys create --tenant <name|id> [--name <name>] [--scopes users:read,users:write,admin]
  muster keys list --tenant <name|id>
  muster keys revoke --tenant <name|id> <key id or prefix>
  muster access-keys create --tenant <name|id> [--name <name>] [--scopes users:read,users:write,admin]
  muster access-keys list --tenant <name|id>
  muster access-keys revoke --tenant <name|id> <access key id>
  muster audit --tenant <name|id> [--user <user id>] [--actor <key id or prefix>] [--type <type, e.g. user.* >]
               [--since <ISO time>] [--until <ISO time>] [--limit <1-1000, default 50>]
Options: --json  print JSON instead of text`;

class UsageError extends Error {}

interface Output {
  json: boolean;
  print(text: string, value: unknown): void;
}

function keyLine(key: ApiKeyInfo): string {
  const state = key.revokedAt ? `revoked ${key.revokedAt.toISOString()}` : 'active';
  return `${key.id}  ${key.prefix}…  ${key.name}  [${key.scopes.join(',')}]  ${state}`;
}

interface CommandArgs {
  positionals: string[];
  tenant?: string;
  name?: string;
  scopes?: string;
  user?: string;
  actor?: string;
  type?: string;
  since?: string;
  until?: string;
  limit?: string;
}

type Command = (engine: Engine, args: CommandArgs, out: Output) => Promise<void>;

/** An ISO 8601 time given as an option, or a usage error naming it. */
function timeOption(name: string, value: string | undefined): Date | undefined {
  if (value === undefined) return undefined;
  const time = new Date(value);
  if (Number.isNaN(time.getTime())) throw new UsageError(`--${name} must be an ISO 8601 time, e.g. 2026-12-01T00:00:00Z`);
  return time;
}

function eventLine(event: StoredEvent): string {
  const who = [event.actor.kind, event.actor.label ?? event.actor.id].filter(Boolean).join(' ');
  return `${event.occurredAt.toISOString()}  ${event.type.padEnd(20)}  ${event.subject.type} ${event.subject.id}  by ${who} via ${event.actor.dialect}  ${JSON.stringify(event.data)}`;
}

function requireTenant(tenant: string | undefined): string {
  if (!tenant) throw new UsageError('--tenant <name|id> is required');
  return tenant;
}

/** The CLI acts as itself (`cli`) in the tenant named by --tenant. */
async function cliActorFor(engine: Engine, tenant: string | undefined): Promise<Actor> {
  return cliActor((await engine.tenants.resolveTenant(requireTenant(tenant))).id);
}

const COMMANDS: Record<string, Command> = {
  'tenants create': async (engine, { positionals }, out) => {
    const [name] = positionals;
    if (!name) throw new UsageError('tenants create needs a name');
    const { tenant, adminKey } = await engine.tenants.createTenant(name);
    out.print(
      `Created tenant ${tenant.name} (${tenant.id}) with a "default" directory.\nAdmin key (shown once, store it now):\n  ${adminKey.key}`,
      { tenant, adminKey: { ...adminKey.info, key: adminKey.key } },
    );
  },
  'tenants list': async (engine, _args, out) => {
    const tenants = await engine.tenants.listTenants();
    out.print(tenants.map((t) => `${t.id}  ${t.name}`).join('\n') || '(no tenants)', tenants);
  },
  'keys create': async (engine, { tenant, name, scopes }, out) => {
    const issued = await engine.tenants.createKey(await cliActorFor(engine, tenant), {
      name: name ?? 'cli',
      scopes: (scopes ?? 'users:read,users:write').split(',').map((s) => s.trim()).filter(Boolean),
    });
    out.print(`${keyLine(issued.info)}\nKey (shown once, store it now):\n  ${issued.key}`, { ...issued.info, key: issued.key });
  },
  'keys list': async (engine, { tenant }, out) => {
    const keys = await engine.tenants.listKeys(await cliActorFor(engine, tenant));
    out.print(keys.map(keyLine).join('\n') || '(no keys)', keys);
  },
  'access-keys create': async (engine, { tenant, name, scopes }, out) => {
    const created = await engine.accessKeys.create(await cliActorFor(engine, tenant), {
      name: name ?? 'cli',
      scopes: (scopes ?? 'users:read,users:write').split(',').map((s) => s.trim()).filter(Boolean),
    });
    out.print(
      `Access key ${created.info.id} [${created.info.scopes.join(',')}]\nSecret access key (shown once, store it now):\n  ${created.secretAccessKey}`,
      { accessKeyId: created.info.id, secretAccessKey: created.secretAccessKey, scopes: created.info.scopes },
    );
  },
  'access-keys list': async (engine, { tenant }, out) => {
    const keys = await engine.accessKeys.list(await cliActorFor(engine, tenant));
    const line = (k: (typeof keys)[number]) => `${k.id}  ${k.name}  [${k.scopes.join(',')}]  ${k.revokedAt ? `revoked ${k.revokedAt.toISOString()}` : 'active'}`;
    out.print(keys.map(line).join('\n') || '(no access keys)', keys);
  },
  'access-keys revoke': async (engine, { tenant, positionals }, out) => {
    const [id] = positionals;
    if (!id) throw new UsageError('access-keys revoke needs an access key id');
    const key = await engine.accessKeys.revoke(await cliActorFor(engine, tenant), id);
    out.print(`Revoked access key ${key.id}`, key);
  },
  audit: async (engine, { tenant, user, actor, type, since, until, limit }, out) => {
    const count = limit === undefined ? 50 : Number(limit);
    if (!Number.isInteger(count) || count < 1 || count > 1000) throw new UsageError('--limit must be an integer from 1 to 1000');
    const sinceTime = timeOption('since', since);
    const untilTime = timeOption('until', until);
    const page = await engine.audit.list(await cliActorFor(engine, tenant), {
      ...(user !== undefined && { subjectId: user }),
      ...(actor !== undefined && { actor }),
      ...(type !== undefined && { types: type.split(',').map((t) => t.trim()).filter(Boolean) }),
      ...(sinceTime && { since: sinceTime }),
      ...(untilTime && { until: untilTime }),
      limit: count,
    });
    out.print(page.events.map(eventLine).join('\n') || '(no events)', page.events);
  },
  'keys revoke': async (engine, { tenant, positionals }, out) => {
    const [ref] = positionals;
    if (!ref) throw new UsageError('keys revoke needs a key id or prefix');
    const key = await engine.tenants.revokeKey(await cliActorFor(engine, tenant), ref);
    out.print(`Revoked ${keyLine(key)}`, key);
  },
};

async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      tenant: { type: 'string' },
      name: { type: 'string' },
      scopes: { type: 'string' },
      user: { type: 'string' },
      actor: { type: 'string' },
      type: { type: 'string' },
      since: { type: 'string' },
      until: { type: 'string' },
      limit: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const out: Output = {
    json: values.json,
    print: (text, value) => process.stdout.write((values.json ? JSON.stringify(value, null, 2) : text) + '\n'),
  };
  const [group, verb, ...rest] = positionals;
  if (values.help || !group) {
    process.stdout.write(USAGE + '\n');
    return values.help ? 0 : 2;
  }
  /** Commands of one word take every other positional; the rest are `<group> <verb>`. */
  const oneWord = group === 'migrate' || group === 'audit';
  const commandName = oneWord ? group : `${group} ${verb ?? ''}`;
  const command = COMMANDS[commandName];
  if (commandName !== 'migrate' && !command) throw new UsageError(`unknown command "${positionals.join(' ')}"`);

  const config = loadConfig();
  const db = await openStore(config);
  try {
    const applied = await migrate(db);
    if (commandName === 'migrate') {
      out.print(applied.length ? `Applied ${applied.join(', ')}` : 'The schema is up to date.', { applied });
      return 0;
    }
    const { engine, release } = await composeEngine({ ...config, passwordHashThreads: 1 }, db);
    try {
      const { json: _json, help: _help, ...options } = values;
      const args: CommandArgs = {
        positionals: oneWord ? (verb === undefined ? rest : [verb, ...rest]) : rest,
        ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)),
      };
      await command!(engine, args, out);
    } finally {
      await release();
    }
    return 0;
  } finally {
    await db.close();
  }
}

try {
  process.exitCode = await run(process.argv.slice(2));
} catch (error) {
  if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
    process.stderr.write(`muster: ${(error as Error).message}\n\n${USAGE}\n`);
    process.exitCode = 2;
  } else if (error instanceof ConfigError || error instanceof DataDirectoryInUseError || isMusterError(error)) {
    process.stderr.write(`muster: ${(error as Error).message}\n`);
    process.exitCode = 1;
  } else {
    throw error;
  }
}
