/**
 * Property-based fuzzing of every route of every dialect, derived from the
 * served `/openapi.json` (a new route is fuzzed without touching this file), on
 * both stores. For each operation, fast-check builds requests from the
 * operation's own parameters and body schema, some valid, most not: wrong types,
 * control and edge-case Unicode (NUL, lone surrogates, bidi controls), huge and
 * deeply nested values, out-of-range integers and dates, bad percent-encoding,
 * wrong content types, missing, malformed and foreign (other dialect's)
 * credentials, and the ids and names of another tenant's resources.
 *
 * Every answer must be: below 500; when an error, in the dialect's own error
 * shape; and free of the victim tenant's data (recognisable names seeded in
 * every dialect, never sent by the attacker's request).
 *
 * Reproduce a failure with the seed printed at the start: FUZZ_SEED=<seed>.
 * FUZZ_RUNS sets the runs per operation (default 60).
 */
/* eslint-disable @typescript-eslint/no-explicit-any -- walks arbitrary OpenAPI documents and JSON answers */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { ERROR_CODES } from '../../src/domain/errors.ts';
import { STORE_KINDS } from '../helpers/stores.ts';
import { startTestService, type TestService } from '../helpers/service.ts';

const SEED = Number(process.env.FUZZ_SEED ?? 20261201);
const RUNS = Number(process.env.FUZZ_RUNS ?? 60);
console.log(`openapi fuzz: seed ${SEED}, ${RUNS} runs per operation (FUZZ_SEED / FUZZ_RUNS to change)`);

/** Every victim name carries this marker; the attacker never sends it, so seeing it in an answer is a leak. */
const MARKER = 'zqvictim';
const PROJECT = '0123456789abcdef0123456789abcdef';

type Dialect = 'native' | 'gcore' | 'huawei' | 'alloy' | 'royalti' | 'scim';

function dialectOf(path: string): Dialect {
  if (path.startsWith('/cloud/v1/registries')) return 'gcore';
  if (path.startsWith('/v2/')) return 'huawei';
  if (path === '/users' || path.startsWith('/users/')) return 'alloy';
  if (path === '/user' || path.startsWith('/user/')) return 'royalti';
  if (path === '/scim/v2' || path.startsWith('/scim/v2/')) return 'scim';
  return 'native';
}

/** The error shape each dialect documents (docs/dialects/), checked on every 4xx. */
const ERROR_SHAPES: Record<Dialect, (status: number, body: any) => string | undefined> = {
  native: (_status, body) => {
    if (!body || Object.keys(body).join() !== 'error') return 'not {"error": ...}';
    if (!(body.error.code in ERROR_CODES)) return `unregistered code ${body.error.code}`;
    return typeof body.error.message === 'string' ? undefined : 'no message';
  },
  gcore: (_status, body) => {
    if (!body || typeof body.exception_class !== 'string' || typeof body.message !== 'string') return 'not {exception_class, message}';
    const extra = Object.keys(body).filter((k) => !['exception_class', 'message', 'invalid_fields'].includes(k));
    return extra.length ? `unknown fields ${extra.join()}` : undefined;
  },
  huawei: (_status, body) => {
    if (!body || Object.keys(body).sort().join() !== 'error_code,error_msg') return 'not {error_code, error_msg}';
    return /^[A-Z]+\.\d+$/.test(body.error_code) && typeof body.error_msg === 'string' ? undefined : 'bad error_code';
  },
  alloy: (status, body) => {
    if (status === 401) return body && Object.keys(body).length === 0 ? undefined : '401 is not {}';
    return body && Object.keys(body).join() === 'message' && typeof body.message === 'string' ? undefined : 'not {message}';
  },
  royalti: (_status, body) => {
    if (!body || body.success !== false || typeof body.error?.code !== 'string' || typeof body.error?.message !== 'string') return 'not {success: false, error: {code, message}}';
    return 'details' in body.error ? undefined : 'no error.details';
  },
  scim: (status, body) => {
    if (!body || body.schemas?.[0] !== 'urn:ietf:params:scim:api:messages:2.0:Error') return 'not a SCIM Error';
    if (body.status !== String(status)) return `status ${body.status} is not "${status}"`;
    const extra = Object.keys(body).filter((k) => !['schemas', 'status', 'scimType', 'detail'].includes(k));
    return typeof body.detail === 'string' && extra.length === 0 ? undefined : 'no detail, or unknown fields';
  },
};

