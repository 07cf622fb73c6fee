import type { Clock } from '../clock/clock.js';
import { describeError } from '../logger/logger.js';
import type { Attempt } from '../model/attempt.js';
import type { JsonValue } from '../model/json.js';
import { JSON_NULL, isJsonNull } from '../model/json.js';
import type { Operation } from '../model/operation.js';
import type { Status } from '../model/status.js';
import { isTerminalStatus, statusPriority } from '../model/status.js';
import type { UpdateStepParams } from '../service/debug-service.js';
import type { StepUpdateEvent } from './span-listener.js';
import type { EndStepOptions, RunSpan, StepSpan, StepSpanUpdate } from './spans.js';
import type { Activatable, EndHookable } from './context.js';
import { ACTIVATE, BEFORE_END } from './context.js';
import type { TracerCore } from './tracer-core.js';
import { activateWithListeners, errorPayload, notify, rejectInput, snapshot } from './tracer-core.js';
import { optionalMessageId, requireDate, requireTerminalStatus } from '../model/validate.js';
import { classifyCallError } from '../service/classify-error.js';

/** The method a step's run is told through that the step ended. Internal. */
export const STEP_ENDED: unique symbol = Symbol('chatdebug.stepEnded');

/** The run of a recording step, as the step sees it. Internal. */
export interface StepOwner extends RunSpan {
  [STEP_ENDED](step: RecordingStepSpan): void;
}

/** The recording step span. Internal: users get it as a `StepSpan`. */
export class RecordingStepSpan implements StepSpan, Activatable, EndHookable {
  readonly id: string;
  readonly runId: string;
  readonly chatId: string;
  readonly operation: Operation;
  readonly run: RunSpan;
  readonly isRecording = true;
  readonly #core: TracerCore;
  readonly #owner: StepOwner;
  /** Created on the first attempt: most steps record none through the sink. */
  #attempts: JsonValue[] | undefined;
  #stepNumber: number;
  #attemptNumber = 0;
  #status: Status | undefined;
  #errorWritten = false;
  #beforeEnd: Set<() => void> | undefined;
  /** Calls of `traceCall`/`traceOpen` in flight: a reused step heartbeats through them even after it ended once. */
  #callsInFlight = 0;
  #heartbeatsForCalls = false;

  constructor(core: TracerCore, run: StepOwner, id: string, stepNumber: number, operation: Operation) {
    this.#core = core;
    this.run = run;
    this.id = id;
    this.runId = run.id;
    this.chatId = run.chatId;
    this.operation = operation;
    this.#stepNumber = stepNumber;
    this.#owner = run;
  }

  get stepNumber(): number {
    return this.#stepNumber;
  }

  get clock(): Clock {
    return this.#core.clock;
  }

  get ended(): boolean {
    return this.#status !== undefined;
  }

  get status(): Status | undefined {
    return this.#status;
  }

  /** Called by the pipeline once the insert landed, possibly with a bumped number. */
  stored(stepNumber: number): void {
    this.#stepNumber = stepNumber;
  }

  nextAttemptNumber(): number {
    return ++this.#attemptNumber;
  }

