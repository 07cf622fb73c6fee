import type { Status } from '../model/status.js';

/**
 * True for a cancellation: an `AbortError` (fetch, AbortSignal, the openai client's
 * `APIUserAbortError`) or chatdebug's own `aborted` error.
 */
export function isAbortError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { name, code } = error as { name?: unknown; code?: unknown };
  return name === 'AbortError' || name === 'APIUserAbortError' || code === 'ABORT_ERR' || code === 'aborted';
}

/** True for a deadline: a `TimeoutError` (AbortSignal.timeout) or chatdebug's `timeout` error. */
export function isTimeoutError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { name, code } = error as { name?: unknown; code?: unknown };
  return name === 'TimeoutError' || code === 'timeout' || code === 'ETIMEDOUT';
}

/**
 * Maps the outcome of a unit of work to a status: no error → completed, cancellation →
 * interrupted, anything else → error.
 */
export function classifyError(error: unknown): Status {
  if (error === undefined || error === null) return 'completed';
  return isAbortError(error) ? 'interrupted' : 'error';
}

/**
 * The status of a failed model call: cancellation or deadline → interrupted, anything else → error.
 */
export function classifyCallError(error: unknown): Status {
  return isAbortError(error) || isTimeoutError(error) ? 'interrupted' : 'error';
}

/** A normalized error payload: `{ message, type, ... }` (§6.5). */
export interface NormalizedError {
  message: string;
  type: string;
  context_error?: string;
  provider_title?: string;
  provider_status?: number;
  is_retryable?: boolean;
  [key: string]: unknown;
}

/** Normalizes a thrown value into `{ message, type }` plus the provider status when it has one. */
export function normalizeError(error: unknown): NormalizedError {
  if (error instanceof Error) {
    const normalized: NormalizedError = { message: error.message, type: error.constructor?.name || error.name };
    const status = (error as { status?: unknown }).status;
    if (typeof status === 'number') normalized.provider_status = status;
    if (isAbortError(error)) normalized.context_error = 'canceled';
    else if (isTimeoutError(error)) normalized.context_error = 'deadline exceeded';
    return normalized;
  }
  return { message: String(error), type: typeof error };
}