// --- values ------------------------------------------------------------------

const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c));
const controlChar = fc.integer({ min: 0, max: 0x1f }).map((c) => String.fromCharCode(c));
const edgeStrings = fc.constantFrom(
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '\uD800',
  'x\uDFFFy',
  '\u202Eevil',
  '\uFEFF',
  'ﬁ',
  'Ａｄｍｉｎ',
  '../../etc/passwd',
  "'; DROP TABLE users; --",
  '%00',
  '%',
  '{}',
  'null',
  '0',
  '-1',
  '1e999',
  '9223372036854775808',
  '0000-01-01T00:00:00Z',
  '9999-12-31T23:59:59Z',
  '__proto__',
  'x'.repeat(5000),
  '😀'.repeat(300),
);
const nastyString = fc.oneof(
  { weight: 3, arbitrary: edgeStrings },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: fc.oneof(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }), loneSurrogate, controlChar), maxLength: 20 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme-ascii', maxLength: 30 }) },
);
const edgeIntegers = fc.constantFrom(0, -1, 1, 2 ** 31, 2 ** 53, -(2 ** 63), 1e20, 1e308, 0.5, Number.MAX_SAFE_INTEGER + 2);
const anyScalar = fc.oneof(nastyString, edgeIntegers, fc.integer(), fc.double(), fc.boolean(), fc.constant(null));

/** JSON nested `depth` levels (deeper ones are sent as raw text: see RAW_BODIES). */
const deep = (depth: number, kind: 'array' | 'object') => {
  let value: unknown = 'bottom';
  for (let i = 0; i < depth; i += 1) value = kind === 'array' ? [value] : { k: value };
  return value;
};
const wildJson: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: anyScalar },
  { weight: 1, arbitrary: fc.array(anyScalar, { maxLength: 4 }) },
  { weight: 1, arbitrary: fc.dictionary(nastyString, anyScalar, { maxKeys: 3 }) },
  { weight: 1, arbitrary: fc.constantFrom(deep(40, 'array'), deep(40, 'object')) },
);

interface Pools {
  /** Values worth putting in any path segment: the attacker's own ids and names, and the victim's. */
  readonly path: readonly string[];
  /** Values that name the attacker's own resources, by path parameter name (so requests reach the store). */
  readonly byName: Readonly<Record<string, readonly string[]>>;
}

/** A value for a JSON schema: mostly of the schema's type (with edge cases), rarely anything at all. */
function valueFor(schema: any, pools: Pools, depth = 0): fc.Arbitrary<unknown> {
  return fc.oneof({ weight: 12, arbitrary: typedValue(schema ?? {}, pools, depth) }, { weight: 1, arbitrary: wildJson });
}

/** A string the schema accepts (its pattern, its length), or undefined when none can be built. */
function validString(schema: any): fc.Arbitrary<string> | undefined {
  if (schema.format) return undefined;
  try {
    const base = schema.pattern ? fc.stringMatching(new RegExp(schema.pattern)) : fc.string({ unit: 'grapheme-ascii', minLength: Math.max(1, schema.minLength ?? 0), maxLength: 12 });
    return base.filter((v) => v.length >= (schema.minLength ?? 0) && v.length <= (schema.maxLength ?? Infinity));
  } catch {
    return undefined;
  }
}

