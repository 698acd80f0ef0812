/**
 * The `muster` command: operator tasks against the configured store (the same
 * environment variables as the service). With DATABASE_URL it runs beside
 * running instances. On the embedded store it opens the data directory itself
 * when it is free; when a running service holds it, the tenants and keys
 * commands go through that service's operator API instead (MUSTER_URL, else
 * http://127.0.0.1:$PORT; the operator key from --key-file, MUSTER_OPERATOR_KEY
 * or DATA_DIR/operator.key), and the others say the directory is in use.
 *
 *   muster migrate
 *   muster tenants create <name>
 *   muster tenants list
 *   muster tenants disable <name|id>
 *   muster keys create --tenant <name|id> [--name <name>] [--scopes users:read,users:write]
 *   muster keys list --tenant <name|id>
 *   muster keys revoke --tenant <name|id> <key id or prefix>
 *   muster audit --tenant <name|id> [--user <id>] [--type user.*] ...    (the audit trail)
 *   muster access-keys create|list|revoke --tenant <name|id> ...   (AK/SK for signed requests)
 *   muster import | migrate-from | jobs ...   import jobs through a running service (importCli.ts;
 *                                             their own exit codes, importJob.ts EXIT)
 *
 * Add --json for machine-readable output (the API's shapes). Exit codes: 0
 * done, 1 failed (the store or the service refused), 2 usage or configuration
 * (a bad variable, a data directory held by another process, no operator key).
 */
import { parseArgs } from 'node:util';
import { loadConfig, type Config } from '../config.ts';
import { operatorKeyFile, readOperatorKeyFile } from '../crypto/operatorKey.ts';
import { cliActor, type Actor } from '../domain/actor.ts';
import { isMusterError } from '../domain/errors.ts';
import type { StoredEvent } from '../engine/audit.ts';
import type { Engine } from '../engine/engine.ts';
import type { DataDirectoryInUseError } from '../store/pglite.ts';
import type { Database } from '../store/ports.ts';
import { CLIENT_COMMANDS, runClientCommand } from './importCli.ts';
import { localTasks, remoteTasks, ServiceError, ServiceUnreachableError, type KeyView, type OperatorTasks, type TenantView } from './operator.ts';

const USAGE = `Usage:
  muster migrate
  muster tenants create <name>
  muster tenants list
  muster tenants disable <name|id>
  muster keys create --tenant <name|id> [--name <name>] [--scopes users:read,users:write,admin]
  muster keys list --tenant <name|id>
  muster keys revoke --tenant <name|id> <key id or prefix>
  muster access-keys create --tenant <name|id> [--name <name>] [--scopes users:read,users:write,admin]
  muster access-keys list --tenant <name|id>
  muster access-keys revoke --tenant <name|id> <access key id>
  muster audit --tenant <name|id> [--user <user id>] [--actor <key id or prefix>] [--type <type, e.g. user.* >]
               [--since <ISO time>] [--until <ISO time>] [--limit <1-1000, default 50>]
Import jobs, through a running service with an API key (muster <command> --help for each):
  muster import FILE --directory <name> [--format ...] [--map "E-mail=email"] [--on-conflict fail|skip|upsert] ...
  muster migrate-from auth0|firebase|keycloak|cognito|entra FILE --directory <name> [provider flags]
  muster jobs [list|show|cancel|undo|report|delete] [JOB]
Options: --json  print JSON instead of text
         --key-file <path>  the operator key, for tenants and keys commands while a
                            service holds the embedded store (default: MUSTER_OPERATOR_KEY,
                            else DATA_DIR/operator.key)`;

class UsageError extends Error {}

/** A setting the CLI needs and lacks: reported like a configuration error (exit 2). */
class SetupError extends Error {}

interface Output {
  json: boolean;
  print(text: string, value: unknown): void;
}

