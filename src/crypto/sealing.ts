/**
 * Sealing stored material at rest: AES-256-GCM under a key derived (HKDF-SHA-256)
 * from the server key for one purpose. Additional data binds a sealed value to
 * where it is stored, so it cannot be moved to another row. Layout:
 * 12-byte nonce, 16-byte tag, ciphertext.
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

export interface Sealer {
  seal(plaintext: Buffer, additionalData: string): Buffer;
  /** Throws if the value was tampered with, or sealed under another key or for another place. */
  open(sealed: Uint8Array, additionalData: string): Buffer;
}

export function createSealer(serverKey: Buffer, purpose: string): Sealer {
  const key = Buffer.from(hkdfSync('sha256', serverKey, Buffer.alloc(0), `muster/${purpose}/v1`, 32));
  return {
    seal(plaintext, additionalData) {
      const nonce = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, nonce);
      cipher.setAAD(Buffer.from(additionalData, 'utf8'));
      const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
      return Buffer.concat([nonce, cipher.getAuthTag(), ciphertext]);
    },
    open(sealed, additionalData) {
      const bytes = Buffer.from(sealed);
      const decipher = createDecipheriv('aes-256-gcm', key, bytes.subarray(0, 12));
      decipher.setAAD(Buffer.from(additionalData, 'utf8'));
      decipher.setAuthTag(bytes.subarray(12, 28));
      return Buffer.concat([decipher.update(bytes.subarray(28)), decipher.final()]);
    },
  };
}