/** A valid string with one nasty character in it (NUL, a lone surrogate, a control character). */
const tainted = (valid: fc.Arbitrary<string>) =>
  fc.tuple(valid, fc.oneof(fc.constantFrom('\u0000', '\uD800', '\uDFFF'), loneSurrogate, controlChar), fc.nat()).map(([v, bad, at]) => v.slice(0, at % (v.length + 1)) + bad + v.slice(at % (v.length + 1)));

function typedValue(schema: any, pools: Pools, depth: number): fc.Arbitrary<unknown> {
  if (Array.isArray(schema.enum)) return fc.constantFrom(...schema.enum);
  if ('const' in schema) return fc.constant(schema.const);
  for (const key of ['anyOf', 'oneOf', 'allOf'] as const) {
    if (Array.isArray(schema[key]) && schema[key].length) {
      if (key === 'allOf') {
        const merged = { type: 'object', properties: {}, required: [] as string[] };
        for (const part of schema.allOf) {
          Object.assign(merged.properties, part.properties);
          merged.required.push(...(part.required ?? []));
        }
        return typedValue(merged, pools, depth);
      }
      return fc.oneof(...schema[key].map((s: any) => typedValue(s, pools, depth)));
    }
  }
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  switch (type) {
    case 'string':
      if (schema.format === 'date-time') {
        return fc.oneof(fc.date({ noInvalidDate: true }).map((d) => d.toISOString()), fc.constantFrom('0000-01-01T00:00:00Z', '0001-01-01T00:00:00+01:00', '9999-12-31T23:59:59-23:59'), nastyString);
      }
      if (schema.format === 'uuid') return fc.oneof(fc.uuid(), fc.constantFrom(...pools.path), nastyString);
      if (schema.format === 'email') return fc.oneof(fc.emailAddress(), nastyString);
      {
        const valid = validString(schema) ?? fc.stringMatching(/^[a-z][a-z0-9]{2,10}$/);
        return fc.oneof({ weight: 4, arbitrary: valid }, { weight: 2, arbitrary: tainted(valid) }, { weight: 2, arbitrary: nastyString });
      }
    case 'integer':
    case 'number':
      return fc.oneof(fc.integer({ min: schema.minimum ?? -1000, max: Math.min(schema.maximum ?? 1000, 100000) }), edgeIntegers);
    case 'boolean':
      return fc.oneof({ weight: 4, arbitrary: fc.boolean() }, { weight: 1, arbitrary: fc.constantFrom('true', 0, null) });
    case 'null':
      return fc.constant(null);
    case 'array':
      if (depth > 3) return fc.constant([]);
      return fc.array(valueFor(schema.items, pools, depth + 1), { maxLength: 3 });
    case 'object': {
      if (depth > 3) return fc.constant({});
      const properties: Record<string, any> = schema.properties ?? {};
      const keys = Object.keys(properties);
      if (keys.length === 0) return fc.dictionary(nastyString, wildJson, { maxKeys: 3 });
      const record = fc.record(
        Object.fromEntries(keys.map((k) => [k, valueFor(properties[k], pools, depth + 1)])),
        { requiredKeys: (schema.required ?? []).filter((k: string) => keys.includes(k)) },
      );
      // Sometimes a field no schema knows, with a nasty key.
      return fc.tuple(record, fc.option(fc.tuple(nastyString, wildJson), { freq: 4 })).map(([r, extra]) => (extra ? { ...r, [extra[0]]: extra[1] } : r));
    }
    default:
      return wildJson;
  }
}

/** Percent-encodes every UTF-16 unit on its own, so a lone surrogate becomes bytes no UTF-8 decoder accepts. */
function encodeSegment(text: string): string {
  try {
    return encodeURIComponent(text);
  } catch {
    return [...text].map((ch) => (ch.length === 1 && /[\uD800-\uDFFF]/.test(ch) ? `%ED%${(0xa0 + ((ch.charCodeAt(0) >> 6) & 0x1f)).toString(16).toUpperCase()}%80` : encodeURIComponent(ch))).join('');
  }
}
const badEncodings = fc.constantFrom('%', '%zz', '%E0%A4%A', '%C0%AF', '%ED%A0%80', '%FF', '%00', 'a%2Fb', '..', '%2e%2e');

