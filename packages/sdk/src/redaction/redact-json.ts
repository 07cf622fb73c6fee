import { REDACTED } from './markers.js';

/**
 * JSON keys redacted wherever they appear, compared lower-cased with `_` and `-` removed, so
 * `access_token`, `accessToken`, `Access-Token` and `ACCESSTOKEN` all match.
 */
export const SENSITIVE_JSON_KEYS: readonly string[] = [
  'token',
  'access_token',
  'refresh_token',
  'id_token',
  'api_token',
  'auth_token',
  'bearer_token',
  'session_token',
  'security_token',
  'api_key',
  'apikey',
  'x-api-key',
  'private_key',
  'signing_key',
  'secret_key',
];

/**
 * A JSON key that contains one of these is redacted, compared like {@link SENSITIVE_JSON_KEYS}
 * (lower-cased, `_` and `-` removed): `OPENAI_API_KEY`, `x-goog-api-key`, `db_passwd`,
 * `clientSecret`, `proxy_authorization`...
 */
export const SENSITIVE_JSON_KEY_FRAGMENTS: readonly string[] = [
  'secret',
  'password',
  'passwd',
  'authorization',
  'credential',
  'apikey',
  'privatekey',
  'accesstoken',
  'refreshtoken',
  'sessiontoken',
  'subscriptionkey',
];

/**
 * Keys whose scalar value is a credential (`"auth": "user:pass"`, `"bearer": "…"`); an object
 * under them is searched like any other (`auth: { accessToken, scope }` keeps its scope).
 */
const SCALAR_SECRET_KEYS = new Set(['auth', 'bearer']);

const EXACT = new Set(SENSITIVE_JSON_KEYS.map(squash));
const FRAGMENTS = SENSITIVE_JSON_KEY_FRAGMENTS.map(squash);

function squash(key: string): string {
  return key.toLowerCase().replace(/[_-]/g, '');
}

/**
 * True for a key whose value {@link redactJson} replaces: an exact auth key of
 * {@link SENSITIVE_JSON_KEYS} in snake, kebab or camel case, or any key containing one of
 * {@link SENSITIVE_JSON_KEY_FRAGMENTS}. ({@link redactJson} also redacts a scalar under `auth` or
 * `bearer`.) Token counters (`input_tokens`, `max_tokens`,
 * `cached_tokens`...) are not sensitive.
 */
export function isSensitiveJsonKey(key: string): boolean {
  const squashed = squash(key);
  return EXACT.has(squashed) || FRAGMENTS.some((fragment) => squashed.includes(fragment));
}

/** Why a JSON text could not be redacted (see {@link redactionFailure}). */
export type JsonRedactionFailure = 'invalid_json' | 'incomplete_json' | 'trailing_data';

/**
 * The diagnostic stored instead of a JSON text that could not be parsed (fail closed: nothing of
 * the original text is kept, since it might hold a secret).
 */
export function redactionFailure(reason: JsonRedactionFailure, bytes: number): string {
  return JSON.stringify({ error: 'chatdebug: body withheld, it is not one valid JSON document', reason, bytes });
}

/**
 * Redacts sensitive keys (see {@link isSensitiveJsonKey}) in a JSON text or value, recursively
 * through objects and arrays; their values become `"[REDACTED]"` (null and empty strings are
 * kept, they hide nothing).
 *
 * - A text without anything to redact is returned as is, byte for byte; a redacted text is
 *   re-serialized compactly.
 * - A text that is not exactly one JSON document (invalid, truncated, or several concatenated
 *   documents) becomes a small diagnostic object: fail closed. Empty or blank text stays as is.
 * - A value (anything but a string) is returned itself when unchanged, otherwise as a redacted
 *   copy; the input is never mutated. Use {@link redactJsonValue} for a string value.
 */
export function redactJson(text: string): string;
export function redactJson(value: object | number | boolean | null): unknown;
export function redactJson(input: unknown): unknown {
  return typeof input === 'string' ? redactJsonText(input) : redactJsonValue(input);
}

/** The text variant of {@link redactJson}. */
export function redactJsonText(text: string): string {
  if (text.trim() === '') return text;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    return redactionFailure(failureReason(error, text), Buffer.byteLength(text));
  }
  const redacted = redactJsonValue(parsed);
  return redacted === parsed ? text : JSON.stringify(redacted);
}

/** The value variant of {@link redactJson}: the same reference when nothing needed redacting. */
export function redactJsonValue<T>(value: T): T {
  return redactValue(value, 0) as T;
}

const MAX_DEPTH = 256;

function redactValue(value: unknown, depth: number): unknown {
  if (typeof value !== 'object' || value === null) return value;
  // Deeper than any sane payload: keep nothing rather than risk a stack overflow.
  if (depth > MAX_DEPTH) return REDACTED;
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      const redacted = redactValue(item, depth + 1);
      if (redacted !== item) {
        copy ??= value.slice();
        copy[i] = redacted;
      }
    }
    return copy ?? value;
  }
  let copy: Record<string, unknown> | undefined;
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    const item = record[key];
    let redacted: unknown;
    const secret = isSensitiveJsonKey(key) || (typeof item !== 'object' && SCALAR_SECRET_KEYS.has(key.toLowerCase()));
    if (secret) redacted = item === null || item === '' || item === REDACTED ? item : REDACTED;
    else redacted = redactValue(item, depth + 1);
    if (redacted !== item) {
      copy ??= { ...record };
      copy[key] = redacted;
    }
  }
  return copy ?? value;
}

function failureReason(error: unknown, text: string): JsonRedactionFailure {
  // Only the position is read from the parser's message: the message may quote the input.
  const message = error instanceof Error ? error.message : '';
  if (/non-whitespace character after JSON/i.test(message)) return 'trailing_data';
  if (/end of JSON input/i.test(message)) return 'incomplete_json';
  const position = /at position (\d+)/.exec(message);
  if (position && Number(position[1]) >= text.trimEnd().length) return 'incomplete_json';
  return 'invalid_json';
}

/**
 * Redacts newline-delimited JSON line by line: each non-blank line goes through
 * {@link redactJsonText}, so a bad line becomes a diagnostic object while its neighbours keep
 * their content. Line endings are preserved; unchanged input is returned as is.
 */
export function redactNdjson(text: string): string {
  let changed = false;
  const out = text.split('\n').map((line) => {
    const body = line.endsWith('\r') ? line.slice(0, -1) : line;
    const redacted = redactJsonText(body);
    if (redacted === body) return line;
    changed = true;
    return line.endsWith('\r') ? `${redacted}\r` : redacted;
  });
  return changed ? out.join('\n') : text;
}

/** True when the text is exactly one JSON document (blank text is not). */
export function isCompleteJson(text: string): boolean {
  if (text.trim() === '') return false;
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}
