import type { Status } from '../model/status.js';

const ABORT_NAMES = new Set(['AbortError', 'APIUserAbortError']);
const TIMEOUT_NAMES = new Set(['TimeoutError', 'APIConnectionTimeoutError']);

// Provider SDK error classes often keep `name === 'Error'`; their constructor name tells.
function errorNames(error: object): [unknown, unknown] {
  return [(error as { name?: unknown }).name, (error as { constructor?: { name?: unknown } }).constructor?.name];
}

/**
 * True for a cancellation: an `AbortError` (fetch, AbortSignal), an SDK's user-abort error (the
 * openai client's `APIUserAbortError`), or chatdebug's own `aborted` error.
 */
export function isAbortError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const code = (error as { code?: unknown }).code;
  return errorNames(error).some((name) => ABORT_NAMES.has(name as string)) || code === 'ABORT_ERR' || code === 'aborted';
}

/**
 * True for a deadline: a `TimeoutError` (AbortSignal.timeout), an SDK's connection timeout
 * (`APIConnectionTimeoutError`), or chatdebug's `timeout` error.
 */
export function isTimeoutError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const code = (error as { code?: unknown }).code;
  return errorNames(error).some((name) => TIMEOUT_NAMES.has(name as string)) || code === 'timeout' || code === 'ETIMEDOUT';
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
