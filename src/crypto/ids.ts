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

// Formatting writes the 36 characters into one buffer and reads them out as one
// string: slicing a hex string made six strings per id (a batch makes thousands).
const HEX_DIGITS = Buffer.from('0123456789abcdef', 'latin1');
const FORMATTED = Buffer.alloc(36, '-');
/** Where each of the 16 bytes' two hex digits go in `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`. */
const DIGIT_AT = [0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34];

function formatUuid(bytes: Buffer): string {
  for (let i = 0; i < 16; i++) {
    const at = DIGIT_AT[i]!;
    const byte = bytes[i]!;
    FORMATTED[at] = HEX_DIGITS[byte >> 4]!;
    FORMATTED[at + 1] = HEX_DIGITS[byte & 0x0f]!;
  }
  return FORMATTED.toString('latin1', 0, 36);
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
  return formatUuid(bytes);
}
