/**
 * The seed-schema checks themselves (test/helpers/seedSchemas.ts): each must
 * reject what a client generated from that seed rejects, or the conformance
 * tests that rely on it could not fail.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { seedComponentProblems, seedResponseProblems, seedStatuses } from '../helpers/seedSchemas.ts';

const user = { id: 1, name: 'user1', read_only: false, duration: 14, created_at: '2024-06-18T09:36:53.335000Z', expires_at: '2024-07-02T09:36:53.335000Z', secret: 's' };

describe('seed response schemas', () => {
  it('seed 000 (RegistryUserCreateResponseSerializer): all seven fields required, extra properties allowed', () => {
    assert.deepEqual(seedResponseProblems('000', 201, user), []);
    assert.deepEqual(seedResponseProblems('000', 201, { ...user, count: 1, results: [user] }), []);
    const listShape = seedResponseProblems('000', 201, { count: 1, results: [user] });
    assert.equal(listShape.length, 7, `the {count, results} shape misses every field: ${listShape.join('; ')}`);
    const { secret: _secret, ...noSecret } = user;
    assert.match(seedResponseProblems('001', 201, noSecret).join(), /secret/);
    assert.match(seedResponseProblems('001', 201, { ...user, expires_at: 'never' }).join(), /date-time/);
    assert.match(seedResponseProblems('001', 201, { ...user, id: '1' }).join(), /integer/);
  });

  it('seed 002 (Huawei tables): error_code and error_msg, both strings, both required', () => {
    assert.deepEqual(seedStatuses('002'), [400, 401, 403, 404, 405, 500, 503]);
    assert.deepEqual(seedResponseProblems('002', 400, { error_code: 'WKS.0001', error_msg: 'm' }), []);
    assert.match(seedResponseProblems('002', 401, { error_code: 'APIGW.0301' }).join(), /error_msg/);
    assert.match(seedResponseProblems('002', 404, { error_code: 404, error_msg: 'm' }).join(), /string/);
  });

  it('seed 003 (Alloy): a oneOf of two identical schemas is that schema', () => {
    assert.deepEqual(seedResponseProblems('003', 400, { message: 'No valid users provided' }), []);
    assert.match(seedResponseProblems('003', 400, { message: 5 }).join(), /string/);
    assert.match(seedResponseProblems('003', 200, { message: 'success', invalidUsers: {} }).join(), /array/);
  });

  it('seed 004 (Royalti Error): details is an array of strings', () => {
    const error = { success: false, error: { code: 'VALIDATION_ERROR', message: 'm', details: ['request.invalid'] } };
    assert.deepEqual(seedComponentProblems('004', 'Error', error), []);
    assert.deepEqual(seedResponseProblems('004', 401, error), []);
    assert.match(seedResponseProblems('004', 404, { ...error, error: { ...error.error, details: { code: 'x' } } }).join(), /array/);
    assert.match(seedResponseProblems('004', 201, { message: 'Done.', createdUsers: [1], processedCount: 1, errors: [] }).join(), /string/);
  });

  it('refuses to check a status the seed specifies no body for, rather than pass it', () => {
    assert.throws(() => seedResponseProblems('000', 409, {}), /declares no response body schema for 409/);
  });
});
