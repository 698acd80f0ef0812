/**
 * The CLI while the service runs on the embedded store (which it holds): the
 * tenants and keys commands go through the service's operator API, with the
 * operator key the service generated in DATA_DIR, and work end to end; without
 * a usable key or a reachable service they fail with one clear line. Real
 * processes: the service and each CLI command.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { freePort, http, runToEnd, startProcess, type RunningService } from '../helpers/process.ts';

describe('the CLI through a running service on the embedded store', () => {
  let service: RunningService;
  let env: Record<string, string>;
  const cli = (...args: string[]) => runToEnd(['src/cli/main.ts', ...args], env);
  const oneLine = (text: string) => text.trim().split('\n').length === 1;

  before(async () => {
    const DATA_DIR = mkdtempSync(join(tmpdir(), 'muster-cli-'));
    service = await startProcess({ DATA_DIR });
    env = { DATA_DIR, PORT: new URL(service.url).port };
  });
  after(async () => {
    assert.equal(await service.stop(), 0);
  });

  it('creates and lists tenants, manages their keys, and disables a tenant', async () => {
    const created = await cli('tenants', 'create', 'acme', '--json');
    assert.equal(created.code, 0, created.stderr);
    const { tenant, adminKey } = JSON.parse(created.stdout) as { tenant: { id: string }; adminKey: { key: string } };
    assert.equal((await http(`${service.url}/v1/directories`, 'GET', adminKey.key)).status, 200, 'the new tenant\'s admin key works');

    const listed = await cli('tenants', 'list');
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, /default/);
    assert.match(listed.stdout, new RegExp(`${tenant.id}  acme`));

    const issued = await cli('keys', 'create', '--tenant', 'acme', '--name', 'ci', '--scopes', 'users:read', '--json');
    assert.equal(issued.code, 0, issued.stderr);
    const ciKey = JSON.parse(issued.stdout) as { key: string; prefix: string };
    assert.equal((await http(`${service.url}/v1/directories`, 'GET', ciKey.key)).status, 200);
    const keys = await cli('keys', 'list', '--tenant', 'acme');
    assert.match(keys.stdout, new RegExp(`${ciKey.prefix}.*ci.*active`));
    assert.equal((await cli('keys', 'revoke', '--tenant', 'acme', ciKey.prefix)).code, 0);
    assert.equal((await http(`${service.url}/v1/directories`, 'GET', ciKey.key)).body.error.code, 'auth.key_revoked');

    const disabled = await cli('tenants', 'disable', 'acme');
    assert.equal(disabled.code, 0, disabled.stderr);
    assert.equal((await http(`${service.url}/v1/directories`, 'GET', adminKey.key)).body.error.code, 'auth.tenant_disabled');

    const taken = await cli('tenants', 'create', 'acme');
    assert.equal(taken.code, 1);
    assert.ok(oneLine(taken.stderr), taken.stderr);
    assert.match(taken.stderr, /tenant\.name_taken/);
  });

  it('fails with one clear line without a usable operator key or a reachable service', async () => {
    const noFile = await cli('tenants', 'list', '--key-file', join(tmpdir(), `missing-${randomBytes(4).toString('hex')}`));
    assert.equal(noFile.code, 2);
    assert.ok(oneLine(noFile.stderr), noFile.stderr);
    assert.match(noFile.stderr, /--key-file/);

    const wrong = await runToEnd(['src/cli/main.ts', 'tenants', 'list'], { ...env, MUSTER_OPERATOR_KEY: `wrong-${randomBytes(24).toString('hex')}` });
    assert.equal(wrong.code, 1);
    assert.ok(oneLine(wrong.stderr), wrong.stderr);
    assert.match(wrong.stderr, /auth\.invalid_key/);

    const nowhere = await runToEnd(['src/cli/main.ts', 'tenants', 'list'], { ...env, MUSTER_URL: `http://127.0.0.1:${await freePort()}` });
    assert.equal(nowhere.code, 1);
    assert.ok(oneLine(nowhere.stderr), nowhere.stderr);
    assert.match(nowhere.stderr, /cannot reach the service/);

    const storeOnly = await cli('access-keys', 'list', '--tenant', 'default');
    assert.equal(storeOnly.code, 2);
    assert.match(storeOnly.stderr, /in use by process/);
  });
});