interface Args {
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

function keyLine(key: KeyView): string {
  const state = key.revokedAt ? `revoked ${key.revokedAt}` : 'active';
  return `${key.id}  ${key.prefix}…  ${key.name}  [${key.scopes.join(',')}]  ${state}`;
}

const tenantLine = (t: TenantView) => `${t.id}  ${t.name}${t.disabledAt ? `  disabled ${t.disabledAt}` : ''}`;

function requireTenant(tenant: string | undefined): string {
  if (!tenant) throw new UsageError('--tenant <name|id> is required');
  return tenant;
}

const scopeList = (scopes: string | undefined) => (scopes ?? 'users:read,users:write').split(',').map((s) => s.trim()).filter(Boolean);

/** Commands over tenants and API keys: on the store, or through a running service. */
const TASKS: Record<string, (tasks: OperatorTasks, args: Args, out: Output) => Promise<void>> = {
  'tenants create': async (tasks, { positionals }, out) => {
    const [name] = positionals;
    if (!name) throw new UsageError('tenants create needs a name');
    const created = await tasks.createTenant(name);
    out.print(
      `Created tenant ${created.tenant.name} (${created.tenant.id}) with a "default" directory.\nAdmin key (shown once, store it now):\n  ${created.adminKey.key}`,
      created,
    );
  },
  'tenants list': async (tasks, _args, out) => {
    const tenants = await tasks.listTenants();
    out.print(tenants.map(tenantLine).join('\n') || '(no tenants)', tenants);
  },
  'tenants disable': async (tasks, { positionals }, out) => {
    const [ref] = positionals;
    if (!ref) throw new UsageError('tenants disable needs a tenant name or id');
    const tenant = await tasks.disableTenant(ref);
    out.print(`Disabled ${tenantLine(tenant)}: its keys no longer work.`, tenant);
  },
  'keys create': async (tasks, { tenant, name, scopes }, out) => {
    const issued = await tasks.createKey(requireTenant(tenant), { name: name ?? 'cli', scopes: scopeList(scopes) });
    out.print(`${keyLine(issued)}\nKey (shown once, store it now):\n  ${issued.key}`, issued);
  },
  'keys list': async (tasks, { tenant }, out) => {
    const keys = await tasks.listKeys(requireTenant(tenant));
    out.print(keys.map(keyLine).join('\n') || '(no keys)', keys);
  },
  'keys revoke': async (tasks, { tenant, positionals }, out) => {
    const [ref] = positionals;
    if (!ref) throw new UsageError('keys revoke needs a key id or prefix');
    const key = await tasks.revokeKey(requireTenant(tenant), ref);
    out.print(`Revoked ${keyLine(key)}`, key);
  },
};

type StoreCommand = (engine: Engine, args: Args, out: Output) => Promise<void>;

/** The CLI acts as itself (`cli`) in the tenant named by --tenant. */
async function cliActorFor(engine: Engine, tenant: string | undefined): Promise<Actor> {
  return cliActor((await engine.tenants.resolveTenant(requireTenant(tenant))).id);
}

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

/** Commands that need the store itself (no operator API covers access keys). */
const STORE_COMMANDS: Record<string, StoreCommand> = {
  'access-keys create': async (engine, { tenant, name, scopes }, out) => {
    const created = await engine.accessKeys.create(await cliActorFor(engine, tenant), { name: name ?? 'cli', scopes: scopeList(scopes) });
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
};

/** The operator key for going through the service: --key-file, else MUSTER_OPERATOR_KEY, else DATA_DIR/operator.key. */
function operatorKeyFor(config: Config, keyFile: string | undefined, inUse: DataDirectoryInUseError): string {
  if (keyFile !== undefined) {
    const key = readOperatorKeyFile(keyFile);
    if (key === undefined) throw new SetupError(`--key-file ${keyFile}: no such file, or it is empty.`);
    return key;
  }
  const key = config.operatorKey ?? readOperatorKeyFile(operatorKeyFile(config.dataDir));
  if (key === undefined) {
    throw new SetupError(`${inUse.message} To go through that service instead, give its operator key: MUSTER_OPERATOR_KEY or --key-file.`);
  }
  return key;
}

/** The store, or the refusal when a running service holds the embedded store and the command can go through that service. */
async function openStoreUnlessHeld(config: Config, canGoThroughService: boolean): Promise<Database | { held: DataDirectoryInUseError }> {
  const [{ openStore }, { DataDirectoryInUseError }] = await Promise.all([import('../main.ts'), import('../store/pglite.ts')]);
  try {
    return await openStore(config);
  } catch (error) {
    if (error instanceof DataDirectoryInUseError && canGoThroughService) return { held: error };
    throw error;
  }
}

/**
 * The store and the engine are imported only by the commands that use them,
 * so the client commands (import, jobs) start without loading the server.
 */
async function run(argv: string[]): Promise<number> {
  if (CLIENT_COMMANDS.has(argv[0] ?? '')) return runClientCommand(argv);
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      tenant: { type: 'string' },
      name: { type: 'string' },
      scopes: { type: 'string' },
      'key-file': { type: 'string' },
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
  /** `migrate` and `audit` are one word; the others are `<group> <verb>`. */
  const commandName = group === 'migrate' || group === 'audit' ? group : `${group} ${verb ?? ''}`;
  const task = TASKS[commandName];
  const storeCommand = STORE_COMMANDS[commandName];
  if (commandName !== 'migrate' && !task && !storeCommand) throw new UsageError(`unknown command "${positionals.join(' ')}"`);
  const { json: _json, help: _help, 'key-file': _keyFile, ...options } = values;
  const args: Args = { positionals: rest, ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) };

  const config = loadConfig();
  const opened = await openStoreUnlessHeld(config, task !== undefined);
  if ('held' in opened) {
    await task!(remoteTasks(config.serviceUrl, operatorKeyFor(config, values['key-file'], opened.held)), args, out);
    return 0;
  }
  const db = opened;
  try {
    const [{ migrate }, { composeEngine }] = await Promise.all([import('../store/migrate.ts'), import('../main.ts')]);
    const applied = await migrate(db);
    if (commandName === 'migrate') {
      out.print(applied.length ? `Applied ${applied.join(', ')}` : 'The schema is up to date.', { applied });
      return 0;
    }
    const { engine, release } = await composeEngine({ ...config, passwordHashThreads: 1 }, db);
    try {
      if (task) await task(localTasks(engine), args, out);
      else await storeCommand!(engine, args, out);
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
  } else if (error instanceof SetupError || (await import('../main.ts')).isStartupRefusal(error)) {
    process.stderr.write(`muster: ${error.message}\n`);
    process.exitCode = 2;
  } else if (isMusterError(error) || error instanceof ServiceError || error instanceof ServiceUnreachableError) {
    process.stderr.write(`muster: ${error.message}\n`);
    process.exitCode = 1;
  } else {
    throw error;
  }
}
