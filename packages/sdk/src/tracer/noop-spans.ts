import type { Clock } from '../clock/clock.js';
import { systemClock } from '../clock/clock.js';
import { NIL_UUID } from '../model/ids.js';
import type { Operation } from '../model/operation.js';
import type { RunKind } from '../model/run-kind.js';
import type { Status } from '../model/status.js';
import type { RunSpan, StepSpan } from './spans.js';

/** The step handed out when nothing is recorded. Every method does nothing. */
export class NoopStepSpan implements StepSpan {
  readonly id = NIL_UUID;
  readonly runId: string;
  readonly chatId: string;
  readonly stepNumber = 0;
  readonly operation: Operation;
  readonly run: RunSpan;
  readonly isRecording = false;
  readonly ended = false;
  readonly status: Status | undefined = undefined;
  readonly clock: Clock;

  constructor(run: RunSpan, operation: Operation = 'generate', clock: Clock = systemClock) {
    this.run = run;
    this.runId = run.id;
    this.chatId = run.chatId;
    this.operation = operation;
    this.clock = clock;
  }

  nextAttemptNumber(): number {
    return 0;
  }
  recordAttempt(): void {}
  update(): this {
    return this;
  }
  heartbeat(): void {}
  end(): void {}
}

/** The run handed out when tracing is disabled. Every method does nothing; steps are no-ops too. */
export class NoopRunSpan implements RunSpan {
  readonly id: string = NIL_UUID;
  readonly chatId: string;
  readonly kind: RunKind;
  readonly isRecording = false;
  readonly ended = false;
  readonly #clock: Clock;

  constructor(chatId: string = NIL_UUID, kind: RunKind = 'chat_turn', clock: Clock = systemClock) {
    this.chatId = chatId;
    this.kind = kind;
    this.#clock = clock;
  }

  startStep(options?: { operation?: Operation }): StepSpan {
    return new NoopStepSpan(this, options?.operation, this.#clock);
  }
  update(): this {
    return this;
  }
  recordOutcome(): this {
    return this;
  }
  heartbeat(): void {}
  end(): void {}
}

/** A shared no-op run, for callers that need "some run" without recording. */
export const NOOP_RUN: RunSpan = new NoopRunSpan();
