import type { JsonObject, JsonValue } from '../model/json.js';

/** Bounds applied when arbitrary values become stored JSON. */
export interface SanitizeOptions {
  /**
   * Largest serialized size of one JSON value, in UTF-16 code units (≈ bytes for ASCII).
   * A larger value is replaced by a marker object with a preview.
   * @defaultValue 1_000_000
   */
  maxJsonBytes?: number;
  /**
   * Deepest nesting kept; deeper values become `"[MaxDepth]"`.
   * @defaultValue 64
   */
  maxDepth?: number;
}

const DEFAULT_MAX_JSON_BYTES = 1_000_000;
const DEFAULT_MAX_DEPTH = 64;
const PREVIEW_CHARS = 2_000;
const MAX_ESCAPE_GROWTH = 6;
/** Characters counted per value and key for quotes, separators and brackets (a generous bound). */
const PUNCTUATION_CHARS = 4;

interface ConvertState {
  maxDepth: number;
  /**
   * The objects being converted by depth: `path[i]` for `i < depth` are the ancestors of the value
   * at `depth` (a repeat is a cycle). Entries at `depth` and above are stale.
   */
  readonly path: Array<object | undefined>;
  /** One past the deepest entry of `path` written, for clearing it afterwards. */
  top: number;
  /** Characters of the strings, keys and scalars seen so far, plus punctuation: a bound on the JSON before escaping. */
  rawChars: number;
}

// A state kept for the next call, so a call allocates none (a nested call, from a `toJSON`, makes its own).
let spareState: ConvertState | undefined;

/**
 * Makes text safe for PostgreSQL jsonb: NUL (rejected by jsonb) and lone surrogates (not valid
 * UTF-8) become U+FFFD. Returns the input itself when nothing needed changing.
 */
export function sanitizeText(text: string): string {
  const wellFormed = text.isWellFormed() ? text : text.toWellFormed();
  return wellFormed.includes('\u0000') ? wellFormed.replaceAll('\u0000', '\uFFFD') : wellFormed;
}

/**
 * Turns any value into plain JSON data the exporters can store: a snapshot (later mutation of
 * the input does not show), never a throw. Circular references become `"[Circular]"`, BigInt a
 * decimal string, functions and symbols are dropped (null inside arrays), Dates ISO strings,
 * Maps objects, Sets arrays, Errors `{name, message}`, binary data `"[binary N bytes]"`,
 * non-finite numbers null, and text is made jsonb-safe. A value whose JSON is larger than
 * `maxJsonBytes` becomes `{ truncated: true, original_bytes, preview }`.
 */
export function sanitizeJson(value: unknown, options: SanitizeOptions = {}): JsonValue {
  const state: ConvertState = spareState ?? { maxDepth: 0, path: [], top: 0, rawChars: 0 };
  spareState = undefined;
  state.maxDepth = options.maxDepth ?? DEFAULT_MAX_DEPTH;
  state.rawChars = 0;
  let clean: JsonValue;
  try {
    clean = convert(value, 0, state) ?? null;
  } finally {
    // Holds no reference to the caller's objects once done.
    state.path.fill(undefined, 0, state.top);
    state.top = 0;
    spareState = state;
  }
  const maxBytes = options.maxJsonBytes ?? DEFAULT_MAX_JSON_BYTES;
  if (typeof clean !== 'object' || clean === null) {
    if (typeof clean === 'string' && clean.length > maxBytes) return truncatedMarker(JSON.stringify(clean));
    return clean;
  }
  // JSON escaping grows a character to at most six (\u001f), and punctuation adds at most a few
  // characters per value: far below the bound, the exact (and costly) serialization is skipped.
  if (state.rawChars * MAX_ESCAPE_GROWTH <= maxBytes) return clean;
  const text = JSON.stringify(clean);
  return text.length > maxBytes ? truncatedMarker(text) : clean;
}

/** {@link sanitizeJson} for values that must be objects: anything else becomes `{ value: ... }`. */
export function sanitizeJsonObject(value: unknown, options?: SanitizeOptions): JsonObject {
  const clean = sanitizeJson(value, options);
  if (typeof clean === 'object' && clean !== null && !Array.isArray(clean)) return clean;
  return clean === null ? {} : { value: clean };
}

function truncatedMarker(text: string): JsonObject {
  return { truncated: true, original_bytes: Buffer.byteLength(text), preview: sanitizeText(cutAtCodePoint(text, PREVIEW_CHARS)) };
}

function cutAtCodePoint(text: string, length: number): string {
  if (text.length <= length) return text;
  const code = text.charCodeAt(length - 1);
  return text.slice(0, code >= 0xd800 && code <= 0xdbff ? length - 1 : length);
}

