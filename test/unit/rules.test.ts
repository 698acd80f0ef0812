/** Pure rules of the queue (retry backoff), invitations, templates and imported hashes. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isRedirectAllowed, validateAllowlist } from '../../src/domain/invitation.ts';
import { MusterError } from '../../src/domain/errors.ts';
import { parseImportedHash } from '../../src/domain/passwordHash.ts';
import { passwordPolicyProblem } from '../../src/domain/user.ts';
import { retryDelayMs, RETRY_CAP_MS } from '../../src/engine/queue.ts';
import { renderTemplate } from '../../src/mail/templates.ts';

describe('retryDelayMs', () => {
  it('doubles per attempt, with jitter in the upper half, up to the cap', () => {
    assert.equal(retryDelayMs(1, 1000, () => 0), 500);
    assert.equal(retryDelayMs(1, 1000, () => 1), 1000);
    assert.equal(retryDelayMs(3, 1000, () => 1), 4000);
    assert.equal(retryDelayMs(3, 1000, () => 0), 2000);
    assert.equal(retryDelayMs(40, 1000, () => 1), RETRY_CAP_MS);
    for (let attempt = 1; attempt < 10; attempt++) {
      const delay = retryDelayMs(attempt, 5000);
      const ceiling = Math.min(RETRY_CAP_MS, 5000 * 2 ** (attempt - 1));
      assert.ok(delay >= ceiling / 2 && delay <= ceiling, `attempt ${attempt}: ${delay}`);
    }
  });
});

describe('isRedirectAllowed', () => {
  const allowlist = ['https://app.example.com/welcome', 'https://other.example.com/'];
  it('allows the same origin at the same or a deeper path', () => {
    for (const url of ['https://app.example.com/welcome', 'https://app.example.com/welcome/', 'https://app.example.com/welcome/next?x=1#y', 'https://other.example.com/anything']) {
      assert.equal(isRedirectAllowed(url, allowlist), true, url);
    }
  });
  it('refuses everything else: no open redirect', () => {
    for (const url of [
      'https://app.example.com/welcomeback',
      'https://app.example.com/',
      'http://app.example.com/welcome',
      'https://app.example.com:8443/welcome',
      'https://app.example.com.evil.com/welcome',
      'https://app.example.com@evil.com/welcome',
      'https://user:pw@app.example.com/welcome',
      'javascript:alert(1)',
      '//evil.com/welcome',
      '/welcome',
      'not a url',
    ]) {
      assert.equal(isRedirectAllowed(url, allowlist), false, url);
    }
  });
  it('validates allow-list entries', () => {
    assert.deepEqual(validateAllowlist(['https://App.Example.com/x']), ['https://app.example.com/x']);
    for (const bad of ['ftp://x.example/', 'https://x.example/?q=1', 'https://u:p@x.example/', 'x']) {
      assert.throws(() => validateAllowlist([bad]), MusterError, bad);
    }
  });
});

describe('passwordPolicyProblem', () => {
  it('asks for 8+ characters that are not the username or email', () => {
    const user = { username: 'Ada', email: 'ada@example.com' };
    assert.match(passwordPolicyProblem('short', user)!, /at least 8/);
    assert.match(passwordPolicyProblem('        ', user)!, /only spaces/);
    assert.match(passwordPolicyProblem('ADA@EXAMPLE.COM', user)!, /username or email/);
    assert.equal(passwordPolicyProblem('difference engine', user), undefined);
  });
});

describe('renderTemplate', () => {
  it('fills values, escapes them in HTML, and keeps sections only with a value', () => {
    const template = 'Hi {{name}}{{#message}} ({{message}}){{/message}}!';
    assert.equal(renderTemplate(template, { name: 'A & B', message: '<b>x</b>' }, false), 'Hi A & B (<b>x</b>)!');
    assert.equal(renderTemplate(template, { name: 'A & B', message: '<b>x</b>' }, true), 'Hi A &amp; B (&lt;b&gt;x&lt;/b&gt;)!');
    assert.equal(renderTemplate(template, { name: 'C', message: '' }, true), 'Hi C!');
  });
});

describe('parseImportedHash', () => {
  it('bounds the cost an imported hash can demand', () => {
    assert.equal(parseImportedHash(`$2b$18$${'a'.repeat(53)}`), undefined);
    assert.equal(parseImportedHash('$scrypt$ln=21,r=8,p=1$c2FsdA$aGFzaA'), undefined);
    assert.equal(parseImportedHash('$pbkdf2-sha256$i=10000001$c2FsdA$aGFzaA'), undefined);
    assert.equal(parseImportedHash('$argon2id$v=19$m=2000000,t=2,p=1$c2FsdA$aGFzaA'), undefined);
    assert.equal(parseImportedHash('$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA')?.scheme, 'argon2id');
    assert.deepEqual(
      [parseImportedHash('$pbkdf2-sha256$29000$N2YuZcx5L4VwrhVCSKnVeg$aGFzaA')].map((h) => h?.scheme === 'pbkdf2' && h.digest),
      ['sha256'],
    );
    assert.equal(parseImportedHash('$1$salt$hash'), undefined);
  });
});
