import { isAbortError, isTimeoutError } from '../../service/classify-error.js';

/** Why an attempt may be retried, as stored in `retry_classification`. */
export const RETRY_CLASSIFICATIONS = ['rate_limited', 'overloaded', 'server_error', 'timeout', 'conflict', 'network', 'retryable'] as const;

/** One of {@link RETRY_CLASSIFICATIONS}. */
export type RetryClassification = (typeof RETRY_CLASSIFICATIONS)[number];

/** Classification and server-suggested delay of a retryable attempt. */
export interface RetryInfo {
  classification?: RetryClassification;
  /** From `retry-after-ms` or `retry-after` (seconds or an HTTP date). */
  delayMillis?: number;
}

/**
 * Classifies an attempt the way client libraries decide to retry: 429 → rate_limited, 529 →
 * overloaded, other 5xx → server_error, 408 → timeout, 409 → conflict, a transport failure →
 * network (or timeout), `x-should-retry: true` → retryable; `x-should-retry: false` and
 * cancellations are not retryable. The delay is read from `retry-after-ms` / `retry-after`.
 */
export function classifyRetry(outcome: { status?: number; headers?: Headers; error?: unknown }, nowMillis: number): RetryInfo {
  if (outcome.error !== undefined) {
    if (isAbortError(outcome.error) && !isTimeoutError(outcome.error)) return {};
    return { classification: isTimeoutError(outcome.error) || looksLikeTimeout(outcome.error) ? 'timeout' : 'network' };
  }
  const status = outcome.status;
  const headers = outcome.headers;
  const shouldRetry = headers?.get('x-should-retry');
  if (status === undefined || shouldRetry === 'false') return {};
  let classification: RetryClassification | undefined;
  if (status === 429) classification = 'rate_limited';
  else if (status === 529) classification = 'overloaded';
  else if (status >= 500) classification = 'server_error';
  else if (status === 408) classification = 'timeout';
  else if (status === 409) classification = 'conflict';
  else if (shouldRetry === 'true') classification = 'retryable';
  if (classification === undefined) return {};
  const delayMillis = headers ? retryDelayMillis(headers, nowMillis) : undefined;
  return delayMillis === undefined ? { classification } : { classification, delayMillis };
}

/** The delay a response asks for: `retry-after-ms`, else `retry-after` in seconds or as an HTTP date. */
export function retryDelayMillis(headers: Headers, nowMillis: number): number | undefined {
  const millis = headers.get('retry-after-ms');
  if (millis !== null && millis.trim() !== '') {
    const value = Number.parseFloat(millis);
    if (Number.isFinite(value) && value >= 0) return Math.round(value);
  }
  const after = headers.get('retry-after');
  if (after === null || after.trim() === '') return undefined;
  const seconds = Number(after.trim());
  if (Number.isFinite(seconds)) return seconds >= 0 ? Math.round(seconds * 1000) : undefined;
  const date = Date.parse(after);
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMillis);
}

function looksLikeTimeout(error: unknown): boolean {
  const text = `${String(error)} ${error instanceof Error && error.cause !== undefined ? String(error.cause) : ''}`;
  return /timed? ?out|UND_ERR_CONNECT_TIMEOUT|UND_ERR_HEADERS_TIMEOUT|UND_ERR_BODY_TIMEOUT/i.test(text);
}
