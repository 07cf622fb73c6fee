/** A JSON value as stored in the jsonb columns. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** A JSON object. */
export type JsonObject = { [key: string]: JsonValue };

const JSON_NULL_KEY = Symbol.for('@chatdebug/json-null');

/**
 * The clear sentinel: passed as a JSON field of an update, it writes JSON `null` and so
 * overwrites the previous value. `undefined` and plain `null` keep the existing value, as in
 * the reference system. Its one intended use is erasing a step's error after a successful retry.
 */
export const JSON_NULL: { readonly [JSON_NULL_KEY]: true } = Object.freeze({ [JSON_NULL_KEY]: true as const });

/** The type of {@link JSON_NULL}. */
export type JsonNull = typeof JSON_NULL;

/** True for {@link JSON_NULL}, also from a second copy of this package. */
export function isJsonNull(value: unknown): value is JsonNull {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[JSON_NULL_KEY] === true;
}

/**
 * A JSON column in an update: `undefined` (or `null`) keeps what is stored, {@link JSON_NULL}
 * writes JSON null, anything else replaces the value.
 */
export type JsonPatch<T = JsonValue> = T | JsonNull | null | undefined;

/** True for a plain JSON object (not an array, not null). */
export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
