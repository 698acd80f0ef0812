/** Pure rules: validation, normalisation, sign-in decisions, ids, the error registry. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { newId } from '../../src/crypto/ids.ts';
import { isUuid, validateDirectoryName } from '../../src/domain/directory.ts';
import { ERROR_CODES, MusterError } from '../../src/domain/errors.ts';
import { comparisonKey, signInBlocker, validateDraft, validatePatch } from '../../src/domain/user.ts';
import { validateBatch } from '../../src/domain/batch.ts';

function codeOf(work: () => unknown): string | undefined {
  try {
    work();
  } catch (error) {
    if (error instanceof MusterError) return error.code;
    throw error;
  }
  return undefined;
}

describe('error registry', () => {
  it('documents every code with a status, a message and a description', () => {
    for (const [code, spec] of Object.entries(ERROR_CODES)) {
      assert.match(code, /^[a-z_]+(\.[a-z_]+)?$/, `code ${code} is not dotted snake case`);
      assert.ok(spec.status >= 400 && spec.status <= 599, `${code} has status ${spec.status}`);
      assert.ok(spec.message.length > 10, `${code} has no message`);
      assert.ok(spec.description.length > 10, `${code} has no description`);
    }
  });
});

describe('comparisonKey', () => {
  it('folds case and compatibility forms so look-alikes collide', () => {
    assert.equal(comparisonKey('Alice'), 'alice');
    assert.equal(comparisonKey('ＡＬＩＣＥ'), 'alice');
    assert.equal(comparisonKey('Ä'), comparisonKey('A\u0308'));
  });
});

describe('validateDraft', () => {
  it('accepts a plain draft and NFC-normalises it', () => {
    const draft = validateDraft({ username: 'Jose\u0301', email: 'j@example.com' });
    assert.equal(draft.username, 'José');
  });

  it('names the field of each broken rule', () => {
    assert.equal(codeOf(() => validateDraft({ username: '' })), 'user.invalid_username');
    assert.equal(codeOf(() => validateDraft({ username: ' padded' })), 'user.invalid_username');
    assert.equal(codeOf(() => validateDraft({ username: 'tab\there' })), 'user.invalid_username');
    assert.equal(codeOf(() => validateDraft({ username: 'x'.repeat(257) })), 'user.invalid_username');
    assert.equal(codeOf(() => validateDraft({ username: 'a', email: 'not-an-email' })), 'user.invalid_email');
    assert.equal(codeOf(() => validateDraft({ username: 'a', password: 'short' })), 'user.invalid_password');
    assert.equal(codeOf(() => validateDraft({ username: 'a', password: 'long enough', generateSecret: true })), 'user.credential_conflict');
    assert.equal(codeOf(() => validateDraft({ username: 'a', displayName: 'x'.repeat(300) })), 'user.invalid_field');
    assert.equal(codeOf(() => validateDraft({ username: 'a', expiresAt: new Date('nonsense') })), 'user.invalid_field');
  });

  it('lists every problem, not only the first', () => {
    try {
      validateDraft({ username: '', email: 'bad', password: 'short' });
      assert.fail('expected a MusterError');
    } catch (error) {
      assert.ok(error instanceof MusterError);
      const problems = error.details?.problems as { field: string }[];
      assert.deepEqual(problems.map((p) => p.field), ['username', 'email', 'password']);
    }
  });
});

describe('validatePatch', () => {
  it('allows clearing nullable fields and checks the ones given', () => {
    assert.deepEqual(validatePatch({ email: null, displayName: null }), { email: null, displayName: null });
    assert.equal(codeOf(() => validatePatch({ email: 'nope' })), 'user.invalid_email');
    assert.equal(codeOf(() => validatePatch({ username: '' })), 'user.invalid_username');
  });
});

describe('signInBlocker', () => {
  const now = new Date('2026-06-01T00:00:00Z');
  it('lets active, unexpired users in', () => {
    assert.equal(signInBlocker({ status: 'active', expiresAt: null }, now), undefined);
    assert.equal(signInBlocker({ status: 'active', expiresAt: new Date('2026-06-01T00:00:01Z') }, now), undefined);
  });
  it('stops pending, disabled and expired users', () => {
    assert.equal(signInBlocker({ status: 'pending', expiresAt: null }, now), 'credentials.user_pending');
    assert.equal(signInBlocker({ status: 'disabled', expiresAt: null }, now), 'credentials.user_disabled');
    assert.equal(signInBlocker({ status: 'active', expiresAt: now }, now), 'credentials.user_expired');
  });
});

describe('directory names', () => {
  it('accepts slugs and refuses UUID-shaped or malformed names', () => {
    assert.equal(validateDirectoryName('staff-eu_1'), 'staff-eu_1');
    assert.equal(validateDirectoryName('0123456789abcdef0123456789abcdef'), '0123456789abcdef0123456789abcdef');
    assert.equal(codeOf(() => validateDirectoryName('Staff')), 'request.invalid');
    assert.equal(codeOf(() => validateDirectoryName('-x')), 'request.invalid');
    assert.equal(codeOf(() => validateDirectoryName(newId())), 'request.invalid');
  });
});

describe('newId', () => {
  it('makes UUIDv7s that increase strictly, also within one millisecond', () => {
    const ids = Array.from({ length: 5000 }, newId);
    for (const id of ids) {
      assert.ok(isUuid(id));
      assert.equal(id[14], '7');
      assert.match(id[19]!, /[89ab]/);
    }
    for (let i = 1; i < ids.length; i++) assert.ok(ids[i - 1]! < ids[i]!, `${ids[i - 1]} !< ${ids[i]}`);
  });
});

describe('validateBatch', () => {
  it('splits items into candidates and failures by index, catching repeats before any I/O', () => {
    const { candidates, failures } = validateBatch([
      { draft: { username: 'Ann', email: 'ann@example.com' } },
      { draft: { username: 'ANN' } },
      { draft: { username: 'bob', email: 'ANN@example.com' } },
      { rejected: new MusterError('request.invalid') },
      { draft: { username: '', email: 'x' } },
      { draft: { username: 'ｃａｔ' } },
    ]);
    assert.deepEqual(candidates.map((c) => [c.index, c.usernameKey, c.emailKey]), [
      [0, 'ann', 'ann@example.com'],
      [5, 'cat', null],
    ]);
    assert.deepEqual([...failures].map(([i, e]) => [i, e.code, e.details?.firstIndex]), [
      [3, 'request.invalid', undefined],
      [4, 'user.invalid_username', undefined],
      [1, 'batch.duplicate_in_batch', 0],
      [2, 'batch.duplicate_in_batch', 0],
    ]);
  });
});
