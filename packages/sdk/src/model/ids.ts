import { v7 as uuidv7 } from 'uuid';

/** The all-zero UUID: stands for "no id" in event payloads and maps to the broadcast channel. */
export const NIL_UUID = '00000000-0000-0000-0000-000000000000';

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** True for a canonical 8-4-4-4-12 hex UUID (any version). */
export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID_PATTERN.test(value);
}

/** A new time-ordered UUIDv7, made on the client so a span has its id before any write. */
export function newId(): string {
  return uuidv7();
}
