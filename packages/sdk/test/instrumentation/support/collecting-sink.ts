import type { Attempt, AttemptSink, Clock } from '@chatdebug/sdk';
import { systemClock } from '@chatdebug/sdk';

/** An AttemptSink that keeps attempts in memory (for tests of the recording fetch alone). */
export class CollectingSink implements AttemptSink {
  readonly attempts: Attempt[] = [];
  readonly clock: Clock;
  #next = 0;
  failNext = false;

  constructor(clock: Clock = systemClock) {
    this.clock = clock;
  }

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
