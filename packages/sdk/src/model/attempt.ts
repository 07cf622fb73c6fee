/** Outcome of one HTTP round trip. */
export const ATTEMPT_STATUSES = ['completed', 'failed'] as const;

/** One of {@link ATTEMPT_STATUSES}. */
export type AttemptStatus = (typeof ATTEMPT_STATUSES)[number];

/**
 * One HTTP round trip of a step, as stored in the step's `attempts` array (snake_case keys,
 * as in the reference system). Bodies are UTF-8 text, bounded and redacted.
 */
export interface Attempt {
  /** 1-based per step, assigned before sending. */
  number: number;
  status: AttemptStatus;
  method: string;
  /** Userinfo stripped, sensitive query values replaced by `[REDACTED]`. */
  url: string;
  path: string;
  /** RFC 3339 UTC. */
  started_at: string;
  finished_at: string;
  request_headers?: Record<string, string>;
  request_body?: string;
  response_status?: number;
  response_headers?: Record<string, string>;
  response_body?: string;
  error?: string;
  /** Includes the time spent reading the body. */
  duration_ms: number;
  retry_classification?: string;
  retry_delay_ms?: number;
}
