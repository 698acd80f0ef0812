/** Identifiers: UUIDv7 (RFC 9562), time-ordered so id order is creation order. */
import { randomBytes } from 'node:crypto';

// Random bytes drawn 4 KiB at a time: one system call per 256 ids, not per id.
const POOL_SIZE = 4096;
let pool = randomBytes(POOL_SIZE);
let offset = 0;

function randomChunk(): Buffer {
  if (offset + 16 > POOL_SIZE) {
    pool = randomBytes(POOL_SIZE);
    offset = 0;
  }
  offset += 16;
  return pool.subarray(offset - 16, offset);
}

let lastMillis = 0;
let sequence = 0;

/**
 * A new UUIDv7. Within one millisecond the 12-bit `rand_a` field counts up
 * (RFC 9562 §6.2, method 1), so ids made by this process are strictly increasing.
 */
export function newId(): string {
  let millis = Date.now();
  if (millis <= lastMillis) {
    sequence += 1;
    if (sequence > 0xfff) {
      lastMillis += 1; // borrow from the next millisecond rather than repeat
      sequence = 0;
    }
    millis = lastMillis;
  } else {
    lastMillis = millis;
    sequence = 0;
  }
  const bytes = randomChunk(); // each chunk is used once, so writing into the view is safe
  bytes.writeUIntBE(millis, 0, 6);
  bytes[6] = 0x70 | (sequence >> 8);
  bytes[7] = sequence & 0xff;
  bytes[8] = 0x80 | (bytes[8]! & 0x3f);
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
