import { REDACTED } from './markers.js';
import { isSensitiveJsonKey, redactJsonValue } from './redact-json.js';

/** Query (and fragment) parameters redacted by name, compared lower-cased. */
export const SENSITIVE_QUERY_PARAMS: readonly string[] = ['key', 'sig', 'auth', 'code', 'client_secret', 'x-amz-signature'];

/**
 * A parameter whose lower-cased name contains one of these is redacted too: `api_key`,
 * `apikey`, `access_token`, `x-amz-security-token`, `password`, `signature`, `x-goog-credential`...
 */
export const SENSITIVE_QUERY_FRAGMENTS: readonly string[] = [
  'api_key',
  'api-key',
  'apikey',
  'token',
  'secret',
  'password',
  'passwd',
  'signature',
  'credential',
  'authorization',
  'session',
];

/** True when a query parameter with this name is redacted by {@link redactUrl}. */
export function isSensitiveQueryParam(name: string): boolean {
  const lower = name.trim().toLowerCase();
  if (SENSITIVE_QUERY_PARAMS.includes(lower)) return true;
  return SENSITIVE_QUERY_FRAGMENTS.some((fragment) => lower.includes(fragment));
}

/**
 * Redacts a `name=value&...` string (a URL query without its `?`, a fragment, or a
 * form-urlencoded body): values of sensitive parameters (see {@link isSensitiveQueryParam})
 * become `[REDACTED]`; every other byte is kept. Unchanged input is returned as is.
 */
export function redactQueryString(query: string): string {
  if (query === '') return query;
  let changed = false;
  const parts = query.split('&').map((part) => {
    const eq = part.indexOf('=');
    const rawName = eq === -1 ? part : part.slice(0, eq);
    if (eq === -1 || part.slice(eq + 1) === '' || !isSensitiveQueryParam(decodeName(rawName))) return part;
    changed = true;
    return `${rawName}=${REDACTED}`;
  });
  return changed ? parts.join('&') : query;
}

function decodeName(raw: string): string {
  try {
    return decodeURIComponent(raw.replace(/\+/g, ' '));
  } catch {
    return raw;
  }
}

/**
 * A URL safe to store: userinfo (`user:password@`) is removed, and sensitive query and fragment
 * parameter values become `[REDACTED]` (see {@link SENSITIVE_QUERY_PARAMS}); every other
 * character is kept as written. Works on relative URLs and on text that does not parse as a URL.
 */
export function redactUrl(url: string | URL): string {
  const text = typeof url === 'string' ? url : url.href;
  const hashAt = text.indexOf('#');
  const beforeHash = hashAt === -1 ? text : text.slice(0, hashAt);
  const fragment = hashAt === -1 ? undefined : text.slice(hashAt + 1);
  const queryAt = beforeHash.indexOf('?');
  const base = queryAt === -1 ? beforeHash : beforeHash.slice(0, queryAt);
  const query = queryAt === -1 ? undefined : beforeHash.slice(queryAt + 1);
  let out = stripUserinfo(base);
  if (query !== undefined) out += `?${redactQueryString(query)}`;
  if (fragment !== undefined) out += `#${redactQueryString(fragment)}`;
  return out;
}

