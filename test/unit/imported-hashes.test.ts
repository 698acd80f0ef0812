/**
 * Imported hash schemes verified on the real password worker pool against
 * published test vectors: Firebase's modified scrypt (github.com/firebase/scrypt
 * README), PBKDF2-HMAC-SHA1 (RFC 6070), PBKDF2-HMAC-SHA256 and scrypt
 * (RFC 7914, sections 11 and 12), PBKDF2-HMAC-SHA512 (the widely published
 * P="password", S="salt", c=1 vector), argon2i (phc-winner-argon2 README) and
 * bcrypt (OpenBSD's / jBCrypt's test list). Also the sealing of Firebase
 * signer keys and the bounds on parameters.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { formatFirebaseScrypt, isAcceptedForImport, parseImportedHash, phcBase64 } from '../../src/domain/passwordHash.ts';
import { createPasswordHasher, needsRehash, type PasswordHasher } from '../../src/crypto/passwords.ts';
import { createSealer } from '../../src/crypto/sealing.ts';

const hex = (value: string) => phcBase64(Buffer.from(value, 'hex'));
const b64 = (value: string) => phcBase64(Buffer.from(value, 'base64'));

/** Firebase's published vector: the project's parameters, one user's salt and hash, and the password. */
const FIREBASE_VECTOR = formatFirebaseScrypt({
  rounds: 8,
  memCost: 14,
  salt: b64('42xEC+ixf3L2lw=='),
  saltSeparator: b64('Bw=='),
  hash: b64('lSrfV15cpx95/sZS2W9c9Kp6i/LVgQNDNC/qzrCnh1SAyZvqmZqAjTdn3aoItz+VHjoZilo78198JAdRuid5lQ=='),
  signerKey: b64('jxspr8Ki0RYycVU8zykbdLGjFQ3McFUH0uiiTvC8pVMXAn210wjLNmdZJzxUECKbm0QsEmYUSDzZvpjeJ9WmXA=='),
  sealed: false,
});

const PUBLISHED: readonly { name: string; hash: string; password: string }[] = [
  { name: 'Firebase scrypt', hash: FIREBASE_VECTOR, password: 'user1password' },
  { name: 'PBKDF2-HMAC-SHA1 (RFC 6070)', hash: `$pbkdf2-sha1$i=4096,l=20$${phcBase64(Buffer.from('salt'))}$${hex('4b007901b765489abead49d926f721d065a429c1')}`, password: 'password' },
  {
    name: 'PBKDF2-HMAC-SHA256 (RFC 7914)',
    hash: `$pbkdf2-sha256$i=1$${phcBase64(Buffer.from('salt'))}$${hex('55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783')}`,
    password: 'passwd',
  },
  {
    name: 'PBKDF2-HMAC-SHA512',
    hash: `$pbkdf2-sha512$i=1$${phcBase64(Buffer.from('salt'))}$${hex('867f70cf1ade02cff3752599a3a53dc4af34c7a669815ae5d513554e1c8cf252c02d470a285a0501bad999bfe943c08f050235d7d68b1da55e63f73b60a57fce')}`,
    password: 'password',
  },
  {
    name: 'scrypt (RFC 7914)',
    hash: `$scrypt$ln=10,r=8,p=16$${phcBase64(Buffer.from('NaCl'))}$${hex('fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b3731622eaf30d92e22a3886ff109279d9830dac727afb94a83ee6d8360cbdfa2cc0640')}`,
    password: 'password',
  },
  { name: 'argon2i (phc-winner-argon2)', hash: '$argon2i$v=19$m=65536,t=2,p=4$c29tZXNhbHQ$RdescudvJCsgt3ub+b+dWRWJTmaaJObG', password: 'password' },
  { name: 'bcrypt (jBCrypt)', hash: '$2a$06$If6bvum7DFjUnE9p2uDeDu0YHzrHM6tf.iqN8.yx.jNN1ILEf7h0i', password: 'abc' },
];

describe('imported hashes on the worker pool', () => {
  const sealer = createSealer(randomBytes(32), 'imported-hash-keys');
  let hasher: PasswordHasher;
  before(async () => {
    hasher = await createPasswordHasher(2, sealer);
  });
  after(() => hasher.close());

  for (const vector of PUBLISHED) {
    it(`verifies the published ${vector.name} vector, and nothing else`, async () => {
      assert.ok(isAcceptedForImport(vector.hash), 'accepted for import');
      assert.equal(await hasher.verify(vector.hash, vector.password), true);
      assert.equal(await hasher.verify(vector.hash, `${vector.password}x`), false);
      assert.equal(needsRehash(vector.hash), true, 'upgraded to argon2id at the first sign-in');
    });
  }

  it('stores a Firebase hash with its signer key sealed, and verifies the sealed form', async () => {
    const stored = hasher.storable(FIREBASE_VECTOR);
    assert.match(stored, /^\$firebase-scrypt\$r=8,m=14,k=sealed\$42xEC\+ixf3L2lw\$Bw\$/);
    assert.ok(!stored.includes(b64('jxspr8Ki0RYycVU8zykbdLGjFQ3McFUH0uiiTvC8pVMXAn210wjLNmdZJzxUECKbm0QsEmYUSDzZvpjeJ9WmXA==')), 'the signer key is not in the stored form');
    assert.notEqual(hasher.storable(FIREBASE_VECTOR), stored, 'a fresh nonce per seal');
    assert.equal(await hasher.verify(stored, 'user1password'), true);
    assert.equal(await hasher.verify(stored, 'user2password'), false);
    assert.equal(isAcceptedForImport(stored), false, 'a caller cannot hand in a sealed key');
    assert.equal(hasher.storable(PUBLISHED[6]!.hash), PUBLISHED[6]!.hash, 'other schemes are stored as given');
  });

  it('matches nothing when the signer key was sealed under another server key', async () => {
    const other = await createPasswordHasher(1, createSealer(randomBytes(32), 'imported-hash-keys'));
    try {
      assert.equal(await other.verify(hasher.storable(FIREBASE_VECTOR), 'user1password'), false);
    } finally {
      await other.close();
    }
  });
});

describe('imported hash bounds', () => {
  it('refuses scrypt needing more than 1 GiB, a Firebase hash shorter than its key, an oversize key, unknown pbkdf2 digests', () => {
    assert.equal(parseImportedHash('$scrypt$ln=20,r=16,p=1$c2FsdA$aGFzaA'), undefined);
    assert.equal(parseImportedHash('$scrypt$ln=20,r=8,p=1$c2FsdA$aGFzaA')?.scheme, 'scrypt');
    assert.equal(parseImportedHash(FIREBASE_VECTOR.replace(/\$[^$]+\$([^$]+)$/, '$aGFzaA$$$1')), undefined);
    const bigKey = phcBase64(randomBytes(300));
    assert.equal(parseImportedHash(`$firebase-scrypt$r=8,m=14$c2FsdA$$${bigKey}$${bigKey}`), undefined);
    assert.equal(parseImportedHash('$firebase-scrypt$r=8,m=21$c2FsdA$$aGFzaA$aGFzaA'), undefined);
    assert.equal(parseImportedHash('$pbkdf2-md5$i=1000$c2FsdA$aGFzaA'), undefined);
    assert.deepEqual(
      [parseImportedHash('$pbkdf2$1000$c2FsdA$aGFzaA')].map((h) => h?.scheme === 'pbkdf2' && h.digest),
      ['sha1'],
      "passlib's $pbkdf2$ is SHA-1",
    );
  });
});
