import { newId } from '../model/ids.js';
import type { JsonObject } from '../model/json.js';
import type { RunKind } from '../model/run-kind.js';
import type { Status } from '../model/status.js';
import { worseOutcome } from '../model/status.js';
import { optionalDate, optionalMessageId, optionalText, optionalUuid, requireOperation, requireStatus, requireTerminalStatus, requireUuid } from '../model/validate.js';
import { isJsonNull } from '../model/json.js';
import { classifyError } from '../service/classify-error.js';
import type { StepRecord } from '../model/records.js';
import type { UpdateRunParams } from '../service/debug-service.js';
import { NoopStepSpan } from './noop-spans.js';
import type { EndRunOptions, RunSpan, RunSpanUpdate, StartStepOptions, StepSpan } from './spans.js';
import type { StepOwner } from './step-span.js';
import { RecordingStepSpan, STEP_ENDED } from './step-span.js';
import type { Activatable } from './context.js';
import { ACTIVATE } from './context.js';
import { removeAt } from './heartbeat-scheduler.js';
import type { TracerCore } from './tracer-core.js';
import { activateWithListeners, errorPayload, notify, rejectInput, snapshot } from './tracer-core.js';

/** The recording run span. Internal: users get it as a `RunSpan`. */
export class RecordingRunSpan implements RunSpan, StepOwner, Activatable {
  readonly id: string;
  readonly chatId: string;
  readonly kind: RunKind;
  readonly isRecording = true;
  readonly #core: TracerCore;
  /** Steps started and not yet ended, oldest first; created with the first step. */
  #openSteps: RecordingStepSpan[] | undefined;
  readonly #heartbeat: boolean;
  #summary: JsonObject;
  #outcome: Status | undefined;
  #ended = false;

  constructor(core: TracerCore, id: string, chatId: string, kind: RunKind, summary: JsonObject, heartbeat: boolean) {
    this.#core = core;
    this.id = id;
    this.chatId = chatId;
    this.kind = kind;
    this.#summary = summary;
    this.#heartbeat = heartbeat;
    if (heartbeat) core.heartbeats.add(this);
  }

  get ended(): boolean {
    return this.#ended;
  }