  recordAttempt(attempt: Attempt): void {
    const entry = snapshot(this.#core, attempt, 'attempt', 'recordAttempt');
    if (entry === undefined) return;
    const attempts = (this.#attempts ??= []);
    // Kept in number order: an attempt whose body settles late (drained after a retry began)
    // still lands before the retry's.
    let at = attempts.length;
    while (at > 0 && ((attempts[at - 1] as { number?: number } | null)?.number ?? 0) > attempt.number) at--;
    attempts.splice(at, 0, entry);
    this.#attemptNumber = Math.max(this.#attemptNumber, attempt.number);
    // The attempt list is rewritten whole; the pipeline writes the newest snapshot after the others.
    this.#write({ attempts: [...attempts] });
  }

  update(fields: StepSpanUpdate): this {
    if (this.#final) {
      // The final write is the step's record: a late update would rewrite what it ended with
      // (a step reused for a retry takes updates again while that call is in flight).
      this.#core.counters.afterEnd++;
      return this;
    }
    const payload = this.#payload(fields, 'step.update');
    const event = this.#core.listeners.length > 0 ? listenerFields(payload) : undefined;
    this.#write(payload);
    if (event !== undefined) notify(this.#core, 'onStepUpdate', this, event);
    return this;
  }

  [BEFORE_END](fn: () => void): () => void {
    const hooks = (this.#beforeEnd ??= new Set());
    hooks.add(fn);
    return () => hooks.delete(fn);
  }

  [ACTIVATE]<T>(fn: () => T): T {
    return this.#core.listeners.length > 0 ? activateWithListeners(this.#core, this, fn) : fn();
  }

  /**
   * A blocking call on this step started: the step heartbeats until the last call in flight
   * ends (§5), also when it is reused for a retry after it ended once. A step that was already
   * heartbeating on its own keeps doing so afterwards. Internal.
   */
  callStarted(): void {
    if (this.#callsInFlight++ === 0 && !this.#core.heartbeats.has(this)) {
      this.#heartbeatsForCalls = true;
      this.#core.heartbeats.add(this);
    }
  }

  callEnded(): void {
    if (--this.#callsInFlight > 0) return;
    if (this.#heartbeatsForCalls || this.ended) {
      this.#heartbeatsForCalls = false;
      this.#core.heartbeats.delete(this);
    }
  }

  /** Ended, with no call in flight that could still reuse the step. */
  get #final(): boolean {
    return this.#status !== undefined && this.#callsInFlight === 0;
  }

  /** True while a blocking call on this step is in flight (its heartbeat outlives an end meanwhile). Internal. */
  get callInFlight(): boolean {
    return this.#callsInFlight > 0;
  }

  heartbeat(): void {
    if (this.#final) return;
    const core = this.#core;
    core.pipeline.enqueue({
      type: 'touchStep',
      runId: this.runId,
      stepId: this.id,
      params: { stepId: this.id, runId: this.runId, chatId: this.chatId, at: core.clock.now() },
    });
  }

  end(options: EndStepOptions = {}): void {
    const core = this.#core;
    let status: Status | undefined;
    let endTime: Date | undefined;
    try {
      if (options.status !== undefined) status = requireTerminalStatus('status', options.status);
      if (options.endTime !== undefined) endTime = requireDate('endTime', options.endTime);
    } catch (invalid) {
      // Still ended (a step left open would be swept later and refuse nothing): with the status
      // its outcome implies, at the clock time.
      rejectInput(core, invalid, 'step.end');
    }
    status ??= impliedStatus(options.error);
    endTime ??= core.clock.now();
    const current = this.#status;
    // A late, lower-priority outcome (the "interrupted" safety net) never clobbers a final one.
    if (current !== undefined && isTerminalStatus(current) && statusPriority(status) < statusPriority(current)) return;
    this.#runBeforeEnd();
    const payload = this.#payload(options, 'step.end');
    // A success after an earlier failure (a retry in the same step) erases the stale error.
    if (status === 'completed' && payload.error === undefined && this.#errorWritten) {
      payload.error = JSON_NULL;
      this.#errorWritten = false;
    }
    this.#status = status;
    const event = core.listeners.length > 0 ? listenerFields(payload) : undefined;
    // The payload is this call's own fresh object: it becomes the write's params in place.
    payload.status = status;
    payload.attempts = this.#attempts === undefined ? [] : [...this.#attempts];
    payload.finishedAt = endTime;
    this.#write(payload);
    this.#owner[STEP_ENDED](this);
    if (event !== undefined) notify(this.#core, 'onStepEnd', this, { ...event, status, endTime });
  }

  #runBeforeEnd(): void {
    const hooks = this.#beforeEnd;
    if (hooks === undefined) return;
    this.#beforeEnd = undefined;
    for (const hook of hooks) {
      try {
        hook();
      } catch (error) {
        this.#core.logger.warn('chatdebug: a step end hook threw', { error: describeError(error) });
      }
    }
  }

  /** The write's fields; a field that is bad input is left out (or thrown, in strict mode). */
  #payload(fields: StepSpanUpdate, context: string): Partial<UpdateStepParams> {
    const core = this.#core;
    const payload: Partial<UpdateStepParams> = {};
    const response = snapshot(core, fields.response, 'response', context);
    if (response !== undefined) payload.normalizedResponse = response;
    const usage = snapshot(core, fields.usage, 'usage', context);
    if (usage !== undefined) payload.usage = usage;
    const metadata = snapshot(core, fields.metadata, 'metadata', context);
    if (metadata !== undefined) payload.metadata = metadata;
    const error = errorPayload(core, fields.error, context);
    if (error !== undefined) {
      payload.error = error;
      this.#errorWritten = !isJsonNull(error);
    }
    if (fields.assistantMessageId !== undefined) {
      try {
        payload.assistantMessageId = optionalMessageId('assistantMessageId', fields.assistantMessageId);
      } catch (invalid) {
        rejectInput(core, invalid, context);
      }
    }
    return payload;
  }

  /** Queues an update with `fields` (a fresh object owned by the caller, completed in place) as its params. */
  #write(fields: Partial<UpdateStepParams>): void {
    const core = this.#core;
    const params = fields as UpdateStepParams;
    params.id = this.id;
    params.chatId = this.chatId;
    params.at = fields.finishedAt ?? core.clock.now();
    core.pipeline.enqueue({ type: 'updateStep', runId: this.runId, stepId: this.id, params });
  }
}

/** The status an `end({ error })` implies; an error that cannot even be inspected is a failure. */
function impliedStatus(error: unknown): Status {
  try {
    return error === undefined || error === null || isJsonNull(error) ? 'completed' : classifyCallError(error);
  } catch {
    return 'error';
  }
}

function listenerFields(payload: Partial<UpdateStepParams>): StepUpdateEvent {
  const event: { -readonly [K in keyof StepUpdateEvent]: StepUpdateEvent[K] } = {};
  if (payload.normalizedResponse !== undefined) event.response = payload.normalizedResponse as JsonValue;
  if (payload.usage !== undefined) event.usage = payload.usage as JsonValue;
  if (payload.metadata !== undefined) event.metadata = payload.metadata as JsonValue;
  if (payload.error !== undefined) event.error = isJsonNull(payload.error) ? null : (payload.error as JsonValue);
  return event;
}
