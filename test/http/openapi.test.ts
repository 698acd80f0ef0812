/**
 * `/openapi.json` is usable by generated clients (issue 9): a field with a
 * default is never required, Alloy's mandatory `x-api-version` header is, and
 * every request and 2xx response body has an example that its own schema
 * accepts. Checked over the document as served, so a new route is covered.
 */
/* eslint-disable @typescript-eslint/no-explicit-any -- walks an OpenAPI document */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { compileBodyValidator } from '../../src/http/validation.ts';
import { STORE_KINDS } from '../helpers/stores.ts';
import { startTestService, type TestService } from '../helpers/service.ts';

const METHODS = ['get', 'post', 'put', 'patch', 'delete'];

function operationsOf(spec: any): { name: string; op: any }[] {
  return Object.entries(spec.paths as Record<string, any>).flatMap(([path, ops]) =>
    Object.entries(ops as Record<string, any>)
      .filter(([method]) => METHODS.includes(method))
      .map(([method, op]) => ({ name: `${method.toUpperCase()} ${path}`, op })),
  );
}

/** Every `required` entry naming a property that has a default, anywhere in `schema`. */
function requiredDefaults(schema: any, where: string, found: string[]): string[] {
  if (!schema || typeof schema !== 'object') return found;
  if (schema.properties && Array.isArray(schema.required)) {
    for (const name of schema.required) if (schema.properties[name]?.default !== undefined) found.push(`${where}.${name}`);
  }
  for (const [key, value] of Object.entries(schema)) if (value && typeof value === 'object') requiredDefaults(value, `${where}/${key}`, found);
  return found;
}

for (const kind of STORE_KINDS) {
  describe(`openapi document for generated clients: ${kind}`, () => {
    let svc: TestService;
    let spec: any;

    before(async () => {
      svc = await startTestService(kind);
      spec = (await svc.call('GET', '/openapi.json')).body;
    });
    after(() => svc.close());

    it('marks no field with a default as required (bodies, query and header parameters)', () => {
      const found: string[] = [];
      for (const { name, op } of operationsOf(spec)) {
        requiredDefaults(op.requestBody, name, found);
        for (const p of op.parameters ?? []) if (p.required && p.schema?.default !== undefined) found.push(`${name} ${p.in}.${p.name}`);
      }
      assert.deepEqual(found, []);
      const batch = spec.paths['/v1/directories/{directory}/users/batch'].post.requestBody.content['application/json'].schema;
      assert.deepEqual(batch.required, ['users'], 'mode, onConflict and dryRun have defaults');
    });

    it('marks Alloy\'s x-api-version header required on every Alloy operation', () => {
      const alloy = operationsOf(spec).filter(({ name }) => / \/users(\/|$)/.test(name));
      assert.ok(alloy.length >= 6);
      for (const { name, op } of alloy) {
        const header = (op.parameters ?? []).find((p: any) => p.in === 'header' && p.name === 'x-api-version');
        assert.equal(header?.required, true, name);
      }
    });

    it('gives every request body and every 2xx response body an example its schema accepts', () => {
      let checked = 0;
      for (const { name, op } of operationsOf(spec)) {
        const bodies: [string, any][] = [
          ...Object.entries<any>(op.requestBody?.content ?? {}).map(([type, media]): [string, any] => [`${name} request ${type}`, media]),
          ...Object.entries<any>(op.responses ?? {})
            .filter(([status]) => status.startsWith('2'))
            .flatMap(([status, response]) => Object.entries<any>(response.content ?? {}).map(([type, media]): [string, any] => [`${name} ${status} ${type}`, media])),
        ];
        for (const [where, media] of bodies) {
          const example = media.example ?? Object.values<any>(media.examples ?? {})[0]?.value;
          assert.notEqual(example, undefined, `${where} has an example`);
          const validate = compileBodyValidator(media.schema);
          assert.ok(validate(structuredClone(example)), `${where}: example ${JSON.stringify(example)} fails its schema: ${JSON.stringify(validate.errors)}`);
          checked += 1;
        }
      }
      assert.ok(checked >= 60, `${checked} bodies`);
    });
  });
}
