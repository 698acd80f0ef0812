/** Pure rules: validation, normalisation, sign-in decisions, ids, the error registry. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { newId } from '../../src/crypto/ids.ts';
import { isUuid, validateDirectoryName } from '../../src/domain/directory.ts';
import { ERROR_CODES, MusterError } from '../../src/domain/errors.ts';
import { codePointLength, comparisonKey, confusableSkeleton, signInBlocker, validateDraft, validatePatch } from '../../src/domain/user.ts';
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
  it('folds case and compatibility forms by default (NFKC + lower case), and nothing more', () => {
    assert.equal(comparisonKey('Alice'), 'alice');
    assert.equal(comparisonKey('ＡＬＩＣＥ'), 'alice');
    assert.equal(comparisonKey('ﬁle'), 'file');
    assert.equal(comparisonKey('Ä'), comparisonKey('A\u0308'));
    // Look-alikes of another script stay distinct by default: Cyrillic а (U+0430).
    assert.notEqual(comparisonKey('\u0430dmin'), comparisonKey('admin'));
    // Lower-casing is not full case folding (documented).
    assert.notEqual(comparisonKey('straße'), comparisonKey('strasse'));
  });

  it('with confusables "collide", makes UTS #39 look-alikes collide', () => {
    const key = (value: string) => comparisonKey(value, 'collide');
    assert.equal(key('\u0430dmin'), key('admin')); // Cyrillic а
    assert.equal(key('ΑDMIN'), key('admin')); // Greek Alpha, then case
    assert.equal(key('paypa1'), key('PayPal')); // digit one and l
    assert.equal(key('adm1n0'), key('admlno')); // 0 meets o through the outer fold
    assert.equal(key('rn'), key('m'));
    assert.notEqual(key('admin'), key('admins'));
    // Everything that collides by default still collides.
    assert.equal(key('ＡＬＩＣＥ'), key('alice'));
  });

  it('computes the skeleton as UTS #39 does: NFD, default-ignorables removed, prototypes, NFD', () => {
    assert.equal(confusableSkeleton('\u0440\u0430\u0443\u0440\u0430l'), 'paypal');
    assert.equal(confusableSkeleton('a\u00adb'), 'ab'); // soft hyphen is default-ignorable
    assert.equal(confusableSkeleton(confusableSkeleton('ᏞᎪᎡᏀᎬ')), confusableSkeleton('ᏞᎪᎡᏀᎬ'));
  });
});

describe('identifier characters and lengths', () => {
  const problemOf = (draft: Parameters<typeof validateDraft>[0]) => {
    try {
      validateDraft(draft);
    } catch (error) {
      if (error instanceof MusterError) return { code: error.code, message: error.message };
      throw error;
    }
    return undefined;
  };

  it('refuses bidi controls, separators and invisible characters in usernames, naming the character', () => {
    const cases: [string, string][] = [
      ['admin\u202Egpj.exe', 'U+202E (a bidirectional control character) at character 6'],
      ['a\u2066b', 'U+2066 (a bidirectional control character)'],
      ['a\u200Fb', 'U+200F (a bidirectional control character)'],
      ['line\u2028two', 'U+2028 (a line or paragraph separator)'],
      ['para\u2029two', 'U+2029 (a line or paragraph separator)'],
      ['nul\u0000', 'U+0000 (a control character)'],
      ['next\u0085line', 'U+0085 (a control character)'],
      ['zero\u200Bwidth', 'U+200B (an invisible formatting character)'],
      ['zw\u200Dj', 'U+200D (an invisible formatting character)'],
      ['soft\u00ADhyphen', 'U+00AD (an invisible formatting character)'],
      ['\uFEFFbom', 'U+FEFF (an invisible formatting character) at character 1'],
      ['hangul\u3164filler', 'U+3164 (an invisible formatting character)'],
      ['heart\u2764\uFE0F', 'U+FE0F (an invisible formatting character)'],
      ['lone\uD800', 'U+D800 (a lone surrogate)'],
      ['private\uE000', 'U+E000 (a private-use character)'],
      ['nonchar\uFFFF', 'U+FFFF (an unassigned code point)'],
      ['😀\u202Ex', 'at character 2'], // positions count code points
    ];
    for (const [username, expected] of cases) {
      const problem = problemOf({ username });
      assert.equal(problem?.code, 'user.invalid_username', JSON.stringify(username));
      assert.ok(problem.message.includes(expected), `${JSON.stringify(username)}: ${problem.message}`);
    }
  });

  it('refuses the same characters in emails, with the email code', () => {
    for (const email of ['ad\u202Emin@example.com', 'a\u200B@example.com', 'a@exa\u2028mple.com']) {
      assert.equal(problemOf({ username: 'a', email })?.code, 'user.invalid_email', JSON.stringify(email));
    }
    assert.equal(problemOf({ username: 'a', email: 'jos\u00e9@exämple.com' }), undefined);
  });

  it('accepts letters of every script, emoji and inner spaces in usernames', () => {
    for (const username of ['ada lovelace', 'Ηλίας', 'محمد', '李小龍', 'Ñandú', '😀🎉', 'o\u0301']) {
      assert.equal(problemOf({ username }), undefined, username);
    }
  });

  it('keeps a lighter rule for other text fields: bidi controls and separators out, ZWJ and ZWNJ in', () => {
    assert.equal(problemOf({ username: 'a', displayName: 'evil\u202Etxt.exe' })?.code, 'user.invalid_field');
    assert.equal(problemOf({ username: 'a', familyName: 'x\u2029y' })?.code, 'user.invalid_field');
    assert.equal(problemOf({ username: 'a', givenName: 'x\u0007' })?.code, 'user.invalid_field');
    assert.equal(problemOf({ username: 'a', displayName: 'می\u200Cخواهم' }), undefined); // ZWNJ in Persian
    assert.equal(problemOf({ username: 'a', displayName: '👩\u200D💻' }), undefined); // ZWJ emoji sequence
  });

  it('counts lengths in code points, not UTF-16 units', () => {
    assert.equal(codePointLength('😀'), 1);
    assert.equal(codePointLength('a😀b'), 3);
    assert.equal(codePointLength('\uD800x'), 2);
    const astral = '𝒜'; // U+1D49C: two UTF-16 units
    assert.equal(problemOf({ username: astral.repeat(256) }), undefined);
    assert.equal(problemOf({ username: astral.repeat(257) })?.code, 'user.invalid_username');
    assert.equal(problemOf({ username: 'a', displayName: '😀'.repeat(256) }), undefined);
    assert.equal(problemOf({ username: 'a', displayName: '😀'.repeat(257) })?.code, 'user.invalid_field');
    assert.equal(problemOf({ username: 'a', password: '😀'.repeat(7) })?.code, 'user.invalid_password');
    assert.equal(problemOf({ username: 'a', password: '😀'.repeat(8) }), undefined);
    assert.equal(problemOf({ username: 'a', password: '😀'.repeat(1024) }), undefined);
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

  it('writes the clock into the first 48 bits and fresh random bytes into the tail', () => {
    const before = Date.now();
    const ids = Array.from({ length: 300 }, newId); // more than one pool refill of random bytes
    const after = Date.now();
    for (const id of ids) {
      const millis = parseInt(id.slice(0, 8) + id.slice(9, 13), 16);
      assert.ok(millis >= before && millis <= after + 1, `${id} carries ${millis}, not a time in ${before}..${after}`);
    }
    assert.equal(new Set(ids.map((id) => id.slice(20))).size, ids.length, 'the random tails repeat');
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
