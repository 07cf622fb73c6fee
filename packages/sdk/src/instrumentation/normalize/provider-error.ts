import { boundText } from '../../payload/bounds.js';
import type { NormalizedError } from '../../service/classify-error.js';
import { isAbortError, isTimeoutError, normalizeError } from '../../service/classify-error.js';
import { sanitizeErrorMessage } from '../../redaction/redact-url.js';
import type { NormalizeOptions } from './normalized.js';
import { PartBuilder, num, rec, str } from './normalized.js';

const CONNECTION_NAMES = new Set(['APIConnectionError', 'APIConnectionTimeoutError', 'FetchError']);

function names(error: object): string[] {
  const out: string[] = [];
  const name = (error as { name?: unknown }).name;
  if (typeof name === 'string') out.push(name);
  const ctor = (error as { constructor?: { name?: unknown } }).constructor?.name;
  if (typeof ctor === 'string') out.push(ctor);
  return out;
}

/**
 * Normalizes an error thrown by a provider client (§6.5): `{ message, type, provider_status?,
 * provider_title?, is_retryable, context_error?, request_id? }`. Understands the `APIError`
 * classes of the `openai` and `@anthropic-ai/sdk` packages (status, parsed error body, headers)
 * without importing them; the message has URLs and credentials sanitized and is bounded.
 */
export function normalizeProviderError(error: unknown, options: NormalizeOptions = {}): NormalizedError {
  const builder = new PartBuilder(options);
  const base = normalizeError(error);
  const out: NormalizedError = { message: builder.label(sanitizeErrorMessage(base.message)), type: base.type };
  if (typeof error !== 'object' || error === null) return { ...out, is_retryable: false };
  const e = error as Record<string, unknown>;
  const status = num(e.status);
  if (status !== undefined) out.provider_status = status;
  // openai: error = { message, type, code }; anthropic: error = { type: 'error', error: { type, message } }.
  const body = rec(e.error);
  const inner = rec(body?.error) ?? body;
  const title = str(inner?.type) ?? str(e.type) ?? str(inner?.code) ?? str(e.code);
  if (title !== undefined && title !== '' && title !== 'error') out.provider_title = boundText(title, 200).text;
  const requestId = str(e.requestID) ?? str(e.request_id);
  if (requestId) out.request_id = boundText(requestId, 200).text;
  if (isAbortError(error)) out.context_error = 'canceled';
  else if (isTimeoutError(error)) out.context_error = 'deadline exceeded';
  out.is_retryable = isRetryable(error as object, status);
  return out;
}

function isRetryable(error: object, status: number | undefined): boolean {
  if (isAbortError(error)) return false;
  const headers = (error as { headers?: unknown }).headers;
  const should = typeof Headers !== 'undefined' && headers instanceof Headers ? headers.get('x-should-retry') : null;
  if (should === 'true') return true;
  if (should === 'false') return false;
  if (status !== undefined) return status === 408 || status === 409 || status === 429 || status >= 500;
  return isTimeoutError(error) || names(error).some((name) => CONNECTION_NAMES.has(name)) || (error instanceof TypeError && error.message === 'fetch failed');
}

/** A bounded, sanitized message for metadata. */
export function errorMessage(error: unknown, options: NormalizeOptions = {}): string {
  return new PartBuilder(options).label(sanitizeErrorMessage(error instanceof Error ? error.message : String(error)));
}
