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
 *
 * Add --json for machine-readable output. Exit codes: 0 done, 1 failed, 2 usage or
 * configuration (a bad variable, a data directory held by another process).
 */
import { parseArgs } from 'node:util';
import { loadConfig } from '../config.ts';
import type { ApiKeyInfo } from '../domain/apiKey.ts';
import { isMusterError } from '../domain/errors.ts';
import type { Engine } from '../engine/engine.ts';
import { composeEngine, isStartupRefusal, openStore } from '../main.ts';
import { migrate } from '../store/migrate.ts';

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

type Command = (engine: Engine, args: { positionals: string[]; tenant?: string; name?: string; scopes?: string }, out: Output) => Promise<void>;

function requireTenant(tenant: string | undefined): string {
  if (!tenant) throw new UsageError('--tenant <name|id> is required');
  return tenant;
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
    const { id: tenantId } = await engine.tenants.resolveTenant(requireTenant(tenant));
    const issued = await engine.tenants.createKey(tenantId, {
      name: name ?? 'cli',
      scopes: (scopes ?? 'users:read,users:write').split(',').map((s) => s.trim()).filter(Boolean),
    });
    out.print(`${keyLine(issued.info)}\nKey (shown once, store it now):\n  ${issued.key}`, { ...issued.info, key: issued.key });
  },
  'keys list': async (engine, { tenant }, out) => {
    const keys = await engine.tenants.listKeys((await engine.tenants.resolveTenant(requireTenant(tenant))).id);
    out.print(keys.map(keyLine).join('\n') || '(no keys)', keys);
  },
  'access-keys create': async (engine, { tenant, name, scopes }, out) => {
    const { id: tenantId } = await engine.tenants.resolveTenant(requireTenant(tenant));
    const created = await engine.accessKeys.create(tenantId, {
      name: name ?? 'cli',
      scopes: (scopes ?? 'users:read,users:write').split(',').map((s) => s.trim()).filter(Boolean),
    });
    out.print(
      `Access key ${created.info.id} [${created.info.scopes.join(',')}]\nSecret access key (shown once, store it now):\n  ${created.secretAccessKey}`,
      { accessKeyId: created.info.id, secretAccessKey: created.secretAccessKey, scopes: created.info.scopes },
    );
  },
  'access-keys list': async (engine, { tenant }, out) => {
    const keys = await engine.accessKeys.list((await engine.tenants.resolveTenant(requireTenant(tenant))).id);
    const line = (k: (typeof keys)[number]) => `${k.id}  ${k.name}  [${k.scopes.join(',')}]  ${k.revokedAt ? `revoked ${k.revokedAt.toISOString()}` : 'active'}`;
    out.print(keys.map(line).join('\n') || '(no access keys)', keys);
  },
  'access-keys revoke': async (engine, { tenant, positionals }, out) => {
    const [id] = positionals;
    if (!id) throw new UsageError('access-keys revoke needs an access key id');
    const key = await engine.accessKeys.revoke((await engine.tenants.resolveTenant(requireTenant(tenant))).id, id);
    out.print(`Revoked access key ${key.id}`, key);
  },
  'keys revoke': async (engine, { tenant, positionals }, out) => {
    const [ref] = positionals;
    if (!ref) throw new UsageError('keys revoke needs a key id or prefix');
    const key = await engine.tenants.revokeKey((await engine.tenants.resolveTenant(requireTenant(tenant))).id, ref);
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
  const commandName = group === 'migrate' ? 'migrate' : `${group} ${verb ?? ''}`;
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
      const args = {
        positionals: group === 'migrate' ? [verb ?? '', ...rest] : rest,
        ...(values.tenant !== undefined && { tenant: values.tenant }),
        ...(values.name !== undefined && { name: values.name }),
        ...(values.scopes !== undefined && { scopes: values.scopes }),
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
  } else if (isStartupRefusal(error)) {
    process.stderr.write(`muster: ${error.message}\n`);
    process.exitCode = 2;
  } else if (isMusterError(error)) {
    process.stderr.write(`muster: ${error.message}\n`);
    process.exitCode = 1;
  } else {
    throw error;
  }
}