  startStep(options: StartStepOptions = {}): StepSpan {
    const core = this.#core;
    const operation = options.operation ?? 'generate';
    if (this.#ended) {
      core.counters.afterEnd++;
      core.logger.warn('step started on an ended run; not recorded', { run_id: this.id });
      return new NoopStepSpan(this, operation, core.clock);
    }
    let id: string;
    let historyTipMessageId: number | undefined;
    try {
      requireOperation('operation', operation);
      id = options.id === undefined ? newId() : requireUuid('id', options.id);
      historyTipMessageId = optionalMessageId('historyTipMessageId', options.historyTipMessageId);
      optionalDate('startTime', options.startTime);
    } catch (error) {
      rejectInput(core, error, 'startStep');
      return new NoopStepSpan(this, operation, core.clock);
    }
    const stepNumber = core.service.stepCounter.next(this.id);
    const request = snapshot(core, options.request);
    const startTime = options.startTime ?? core.clock.now();
    const step = new RecordingStepSpan(core, this, id, stepNumber, operation);
    core.counters.stepsStarted++;
    if (this.#openSteps === undefined) this.#openSteps = [step];
    else this.#openSteps.push(step);
    core.pipeline.enqueue({
      type: 'createStep',
      runId: this.id,
      stepId: id,
      params: {
        id,
        runId: this.id,
        chatId: this.chatId,
        stepNumber,
        operation,
        historyTipMessageId,
        normalizedRequest: request,
        at: startTime,
      },
      onStored: storedCallback(step),
    });
    if (options.heartbeat ?? true) core.heartbeats.add(step);
    if (core.listeners.length > 0) {
      notify(core, 'onStepStart', step, { operation, stepNumber, request, startTime });
    }
    return step;
  }

  update(fields: RunSpanUpdate): this {
    const core = this.#core;
    if (this.#ended) {
      core.counters.afterEnd++;
      return this;
    }
    const params: UpdateRunParams = { id: this.id, chatId: this.chatId, at: core.clock.now() };
    try {
      params.provider = optionalText('provider', fields.provider);
      params.model = optionalText('model', fields.model);
      params.modelConfigId = optionalUuid('modelConfigId', fields.modelConfigId);
      params.historyTipMessageId = optionalMessageId('historyTipMessageId', fields.historyTipMessageId);
    } catch (error) {
      rejectInput(core, error, 'run.update');
      return this;
    }
    if (fields.summary !== undefined) {
      const merged = snapshot(core, { ...this.#summary, ...fields.summary }) as JsonObject;
      this.#summary = merged;
      params.summary = merged;
    }
    core.pipeline.enqueue({ type: 'updateRun', runId: this.id, params });
    if (core.listeners.length > 0) {
      notify(core, 'onRunUpdate', this, { provider: params.provider, model: params.model, summary: params.summary as JsonObject | undefined });
    }
    return this;
  }

  [ACTIVATE]<T>(fn: () => T): T {
    return this.#core.listeners.length > 0 ? activateWithListeners(this.#core, this, fn) : fn();
  }

  recordOutcome(status: Status): this {
    try {
      this.#outcome = worseOutcome(this.#outcome, requireStatus('status', status));
    } catch (error) {
      rejectInput(this.#core, error, 'run.recordOutcome');
    }
    return this;
  }

  heartbeat(): void {
    if (this.#ended) return;
    // An open step's heartbeat already touches the run.
    if (this.#openSteps !== undefined) for (const step of this.#openSteps) if (this.#core.heartbeats.has(step)) return;
    const core = this.#core;
    core.pipeline.enqueue({ type: 'touchRun', runId: this.id, params: { runId: this.id, chatId: this.chatId, at: core.clock.now() } });
  }

  end(options: EndRunOptions = {}): void {
    const core = this.#core;
    if (this.#ended) {
      core.counters.afterEnd++;
      return;
    }
    let status: Status;
    try {
      status =
        options.status !== undefined
          ? requireTerminalStatus('status', options.status)
          : options.error !== undefined
            ? worseOutcome(this.#outcome, classifyError(options.error))
            : (this.#outcome ?? 'completed');
      optionalDate('endTime', options.endTime);
    } catch (error) {
      rejectInput(core, error, 'run.end');
      status = this.#outcome ?? 'completed';
    }
    // Steps left open when their run ends did not finish: record them as interrupted.
    const open = this.#openSteps;
    if (open !== undefined && open.length > 0) for (const step of [...open]) step.end({ status: 'interrupted' });
    this.#ended = true;
    if (this.#heartbeat) core.heartbeats.delete(this);
    const endTime = options.endTime instanceof Date && !Number.isNaN(options.endTime.getTime()) ? options.endTime : core.clock.now();
    core.pipeline.enqueue({
      type: 'finalizeRun',
      runId: this.id,
      params: { runId: this.id, chatId: this.chatId, status, seedSummary: this.#summary, at: endTime },
    });
    if (core.listeners.length > 0) {
      const error = options.error === undefined ? undefined : errorPayload(core, options.error);
      notify(core, 'onRunEnd', this, error === undefined || isJsonNull(error) ? { status, endTime } : { status, endTime, error });
    }
  }

  /** A step of this run ended (possibly again, with a higher-priority status). */
  [STEP_ENDED](step: RecordingStepSpan): void {
    const open = this.#openSteps;
    if (open !== undefined) {
      const index = open.lastIndexOf(step);
      if (index >= 0) removeAt(open, index);
    }
    if (!step.callInFlight) this.#core.heartbeats.delete(step);
  }
}

/**
 * The pipeline's callback once a step's insert landed. Made here, not inline: an anonymous
 * function costs nothing to name (a named one gets a `defineProperty` under some transpilers).
 */
function storedCallback(step: RecordingStepSpan): (stored: StepRecord) => void {
  return (stored) => step.stored(stored.stepNumber);
}