function pathSegment(name: string, schema: any, pools: Pools): fc.Arbitrary<string> {
  const own = pools.byName[name];
  return fc.oneof(
    { weight: own ? 8 : 0, arbitrary: fc.constantFrom(...(own ?? [''])) },
    { weight: 3, arbitrary: fc.constantFrom(...pools.path) },
    { weight: 3, arbitrary: valueFor(schema, pools).map((v) => encodeSegment(typeof v === 'string' ? v : JSON.stringify(v) ?? '')) },
    { weight: 1, arbitrary: badEncodings },
    { weight: 1, arbitrary: fc.constantFrom('x'.repeat(3000), '9'.repeat(400)) },
  );
}

// --- credentials -------------------------------------------------------------

interface Credentials {
  readonly apiKey: string;
  readonly token: string;
}

type CredentialMode = 'own' | 'none' | 'garbage' | 'foreign';

/** Headers that authenticate `who` in `dialect`; `foreign` is the attacker's valid credential in another dialect's form. */
function authHeaders(dialect: Dialect, mode: CredentialMode, who: Credentials): Record<string, string> {
  const own: Record<Dialect, Record<string, string>> = {
    native: { authorization: `Bearer ${who.apiKey}` },
    gcore: { authorization: `APIKey ${who.apiKey}` },
    huawei: { 'x-auth-token': who.apiKey },
    alloy: { authorization: `bearer ${who.apiKey}`, 'x-api-version': '2025-09' },
    royalti: { authorization: `Bearer ${who.token}` },
    scim: { authorization: `Bearer ${who.apiKey}` },
  };
  switch (mode) {
    case 'own':
      return own[dialect];
    case 'none':
      return dialect === 'alloy' ? { 'x-api-version': '2025-09' } : {};
    case 'garbage':
      return { authorization: 'Bearer mst_' + 'A'.repeat(43), 'x-auth-token': 'nope', 'x-api-version': '2025-09' };
    case 'foreign': {
      const other: Dialect = dialect === 'royalti' ? 'gcore' : dialect === 'native' ? 'royalti' : 'native';
      return { ...own[other], ...(dialect === 'alloy' && { 'x-api-version': '2025-09' }) };
    }
  }
}

// --- requests ------------------------------------------------------------------

interface Operation {
  readonly method: string;
  readonly path: string;
  readonly dialect: Dialect;
  readonly spec: any;
}

interface FuzzRequest {
  /** Mostly the operation's own method; sometimes one no route has (the answer must still be in the dialect's shape). */
  readonly method: string;
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly payload: string | undefined;
}