function convert(value: unknown, depth: number, state: ConvertState): JsonValue | undefined {
  state.rawChars += PUNCTUATION_CHARS;
  switch (typeof value) {
    case 'string':
      state.rawChars += value.length;
      return sanitizeText(value);
    case 'number':
      state.rawChars += 24;
      return Number.isFinite(value) ? value : null;
    case 'boolean':
      state.rawChars += 5;
      return value;
    case 'bigint': {
      const text = value.toString();
      state.rawChars += text.length;
      return text;
    }
    case 'undefined':
    case 'function':
    case 'symbol':
      return undefined;
  }
  if (value === null) return null;
  const object = value as object;
  if (depth >= state.maxDepth) return '[MaxDepth]';
  const path = state.path;
  for (let i = 0; i < depth; i++) if (path[i] === object) return '[Circular]';
  // Plain objects and arrays (nearly every payload) skip the checks for the special kinds.
  const proto = Object.getPrototypeOf(object) as unknown;
  if (proto === Object.prototype || proto === null) {
    const toJSON = (object as { toJSON?: unknown }).toJSON;
    enter(object, depth, state);
    if (typeof toJSON === 'function') return replaceByToJSON(object, toJSON as (this: object) => unknown, depth, state);
    return convertKeys(object, depth, state);
  }
  if (proto === Array.prototype && Array.isArray(object)) {
    enter(object, depth, state);
    return convertArray(object as unknown[], depth, state);
  }
  return convertOther(object, depth, state);
}

/** Records `object` as the ancestor at `depth` of what is converted next. */
function enter(object: object, depth: number, state: ConvertState): void {
  state.path[depth] = object;
  if (depth >= state.top) state.top = depth + 1;
}

function convertKeys(object: object, depth: number, state: ConvertState): JsonObject {
  const out: JsonObject = {};
  const keys = Object.keys(object);
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i] as string;
    let item: unknown;
    try {
      item = (object as Record<string, unknown>)[key];
    } catch {
      item = '[Unreadable]';
    }
    const converted = convert(item, depth + 1, state);
    if (converted !== undefined) out[objectKey(key, state)] = converted;
  }
  return out;
}

function convertArray(array: readonly unknown[], depth: number, state: ConvertState): JsonValue[] {
  const length = array.length;
  const out = new Array<JsonValue>(length);
  for (let i = 0; i < length; i++) {
    const item = array[i];
    // Holes stay holes, as with `map`.
    if (item === undefined && !(i in array)) continue;
    out[i] = convert(item, depth + 1, state) ?? null;
  }
  return out;
}

function convertOther(object: object, depth: number, state: ConvertState): JsonValue | undefined {
  if (object instanceof Date) {
    state.rawChars += 24;
    return Number.isNaN(object.getTime()) ? null : object.toISOString();
  }
  if (ArrayBuffer.isView(object) || object instanceof ArrayBuffer) {
    state.rawChars += 32;
    return `[binary ${object.byteLength} bytes]`;
  }
  enter(object, depth, state);
  if (Array.isArray(object)) {
    return object.map((item) => convert(item, depth + 1, state) ?? null);
  }
  if (object instanceof Set) {
    return [...object].map((item) => convert(item, depth + 1, state) ?? null);
  }
  if (object instanceof Map) {
    const out: JsonObject = {};
    for (const [key, item] of object) {
      const converted = convert(item, depth + 1, state);
      if (converted !== undefined) out[objectKey(String(key), state)] = converted;
    }
    return out;
  }
  if (object instanceof Error) {
    state.rawChars += object.name.length + object.message.length + 40;
    return { name: sanitizeText(object.name), message: sanitizeText(object.message) };
  }
  const toJSON = (object as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === 'function') return replaceByToJSON(object, toJSON as (this: object) => unknown, depth, state);
  return convertKeys(object, depth, state);
}

/** An object with a `toJSON` method (already entered on the path): converts what it returns, its own keys when it returns itself. */
function replaceByToJSON(object: object, toJSON: (this: object) => unknown, depth: number, state: ConvertState): JsonValue | undefined {
  let replaced: unknown;
  try {
    replaced = toJSON.call(object);
  } catch {
    return '[Unserializable]';
  }
  return replaced !== object ? convert(replaced, depth + 1, state) : convertKeys(object, depth, state);
}

function objectKey(key: string, state: ConvertState): string {
  state.rawChars += key.length + PUNCTUATION_CHARS;
  return sanitizeText(key);
}
