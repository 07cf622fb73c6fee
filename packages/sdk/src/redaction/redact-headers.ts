import { REDACTED } from './markers.js';

/** Header names whose value is always redacted (compared lower-cased). */
export const SENSITIVE_HEADER_NAMES: readonly string[] = [
  'authorization',
  'x-api-key',
  'api-key',
  'proxy-authorization',
  'cookie',
  'set-cookie',
];

/** A header whose lower-cased name contains one of these is redacted (unless it is a rate-limit header). */
export const SENSITIVE_HEADER_FRAGMENTS: readonly string[] = ['api-key', 'api_key', 'apikey', 'token', 'secret', 'bearer', 'subscription-key', 'password', 'credential'];

/**
 * Rate-limit headers that mention tokens but carry counters, not credentials: Anthropic's
 * `anthropic-ratelimit-*`, `anthropic-priority-*` and `anthropic-fast-*` headers and the
 * `x-ratelimit-*tokens*` family (OpenAI, Groq...). They are kept as long as the only sensitive
 * fragment in their name is `token`.
 */
const RATE_LIMIT_HEADER = /^(?:anthropic-(?:ratelimit|priority|fast)-[a-z0-9-]*|x-ratelimit-[a-z0-9-]*tokens[a-z0-9-]*)$/;

/** Header collections accepted by {@link redactHeaders}. */
export type HeadersLike =
  | Headers
  | Iterable<readonly [string, string]>
  | Readonly<Record<string, string | readonly string[] | number | boolean | null | undefined>>;

/** True when a header with this name (any case) is redacted by {@link redactHeaders}. */
export function isSensitiveHeader(name: string): boolean {
  const lower = name.trim().toLowerCase();
  if (SENSITIVE_HEADER_NAMES.includes(lower)) return true;
  const fragments = SENSITIVE_HEADER_FRAGMENTS.filter((fragment) => lower.includes(fragment));
  if (fragments.length === 0) return false;
  // Rate-limit counters are allowed to say "token", and only that.
  return !(RATE_LIMIT_HEADER.test(lower) && fragments.every((fragment) => fragment === 'token'));
}

/**
 * Flattens and redacts headers (§6.6): names are lower-cased, multiple values (or names that
 * differ only in case) are joined with `", "`, and sensitive values become `[REDACTED]`: the
 * names in {@link SENSITIVE_HEADER_NAMES}, and any name containing one of
 * {@link SENSITIVE_HEADER_FRAGMENTS}, except rate-limit headers. The input is never
 * mutated; `undefined` gives `undefined` and an empty collection `{}`.
 */
export function redactHeaders(headers: undefined): undefined;
export function redactHeaders(headers: HeadersLike): Record<string, string>;
export function redactHeaders(headers: HeadersLike | undefined): Record<string, string> | undefined;
export function redactHeaders(headers: HeadersLike | undefined): Record<string, string> | undefined {
  if (headers === undefined || headers === null) return undefined;
  const flat: Record<string, string> = {};
  const add = (name: string, value: string): void => {
    const key = name.toLowerCase();
    flat[key] = key in flat ? `${flat[key]}, ${value}` : value;
  };
  for (const [name, value] of entriesOf(headers)) {
    if (value === undefined || value === null) continue;
    if (Array.isArray(value)) {
      if (value.length > 0) add(name, value.map(String).join(', '));
    } else {
      add(name, String(value));
    }
  }
  for (const name of Object.keys(flat)) if (isSensitiveHeader(name)) flat[name] = REDACTED;
  return flat;
}

function entriesOf(headers: HeadersLike): Iterable<readonly [string, unknown]> {
  if (typeof Headers !== 'undefined' && headers instanceof Headers) return headers.entries();
  if (typeof (headers as Iterable<unknown>)[Symbol.iterator] === 'function') return headers as Iterable<readonly [string, string]>;
  return Object.entries(headers as Record<string, unknown>);
}