/** Nesting deep enough to overflow any recursive walker, as text (building it as a value would overflow the test). */
const DEEP = `${'{"k":'.repeat(20000)}1${'}'.repeat(20000)}`;
const RAW_BODIES = fc.constantFrom(
  '',
  '{',
  'null',
  '[]',
  '"text"',
  '{"a":1,"a":2}',
  '{"__proto__":{"x":1}}',
  '['.repeat(100000),
  `{"users":${'['.repeat(3000)}${']'.repeat(3000)}}`,
  `{"users":[{"username":"deep","name":"deep","email":"d@example.com","attributes":${DEEP}}],"username":"deep","name":"deep","attributes":${DEEP},"allowed":[${DEEP}]}`,
  '\u0000',
  '{"x":"\\ud800"}',
  '{"x":"\\u0000"}',
);
const CONTENT_TYPES = fc.constantFrom('application/json', 'application/json; charset=utf-8', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml', 'APPLICATION/JSON');

function requestFor(op: Operation, pools: Pools, attacker: Credentials): fc.Arbitrary<FuzzRequest> {
  const parameters: any[] = op.spec.parameters ?? [];
  const pathParams = parameters.filter((p) => p.in === 'path');
  const queryParams = parameters.filter((p) => p.in === 'query');
  const headerParams = parameters.filter((p) => p.in === 'header');
  const bodySchema = op.spec.requestBody?.content?.['application/json']?.schema;

  const path = fc.tuple(...pathParams.map((p) => pathSegment(p.name, p.schema, pools))).map((values) => {
    let url = op.path;
    pathParams.forEach((p, i) => (url = url.replace(`{${p.name}}`, values[i]!)));
    return url;
  });
  const query = fc.array(
    fc.oneof(
      ...queryParams.map((p) => valueFor(p.schema, pools).map((v) => `${p.name}=${encodeSegment(typeof v === 'string' ? v : JSON.stringify(v) ?? '')}`)),
      badEncodings.map((bad) => `${queryParams[0]?.name ?? 'q'}=${bad}`),
      nastyString.map((name) => `${encodeSegment(name)}=1`),
    ),
    { maxLength: 2 },
  );
  const headers = fc.tuple(
    fc.oneof({ weight: 8, arbitrary: fc.constant<CredentialMode>('own') }, { weight: 1, arbitrary: fc.constantFrom<CredentialMode>('none', 'garbage', 'foreign') }),
    fc.array(fc.tuple(fc.constantFrom(...headerParams.map((p) => p.name), 'if-match', 'idempotency-key', 'x-request-id'), fc.string({ unit: 'binary-ascii', maxLength: 300 })), { maxLength: 1 }),
  );
  const body = bodySchema
    ? fc.oneof({ weight: 8, arbitrary: typedValue(bodySchema, pools, 0).map((v) => JSON.stringify(v) ?? 'null') }, { weight: 1, arbitrary: RAW_BODIES })
    : fc.option(RAW_BODIES, { freq: 3 }).map((b) => b ?? undefined);
  const contentType = fc.oneof({ weight: 10, arbitrary: fc.constant('application/json') }, { weight: 1, arbitrary: CONTENT_TYPES }, { weight: 1, arbitrary: fc.constant(undefined) });

  const method = fc.oneof({ weight: 20, arbitrary: fc.constant(op.method) }, { weight: 1, arbitrary: fc.constantFrom('OPTIONS', 'PROPFIND', 'TRACE', 'PUT', 'PATCH') });
  return fc.record({ method, path, query, headers, body, contentType }).map(({ method: m, path: p, query: q, headers: [mode, extra], body: b, contentType: ct }) => {
    const sent: Record<string, string> = {};
    for (const [name, value] of extra) sent[name] = value.replace(/[^\x20-\x7e]/g, '');
    Object.assign(sent, authHeaders(op.dialect, mode, attacker));
    if (b !== undefined && ct !== undefined) sent['content-type'] = ct;
    return { method: m, url: q.length ? `${p}?${q.join('&')}` : p, headers: sent, payload: b };
  });
}

// --- the test ---------------------------------------------------------------------

for (const kind of STORE_KINDS) {
  describe(`openapi fuzz: ${kind}`, () => {
    let svc: TestService;
    let operations: Operation[] = [];
    let attacker: Credentials;
    let pools: Pools;

    async function credentialsOf(adminKey: string): Promise<Credentials> {
      const token = await svc.call('POST', '/v1/tokens', { key: adminKey });
      assert.equal(token.status, 200, token.text);
      return { apiKey: adminKey, token: token.body.token };
    }

    /** The victim tenant: one resource in every dialect, every name carrying MARKER. Returns their ids. */
    async function seedVictim(victim: Credentials): Promise<string[]> {
      const ok = (r: { status: number; text: string }, what: string) => assert.ok(r.status < 300, `${what}: ${r.status} ${r.text}`);
      const ids: string[] = [];
      const call = (method: string, url: string, headers: Record<string, string>, body?: unknown) => svc.call(method, url, { headers, ...(body !== undefined && { body }) });
      const native = authHeaders('native', 'own', victim);
      const dir = await call('POST', '/v1/directories', native, { name: `${MARKER}-dir` });
      ok(dir, 'directory');
      const user = await call('POST', `/v1/directories/${MARKER}-dir/users`, native, { username: `${MARKER}-user`, email: `${MARKER}@example.com`, generateSecret: true, attributes: { note: MARKER } });
      ok(user, 'native user');
      const group = await call('POST', `/v1/directories/${MARKER}-dir/groups`, native, { name: `${MARKER}-group` });
      ok(group, 'group');
      ids.push(dir.body.id, user.body.id, group.body.id);
      const registry = await call('POST', '/cloud/v1/registries/1/1', authHeaders('gcore', 'own', victim), { name: `${MARKER}reg` });
      ok(registry, 'gcore registry');
      const regUser = await call('POST', `/cloud/v1/registries/1/1/${registry.body.id}/users`, authHeaders('gcore', 'own', victim), { name: `${MARKER}`, duration: 30 });
      ok(regUser, 'gcore user');
      ids.push(String(registry.body.id), String(regUser.body.id));
      ok(await call('POST', '/v1/directories', native, { name: PROJECT }), 'huawei project');
      const huawei = await call('POST', `/v2/${PROJECT}/users`, authHeaders('huawei', 'own', victim), { user_name: `${MARKER}_hw`, user_email: `${MARKER}.hw@example.com`, active_type: 'ADMIN_ACTIVATE', password: 'Victim-password-1' });
      ok(huawei, 'huawei user');
      ids.push(huawei.body.id);
      const alloy = await call('POST', '/users', authHeaders('alloy', 'own', victim), { username: `${MARKER}-alloy`, fullName: `${MARKER} Alloy` });
      ok(alloy, 'alloy user');
      ids.push(alloy.body.userId);
      const royalti = await call('POST', '/user/bulk', authHeaders('royalti', 'own', victim), { users: [{ email: `${MARKER}.roy@example.com`, firstName: MARKER }], sendEmail: false });
      ok(royalti, 'royalti user');
      const scim = await call('POST', '/scim/v2/Users', authHeaders('scim', 'own', victim), { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: `${MARKER}-scim`, title: MARKER });
      ok(scim, 'scim user');
      ids.push(scim.body.id);
      return ids;
    }

    before(async () => {
      svc = await startTestService(kind, { BODY_LIMIT_BYTES: String(256 * 1024) });
      const spec = (await svc.call('GET', '/openapi.json')).body;
      operations = Object.entries(spec.paths as Record<string, Record<string, any>>).flatMap(([path, ops]) =>
        Object.entries(ops)
          .filter(([method]) => ['get', 'post', 'put', 'patch', 'delete'].includes(method))
          .map(([method, op]) => ({ method: method.toUpperCase(), path, dialect: dialectOf(path), spec: op })),
      );
      const victimIds = await seedVictim(await credentialsOf((await svc.newTenant()).adminKey));
      attacker = await credentialsOf((await svc.newTenant()).adminKey);
      // The attacker's own resources, so that valid requests reach deep into each route.
      const own = authHeaders('native', 'own', attacker);
      await svc.call('POST', '/v1/directories', { headers: own, body: { name: PROJECT } });
      const group = await svc.call('POST', '/v1/directories/default/groups', { headers: own, body: { name: 'team' } });
      const user = await svc.call('POST', '/v1/directories/default/users', { headers: own, body: { username: 'mallory', email: 'm@example.com', password: 'attacker-password' } });
      const registry = await svc.call('POST', '/cloud/v1/registries/1/1', { headers: authHeaders('gcore', 'own', attacker), body: { name: 'mine' } });
      const regUser = await svc.call('POST', `/cloud/v1/registries/1/1/${registry.body.id}/users`, { headers: authHeaders('gcore', 'own', attacker), body: { name: 'mine', duration: 5 } });
      const hwUser = await svc.call('POST', `/v2/${PROJECT}/users`, { headers: authHeaders('huawei', 'own', attacker), body: { user_name: 'mine_hw', active_type: 'ADMIN_ACTIVATE', password: 'Attacker-pass-1' } });
      const alloyUser = await svc.call('POST', '/users', { headers: authHeaders('alloy', 'own', attacker), body: { username: 'mine-alloy' } });
      pools = {
        path: ['default', PROJECT, '1', '0', user.body.id, group.body.id, String(registry.body.id), 'mallory', `${MARKER}-dir`, `${MARKER}-user`, ...victimIds],
        byName: {
          directory: ['default', PROJECT],
          userId: [user.body.id, alloyUser.body.userId, 'mine-alloy'],
          groupId: [group.body.id],
          project_id: ['1', PROJECT],
          region_id: ['1'],
          registry_id: [String(registry.body.id)],
          user_id: [String(regUser.body.id), hwUser.body.id],
        },
      };
      // Victim ids are fair game in a path, but must never come back: the marker check covers names,
      // and an id only counts as leaked when the request did not contain it.
      leakTokens = [MARKER, ...victimIds.filter((id) => id.length > 8)];
    });
    after(() => svc.close());

    let leakTokens: string[] = [];

    it('derives operations from /openapi.json for every dialect', () => {
      const dialects = new Set(operations.map((o) => o.dialect));
      assert.deepEqual([...dialects].sort(), ['alloy', 'gcore', 'huawei', 'native', 'royalti', 'scim']);
      assert.ok(operations.length >= 50, `${operations.length} operations`);
    });

    it('every route of every dialect: no 5xx, errors in the dialect shape, no other tenant\'s data', async () => {
      const started = Date.now();
      let requests = 0;
      const statuses: Record<string, number> = {};
      for (const op of operations) {
        await fc.assert(
          fc.asyncProperty(requestFor(op, pools, attacker), async (request) => {
            requests += 1;
            const response = await svc.app.inject({ method: request.method as 'GET', url: request.url, headers: request.headers, ...(request.payload !== undefined && { payload: request.payload }) });
            statuses[`${op.dialect} ${response.statusCode}`] = (statuses[`${op.dialect} ${response.statusCode}`] ?? 0) + 1;
            const where = `${op.method} ${op.path} -> ${request.method} ${request.url.slice(0, 200)} [${response.statusCode}] ${response.body.slice(0, 300)}`;
            assert.ok(response.statusCode < 500, `5xx: ${where}`);
            if (response.statusCode >= 400) {
              let body: unknown;
              try {
                body = JSON.parse(response.body);
              } catch {
                assert.fail(`error body is not JSON: ${where}`);
              }
              // The dialect of the path as routed: dot segments (`%2e%2e`) are resolved first, as URL parsers do.
              const dialect = dialectOf(new URL(request.url, 'http://muster.test').pathname);
              const problem = ERROR_SHAPES[dialect](response.statusCode, body);
              assert.equal(problem, undefined, `not the ${dialect} error shape (${problem}): ${where}`);
            }
            const sent = `${decodeSafely(request.url)} ${request.payload ?? ''}`;
            for (const token of leakTokens) {
              if (!sent.includes(token)) assert.ok(!response.body.includes(token), `another tenant's ${token} in ${where}`);
            }
          }),
          { numRuns: RUNS, seed: SEED, endOnFailure: true },
        );
      }
      console.log(`openapi fuzz (${kind}): ${operations.length} operations, ${requests} requests in ${Date.now() - started} ms; answers by dialect and status: ${JSON.stringify(statuses)}`);
    });
  });
}

function decodeSafely(url: string): string {
  try {
    return decodeURIComponent(url);
  } catch {
    return url;
  }
}
