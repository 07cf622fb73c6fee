import type { Clock } from '../clock/clock.js';
import { TimeoutError } from '../errors/chat-debug-error.js';

/**
 * Runs `work` with a deadline measured on `clock`. The work itself is not cancelled (exporters
 * have their own statement timeouts); the caller just stops waiting and gets a `TimeoutError`.
 */
export async function withTimeout<T>(clock: Clock, millis: number, what: string, work: () => Promise<T>): Promise<T> {
  let timer: ReturnType<Clock['setTimeout']> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = clock.setTimeout(() => reject(new TimeoutError(what, millis)), millis);
  });
  const running = work();
  try {
    return await Promise.race([running, deadline]);
  } finally {
    clock.clearTimeout(timer);
    running.catch(() => {});
  }
}
