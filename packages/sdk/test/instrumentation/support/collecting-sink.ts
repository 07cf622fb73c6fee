import type { Attempt, AttemptSink } from '@chatdebug/sdk';
import { systemClock } from '@chatdebug/sdk';

/** An AttemptSink that keeps attempts in memory (for tests of the recording fetch alone). */
export class CollectingSink implements AttemptSink {
  readonly attempts: Attempt[] = [];
  readonly clock = systemClock;
  #next = 0;
  failNext = false;

  nextAttemptNumber(): number {
    return ++this.#next;
  }

  recordAttempt(attempt: Attempt): void {
    if (this.failNext) {
      this.failNext = false;
      throw new Error('sink is broken');
    }
    this.attempts.push(attempt);
  }
}
