import type { Clock } from '../clock/clock.js';

/** Bounds of the exporter's retries. */
export interface RetryOptions {
  /**
   * Retries after the first attempt.
   * @defaultValue 5
   */
  retries?: number;
  /** @defaultValue 100 */
  minDelayMillis?: number;
  /** @defaultValue 5_000 */
  maxDelayMillis?: number;
  /**
   * No retry starts after this much time since the first attempt.
   * @defaultValue 30_000
   */
  maxRetryMillis?: number;
}

/** Resolved retry bounds. */
export type ResolvedRetryOptions = Required<RetryOptions>;

export function resolveRetryOptions(options: RetryOptions | undefined): ResolvedRetryOptions {
  return {
    retries: options?.retries ?? 5,
    minDelayMillis: options?.minDelayMillis ?? 100,
    maxDelayMillis: options?.maxDelayMillis ?? 5_000,
    maxRetryMillis: options?.maxRetryMillis ?? 30_000,
  };
}

/**
 * Exponential backoff with full jitter, waiting on the injected Clock (p-retry waits on real
 * timers, which MockClock tests cannot drive). Retries only errors `shouldRetry` accepts, and
 * gives up early when `isCancelled` turns true.
 */
export async function retryWithBackoff<T>(
  clock: Clock,
  options: ResolvedRetryOptions,
  work: () => Promise<T>,
  hooks: {
    shouldRetry: (error: unknown) => boolean;
    onRetry?: (error: unknown, attempt: number, delayMillis: number) => void;
    isCancelled?: () => boolean;
    random?: () => number;
  },
): Promise<T> {
  const started = clock.nowMillis();
  for (let attempt = 0; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      const elapsed = clock.nowMillis() - started;
      if (attempt >= options.retries || elapsed >= options.maxRetryMillis || !hooks.shouldRetry(error) || hooks.isCancelled?.()) {
        throw error;
      }
      const ceiling = Math.min(options.maxDelayMillis, options.minDelayMillis * 2 ** attempt);
      const delay = Math.max(options.minDelayMillis / 2, Math.round(ceiling * (hooks.random ?? Math.random)()));
      // The budget bounds when retries start, so a retry that would start past it is not made.
      if (elapsed + delay > options.maxRetryMillis) throw error;
      hooks.onRetry?.(error, attempt + 1, delay);
      await new Promise<void>((resolve) => clock.setTimeout(resolve, delay));
    }
  }
}