/** The path of a URL (no query, no fragment); `/` when it has none. */
export function urlPath(url: string | URL): string {
  if (url instanceof URL) return url.pathname || '/';
  try {
    // Absolute first: against a base, `http:/u:p@h/x` would parse as a path holding the userinfo.
    return (URL.canParse(url) ? new URL(url) : new URL(url, 'http://relative.invalid')).pathname || '/';
  } catch {
    const path = url.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i, '').split(/[?#]/)[0] ?? '';
    return path === '' ? '/' : path;
  }
}

// WHATWG URL parsers take `http:/u:p@h`, `http:u:p@h` and backslashes for special schemes.
const SPECIAL_AUTHORITY = /^((?:https?|wss?|ftp):[\\/]*)([^/\\?#]*)@/i;
const ANY_AUTHORITY = /^([a-z][a-z0-9+.-]*:\/\/)([^/]*)@/i;

function stripUserinfo(base: string): string {
  // scheme://userinfo@host/... → scheme://host/... ; the authority ends at the first '/'.
  return base.replace(SPECIAL_AUTHORITY, '$1').replace(ANY_AUTHORITY, '$1');
}

const URL_IN_TEXT = /\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>`]+/gi;
const BEARER_IN_TEXT = /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{4,}/g;
// Well-known API key shapes: OpenAI / Anthropic (`sk-...`, `sk-proj-...`, `sk-ant-...`), Google
// (`AIza...`), GitHub (`ghp_...`), Slack (`xoxb-...`).
const KEY_SHAPE = /\b(?:(?:sk|rk|pk)-[A-Za-z0-9_-]{16,}|AIza[0-9A-Za-z_-]{30,}|gh[pousr]_[A-Za-z0-9]{30,}|xox[abprs]-[A-Za-z0-9-]{10,})/;
const KEY_IN_TEXT = new RegExp(KEY_SHAPE.source, 'g');

/**
 * Replaces well-known API key shapes (`sk-…` of OpenAI and Anthropic, `AIza…` of Google, `ghp_…`
 * of GitHub, `xoxb-…` of Slack) anywhere in a text with `[REDACTED]`. Applied to error messages
 * and stored HTTP bodies, where a provider may echo the key back; unchanged text is returned as is.
 */
export function maskKnownKeys(text: string): string {
  return KEY_SHAPE.test(text) ? text.replace(KEY_IN_TEXT, REDACTED) : text;
}

// `name=value`, `name: value`, and the quoted forms of JSON (`"name":"value"`, `'name': 'v w'`).
const PAIR_IN_TEXT = /(["']?)([A-Za-z0-9_.-]+)\1(\s*[=:]\s*)("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|[^\s"'&,;{}[\]]+)/g;

/**
 * Makes an error message safe to store: URLs in it go through {@link redactUrl}, bearer and basic
 * credentials become `Bearer [REDACTED]`, well-known API key shapes (`sk-…`, `AIza…`, `ghp_…`,
 * `xoxb-…`) become `[REDACTED]`, and `name=value` / `name: value` pairs whose name is a
 * sensitive JSON key or contains a sensitive query fragment lose their value (generic names such
 * as `code` or `key` are left alone in prose).
 */
export function sanitizeErrorMessage(message: string): string {
  return message
    .replace(URL_IN_TEXT, (url) => redactUrl(url))
    .replace(BEARER_IN_TEXT, (_match, scheme: string) => `${scheme} ${REDACTED}`)
    .replace(KEY_IN_TEXT, REDACTED)
    .replace(PAIR_IN_TEXT, (match, nameQuote: string, name: string, separator: string, value: string) => {
      if (!isSensitivePairName(name)) return match;
      const quote = value.startsWith('"') || value.startsWith("'") ? value[0] : '';
      const bare = quote === '' ? value : value.slice(1, -1);
      if (bare === REDACTED || bare === '' || bare === 'null') return match;
      return `${nameQuote}${name}${nameQuote}${separator}${quote}${REDACTED}${quote}`;
    });
}

function isSensitivePairName(name: string): boolean {
  const lower = name.toLowerCase();
  return isSensitiveJsonKey(name) || SENSITIVE_QUERY_FRAGMENTS.some((fragment) => lower.includes(fragment));
}

/**
 * Makes a stored error payload safe: a string goes through {@link sanitizeErrorMessage}; an object
 * has its sensitive keys redacted and its `message` sanitized. Unchanged input is returned as is.
 */
export function redactErrorPayload<T>(payload: T): T {
  if (typeof payload === 'string') return sanitizeErrorMessage(payload) as T;
  if (typeof payload !== 'object' || payload === null) return payload;
  const redacted = redactJsonValue(payload);
  const message = (redacted as { message?: unknown }).message;
  if (typeof message !== 'string') return redacted;
  const safe = sanitizeErrorMessage(message);
  return safe === message ? redacted : { ...redacted, message: safe };
}
