import { randomFillSync } from 'node:crypto';

/** The all-zero UUID: stands for "no id" in event payloads and maps to the broadcast channel. */
export const NIL_UUID = '00000000-0000-0000-0000-000000000000';

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** True for a canonical 8-4-4-4-12 hex UUID (any version). */
export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID_PATTERN.test(value);
}

// The two lowercase hex digits of every byte, as character codes: HEX_DIGITS[2b] and HEX_DIGITS[2b + 1].
const HEX_DIGITS = Uint8Array.from(
  Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, '0')).join(''),
  (char) => char.charCodeAt(0),
);
// The id is written as ASCII into this buffer (dashes fixed) and read out as one flat string:
// concatenating 20 pieces made a rope that every later use (hashing, slicing) had to flatten.
const TEXT = Buffer.alloc(36, '-');
const RANDOM_BYTES_PER_ID = 10;
// Filling the pool has a high fixed cost, so it is filled rarely: once per 409 ids.
const pool = new Uint8Array(RANDOM_BYTES_PER_ID * 409);
let poolOffset = pool.length;
const MAX_SEQUENCE = 0xfff;
let lastMillis = -1;
let sequence = 0;

/**
 * A new time-ordered UUIDv7 (RFC 9562), made on the client so a span has its id before any write.
 * Ids made by one process are strictly increasing: within a millisecond the 12-bit `rand_a` field
 * is a counter started at a random value below 2048 (RFC 9562 §6.2, method 1); when it runs out
 * the timestamp moves on by one millisecond.
 *
 * The timestamp is the wall clock, not the injected `Clock`: ids must stay unique and ordered
 * across processes and test runs, which a mock clock does not give.
 */
export function newId(): string {
  if (poolOffset + RANDOM_BYTES_PER_ID > pool.length) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const r = poolOffset;
  poolOffset += RANDOM_BYTES_PER_ID;
  const now = Date.now();
  if (now > lastMillis) {
    lastMillis = now;
    sequence = ((pool[r]! << 8) | pool[r + 1]!) & 0x7ff;
  } else if (sequence < MAX_SEQUENCE) {
    sequence++;
  } else {
    lastMillis++;
    sequence = 0;
  }
  const high = Math.floor(lastMillis / 0x10000); // the top 32 of the 48 timestamp bits
  const low = lastMillis % 0x10000;
  hex(0, (high >>> 24) & 0xff);
  hex(2, (high >>> 16) & 0xff);
  hex(4, (high >>> 8) & 0xff);
  hex(6, high & 0xff);
  hex(9, low >>> 8);
  hex(11, low & 0xff);
  hex(14, 0x70 | (sequence >>> 8));
  hex(16, sequence & 0xff);
  hex(19, 0x80 | (pool[r + 2]! & 0x3f));
  hex(21, pool[r + 3]!);
  for (let i = 0; i < 6; i++) hex(24 + 2 * i, pool[r + 4 + i]!);
  return TEXT.toString('latin1', 0, 36);
}

/** Writes `byte` as two hex digits at `at` of the id text. */
function hex(at: number, byte: number): void {
  TEXT[at] = HEX_DIGITS[byte * 2]!;
  TEXT[at + 1] = HEX_DIGITS[byte * 2 + 1]!;
}
