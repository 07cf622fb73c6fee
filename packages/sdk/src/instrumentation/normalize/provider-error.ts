import type { Status } from '../../model/status.js';
import { boundText } from '../../payload/bounds.js';
import type { NormalizedError } from '../../service/classify-error.js';
import { isAbortError, isTimeoutError, normalizeError } from '../../service/classify-error.js';
import { sanitizeErrorMessage } from '../redaction/redact-url.js';
import type { NormalizeOptions } from './normalized.js';
import { PartBuilder, num, rec, str } from './normalized.js';

const CANCEL_NAMES = new Set(['AbortError', 'APIUserAbortError']);
const TIMEOUT_NAMES = new Set(['TimeoutError', 'APIConnectionTimeoutError']);
const CONNECTION_NAMES = new Set(['APIConnectionError', 'APIConnectionTimeoutError', 'FetchError']);

function names(error: object): string[] {
  const out: string[] = [];
  const name = (error as { name?: unknown }).name;
  if (typeof name === 'string') out.push(name);
  const ctor = (error as { constructor?: { name?: unknown } }).constructor?.name;
  if (typeof ctor === 'string') out.push(ctor);
  return out;
}

/** True for a cancellation, including SDK error classes that keep the default `name` (`APIUserAbortError`). */
export function isCancellation(error: unknown): boolean {
  if (isAbortError(error)) return true;
  return typeof error === 'object' && error !== null && names(error).some((name) => CANCEL_NAMES.has(name));
}

/** True for a deadline, including `APIConnectionTimeoutError`. */
export function isDeadline(error: unknown): boolean {
  if (isTimeoutError(error)) return true;
  return typeof error === 'object' && error !== null && names(error).some((name) => TIMEOUT_NAMES.has(name));
}

/** The step status of a failed provider call: cancellation or deadline → interrupted, else error. */
export function classifyProviderError(error: unknown): Status {
  return isCancellation(error) || isDeadline(error) ? 'interrupted' : 'error';
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
  if (isCancellation(error)) out.context_error = 'canceled';
  else if (isDeadline(error)) out.context_error = 'deadline exceeded';
  out.is_retryable = isRetryable(error as object, status);
  return out;
}

function isRetryable(error: object, status: number | undefined): boolean {
  if (isCancellation(error)) return false;
  const headers = (error as { headers?: unknown }).headers;
  const should = typeof Headers !== 'undefined' && headers instanceof Headers ? headers.get('x-should-retry') : null;
  if (should === 'true') return true;
  if (should === 'false') return false;
  if (status !== undefined) return status === 408 || status === 409 || status === 429 || status >= 500;
  return isDeadline(error) || names(error).some((name) => CONNECTION_NAMES.has(name)) || (error instanceof TypeError && error.message === 'fetch failed');
}

/** A bounded, sanitized message for metadata. */
export function errorMessage(error: unknown, options: NormalizeOptions = {}): string {
  return new PartBuilder(options).label(sanitizeErrorMessage(error instanceof Error ? error.message : String(error)));
}
