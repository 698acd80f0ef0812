/** Credential primitives: argon2id on the worker pool, secret HMACs, API keys. */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { createPasswordHasher, type PasswordHasher } from '../../src/crypto/passwords.ts';
import { createSealer } from '../../src/crypto/sealing.ts';
import { apiKeyHash, newApiKey, SecretHasher, visiblePrefix } from '../../src/crypto/secrets.ts';

describe('password hasher', () => {
  let hasher: PasswordHasher;
  before(async () => {
    hasher = await createPasswordHasher(2, createSealer(randomBytes(32), 'imported-hash-keys'));
  });
  after(() => hasher.close());

  it('hashes with argon2id at the configured cost and verifies', async () => {
    const hash = await hasher.hash('correct horse battery');
    assert.match(hash, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    assert.equal(await hasher.verify(hash, 'correct horse battery'), true);
    assert.equal(await hasher.verify(hash, 'wrong horse battery'), false);
  });

  it('hashes off the event loop: the loop keeps turning while hashes are in flight', async () => {
    let turns = 0;
    let hashing = true;
    const spin = () => {
      if (!hashing) return;
      turns += 1;
      setImmediate(spin);
    };
    setImmediate(spin);
    // Were hashing done on the main thread, it would finish before a single turn.
    await Promise.all(Array.from({ length: 4 }, (_, i) => hasher.hash(`password number ${i}`)));
    hashing = false;
    assert.ok(turns > 0, 'the event loop ran while the hashes were computed');
  });

  it('salts every hash', async () => {
    const [a, b] = await Promise.all([hasher.hash('same password'), hasher.hash('same password')]);
    assert.notEqual(a, b);
  });

  it('treats a malformed stored hash as a mismatch, not an error', async () => {
    assert.equal(await hasher.verify('$argon2id$garbage', 'anything'), false);
    assert.equal(await hasher.verifyNothing('anything'), false);
  });
});

describe('secrets', () => {
  it('keys generated-secret hashes with the server key', () => {
    const a = new SecretHasher(randomBytes(32));
    const b = new SecretHasher(randomBytes(32));
    const stored = a.hash('s3cret');
    assert.equal(a.verify('s3cret', stored), true);
    assert.equal(a.verify('s3creT', stored), false);
    assert.equal(b.verify('s3cret', stored), false);
  });

  it('makes 256-bit API keys with a visible prefix and a stable hash', () => {
    const key = newApiKey();
    assert.match(key, /^mst_[A-Za-z0-9_-]{43}$/);
    assert.equal(visiblePrefix(key), key.slice(0, 12));
    assert.deepEqual(apiKeyHash(key), apiKeyHash(key));
    assert.notDeepEqual(apiKeyHash(key), apiKeyHash(newApiKey()));
  });
});
