import type { Context } from '@opentelemetry/api';
import { trace } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type {
  Clock,
  DebugService,
  ExportPipelineOptions,
  JsonObject,
  Logger,
  PipelineStats,
  RunKind,
  RunSpan,
  Status,
  StepSpan,
  TimerHandle,
  Tracer,
} from '@chatdebug/sdk';
import {
  DEFAULT_MAX_TEXT_RUNES,
  ExportPipeline,
  InvalidArgumentError,
  activeRun,
  activeStep,
  describeError,
  isRunKind,
  isUuid,
  newId,
  worseOutcome,
} from '@chatdebug/sdk';
import { ATTR, DEFAULT_CHAT_ID_ATTRIBUTES } from '../attributes.js';
import { hrTimeToDate } from '../internal/values.js';
import type { ReadOptions } from './read-span.js';
import { isModelCallSpan, readModel, readOutcome, readProvider, readRequest, readRunStatus, requestLabel, stepOperation } from './read-span.js';

/** Options of {@link ChatDebugSpanProcessor}. Give a `tracer` or a `service`. */
export interface ChatDebugSpanProcessorOptions {
  /**
   * Record through this tracer's service. The processor records nothing while the tracer is
   * disabled, `forceFlush` flushes the tracer too, and runs active in chatdebug's context belong
   * to it (see `joinActiveRun`).
   */
  tracer?: Tracer;
  /** Record through this service (when there is no tracer). */
  service?: DebugService;
  /**
   * Attributes holding the chat id (a UUID), looked up on the model-call span, then on its known
   * ancestors nearest first, past the run's span too (at most 32 spans in all).
   * @defaultValue `chatdebug.chat_id`, `ai.telemetry.metadata.chatId`, `gen_ai.conversation.id`
   */
  chatIdAttributes?: readonly string[];
  /**
   * Finds the chat id of a span; tried before the attributes, on the same spans. Returning
   * undefined falls back to the attributes; throwing skips the step (fail closed, counted).
   */
  resolveChatId?: (span: ReadableSpan) => string | undefined;
  /**
   * Which spans start a run. Spans below a run span join its run. A model-call span that is in no
   * run becomes a run of its own. A throw counts as false. @defaultValue local root spans
   */
  isRunSpan?: (span: ReadableSpan) => boolean;
  /**
   * Kind of the runs recorded, or a function of the run's span. A throw or an invalid kind skips
   * the run (counted). @defaultValue 'chat_turn'
   */
  runKind?: RunKind | ((span: ReadableSpan) => RunKind | undefined);
  /**
   * Copy prompts and responses (`ai.prompt.messages`, `ai.response.text`, `gen_ai.input.messages`...)
   * into the steps' normalized request and response, bounded by `maxTextRunes` per text. Off keeps
   * options, tools, finish reason and usage only. @defaultValue true
   */
  captureContent?: boolean;
  /** Longest text kept per message part, in code points. @defaultValue 10_000 */
  maxTextRunes?: number;
  /**
   * When a span starts while a chatdebug run is active in its async context (`tracer.run`,
   * `withRun`), record its model calls as live steps of that run instead of a new run; spans
   * started inside an active chatdebug step are skipped (the step already records the call). A
   * span whose chat id (on it or its ancestors, at start) is another chat's does not join.
   * @defaultValue true
   */
  joinActiveRun?: boolean;
  /**
   * How long after a run's span ended its steps may still end, in milliseconds. Then steps still
   * open are recorded as interrupted at the run span's end time and the run is finalized as
   * interrupted: an aborted AI SDK stream never ends its `doStream` span. Timed with the
   * service's clock. @defaultValue 30_000
   */
  orphanStepGraceMillis?: number;
  /**
   * Most runs kept waiting for steps that outlive their span; past it the oldest is finalized at
   * once, as when its grace period ends (counted in `evictedRuns`). @defaultValue 1000
   */
  maxWaitingRuns?: number;
  /** Queue, concurrency, retry and flush settings of the processor's export pipeline. */
  pipeline?: ExportPipelineOptions;
}

/** Counters of a {@link ChatDebugSpanProcessor}. */
export interface SpanProcessorStats {
  /** Runs created from spans. */
  runsRecorded: number;
  /** Steps created from model-call spans (in new runs). */
  stepsRecorded: number;
  /** Model-call spans recorded as steps of a chatdebug run active in their context. */
  stepsJoined: number;
  skipped: {
    /** Model-call spans with no chat id on them or their ancestors. */
    noChatId: number;
    /** Model-call spans whose chat id is not a UUID, or whose run kind is invalid. */
    invalid: number;
    /** Spans of chatdebug's own mirror or inside an active chatdebug step (already recorded). */
    recordedByChatdebug: number;
    /** Model-call spans that started after their run's span (or the chatdebug run they joined) ended. */
    late: number;
  };
  /** Steps still open when their run was finalized (grace period over, evicted, or shutdown): recorded as interrupted. */
  orphanedSteps: number;
  /** Runs finalized before their grace period ended because `maxWaitingRuns` was reached. */
  evictedRuns: number;
  /** Runs whose span ended, waiting for steps that are still open. */
  waitingRuns: number;
  /** User callbacks (`resolveChatId`, `isRunSpan`, `runKind`) that threw. */
  callbackErrors: number;
  /** Unexpected failures inside the processor (logged, never thrown). */
  internalErrors: number;
  /** Span events waiting to be turned into writes. */
  pendingSpans: number;
  pipeline: PipelineStats;
}

interface RunEntry {
  readonly id: string;
  readonly span: Span;
  state: 'pending' | 'created' | 'dropped' | 'finalized';
  chatId: string | undefined;
  seed: JsonObject;
  stepCount: number;
  readonly open: Set<StepEntry>;
  rootEnded: boolean;
  end: { status: Status; at: Date } | undefined;
  /** Some step never ended: the run is finalized as interrupted (or error). */
  orphaned: boolean;
  /** Fires when the grace period for its open steps is over. */
  timer: TimerHandle | undefined;
}

interface StepEntry {
  readonly id: string;
  readonly entry: SpanEntry;
  state: 'pending' | 'created' | 'skipped' | 'done';
}

interface SpanEntry {
  readonly span: Span;
  readonly parent: SpanEntry | undefined;
  /** The span was made by chatdebug's mirror for a step, or sits under one: never recorded again. */
  readonly ignored: boolean;
  readonly run: RunEntry | undefined;
  /** A chatdebug run active in the span's context, which its model calls join. */
  readonly live: RunSpan | undefined;
  /** An ancestor is a model call already: nested model-call spans are part of that step. */
  readonly inStep: boolean;
  /** A model call recorded as a live step of `live`; the step starts in a span job. */
  readonly joined: boolean;
  step: StepEntry | undefined;
  liveStep: StepSpan | undefined;
}

const IGNORED: Omit<SpanEntry, 'span' | 'parent'> = {
  ignored: true,
  run: undefined,
  live: undefined,
  inStep: true,
  joined: false,
  step: undefined,
  liveStep: undefined,
};

/** Spans searched for a chat id, the first one included: deep enough for real traces, bounded for degenerate ones. */
const MAX_CHAT_ID_DEPTH = 32;

/** A stream the user stopped ends its run span at once; a slow one still finishes well within this. */
const DEFAULT_ORPHAN_STEP_GRACE_MILLIS = 30_000;

const DEFAULT_MAX_WAITING_RUNS = 1000;

/**
 * An OpenTelemetry `SpanProcessor` (sdk-trace-base 2.x) that records GenAI spans made by other
 * instrumentations (the Vercel AI SDK's telemetry, OpenLLMetry, hand-written spans with
 * `gen_ai.*` attributes) as chatdebug runs and steps:
 *
 * - a local root span (or one matching `isRunSpan`) becomes a run, started and finished at the
 *   span's times, with the root's status (`ERROR` → error, an abort → interrupted, else completed);
 * - each model-call span under it (`gen_ai.operation.name` chat / generate_content /
 *   text_completion / generate / stream, OpenLLMetry's `llm.request.type` chat / completion, or
 *   the AI SDK's `ai.*.doGenerate` / `ai.*.doStream`) becomes a step with its operation, model,
 *   usage, finish reason, error and times;
 * - the chat id comes from `chatIdAttributes` or `resolveChatId`; without one, nothing is recorded
 *   (counted in {@link ChatDebugSpanProcessor.stats}).
 *
 * `onStart` and `onEnd` only note the span; the writes are built in span jobs after the callback
 * returns and go through an export pipeline that keeps each run's writes in order. A run is
 * finalized when its span has ended and so have all its steps (child spans usually end first; a
 * stream may end after), or when `orphanStepGraceMillis` passed since its span ended. Callbacks
 * never throw. `forceFlush` and `shutdown` flush the writes.
 *
 * @example
 * ```ts
 * const provider = new NodeTracerProvider({ spanProcessors: [new ChatDebugSpanProcessor({ tracer })] });
 * await generateText({ model, prompt, experimental_telemetry: { isEnabled: true, metadata: { chatId } } });
 * ```
 */
export class ChatDebugSpanProcessor implements SpanProcessor {
  readonly #tracer: Tracer | undefined;
  readonly #logger: Logger;
  readonly #clock: Clock;
  readonly #pipeline: ExportPipeline;
  readonly #chatIdAttributes: readonly string[];
  readonly #resolveChatId: ((span: ReadableSpan) => string | undefined) | undefined;
  readonly #isRunSpan: ((span: ReadableSpan) => boolean) | undefined;
  readonly #runKind: RunKind | ((span: ReadableSpan) => RunKind | undefined);
  readonly #read: ReadOptions;
  readonly #joinActiveRun: boolean;
  readonly #orphanStepGraceMillis: number;
  readonly #maxWaitingRuns: number;
  readonly #entries = new WeakMap<object, SpanEntry>();
  /** Runs whose span ended while some of their steps were still open, oldest first. */
  readonly #waiting = new Set<RunEntry>();
  #jobs: Array<() => void> = [];
  #scheduled = false;
  #scheduledSoon = false;
  #closed = false;
  #shutdown: Promise<void> | undefined;
  readonly #stats = {
    runsRecorded: 0,
    stepsRecorded: 0,
    stepsJoined: 0,
    noChatId: 0,
    invalid: 0,
    recordedByChatdebug: 0,
    late: 0,
    orphanedSteps: 0,
    evictedRuns: 0,
    callbackErrors: 0,
    internalErrors: 0,
  };

  constructor(options: ChatDebugSpanProcessorOptions) {
    const service = options?.service ?? options?.tracer?.service;
    if (!service) throw new InvalidArgumentError('tracer', 'a tracer or a service is required');
    if (options.tracer && options.service && options.tracer.service !== options.service) {
      throw new InvalidArgumentError('service', "the service must be the tracer's own service when both are given");
    }
    const runKind = options.runKind ?? 'chat_turn';
    if (typeof runKind === 'string' && !isRunKind(runKind)) throw new InvalidArgumentError('runKind', `invalid run kind ${JSON.stringify(runKind)}`);
    const maxTextRunes = options.maxTextRunes ?? DEFAULT_MAX_TEXT_RUNES;
    if (!Number.isSafeInteger(maxTextRunes) || maxTextRunes < 1) throw new InvalidArgumentError('maxTextRunes', 'expected a positive integer');
    const grace = options.orphanStepGraceMillis ?? DEFAULT_ORPHAN_STEP_GRACE_MILLIS;
    if (!Number.isSafeInteger(grace) || grace < 0) throw new InvalidArgumentError('orphanStepGraceMillis', 'expected a non-negative integer');
    const maxWaitingRuns = options.maxWaitingRuns ?? DEFAULT_MAX_WAITING_RUNS;
    if (!Number.isSafeInteger(maxWaitingRuns) || maxWaitingRuns < 1) throw new InvalidArgumentError('maxWaitingRuns', 'expected a positive integer');
    this.#tracer = options.tracer;
    this.#logger = service.logger;
    this.#clock = service.clock;
    this.#pipeline = new ExportPipeline(service, options.pipeline);
    this.#chatIdAttributes = [...(options.chatIdAttributes ?? DEFAULT_CHAT_ID_ATTRIBUTES)];
    this.#resolveChatId = options.resolveChatId;
    this.#isRunSpan = options.isRunSpan;
    this.#runKind = runKind;
    this.#read = { captureContent: options.captureContent ?? true, maxTextRunes };
    this.#joinActiveRun = options.joinActiveRun ?? true;
    this.#orphanStepGraceMillis = grace;
    this.#maxWaitingRuns = maxWaitingRuns;
  }

  /** Notes a started span: links it to its parent, and opens a step for a model call. Never throws. */
  onStart(span: Span, parentContext: Context): void {
    if (this.#closed || this.#tracer?.enabled === false) return;
    try {
      this.#start(span, parentContext);
    } catch (error) {
      this.#internalError('onStart', error);
    }
  }

  /** Notes an ended span; its writes are built in a span job after this returns. Never throws. */
  onEnd(span: ReadableSpan): void {
    if (this.#closed) return;
    try {
      this.#end(span);
    } catch (error) {
      this.#internalError('onEnd', error);
    }
  }

  /** Turns every ended span into writes and waits until they (and the tracer's) are written. Never rejects. */
  async forceFlush(): Promise<void> {
    try {
      this.#drain();
      await this.#pipeline.forceFlush();
      await this.#tracer?.forceFlush();
    } catch (error) {
      this.#internalError('forceFlush', error);
    }
  }

  /**
   * Stops recording, finalizes runs whose span ended (steps still open are recorded as
   * interrupted, and so is their run), and flushes. Runs once. The tracer or service passed in is
   * flushed, not shut down.
   */
  shutdown(): Promise<void> {
    this.#shutdown ??= (async () => {
      this.#closed = true;
      try {
        this.#drain();
        for (const run of [...this.#waiting]) this.#abandonOpenSteps(run);
        await this.#pipeline.shutdown();
        await this.#tracer?.forceFlush();
      } catch (error) {
        this.#internalError('shutdown', error);
      }
    })();
    return this.#shutdown;
  }

  /** Counters since the processor was made. */
  stats(): SpanProcessorStats {
    const s = this.#stats;
    return {
      runsRecorded: s.runsRecorded,
      stepsRecorded: s.stepsRecorded,
      stepsJoined: s.stepsJoined,
      skipped: { noChatId: s.noChatId, invalid: s.invalid, recordedByChatdebug: s.recordedByChatdebug, late: s.late },
      orphanedSteps: s.orphanedSteps,
      evictedRuns: s.evictedRuns,
      waitingRuns: this.#waiting.size,
      callbackErrors: s.callbackErrors,
      internalErrors: s.internalErrors,
      pendingSpans: this.#jobs.length,
      pipeline: this.#pipeline.stats(),
    };
  }

  #start(span: Span, parentContext: Context): void {
    const parentSpan = trace.getSpan(parentContext);
    const parent = parentSpan ? this.#entries.get(parentSpan) : undefined;
    const attributes = span.attributes;
    if (parent?.ignored || attributes[ATTR.stepId] !== undefined) {
      this.#entries.set(span, { ...IGNORED, span, parent });
      if (isModelCallSpan(span)) this.#stats.recordedByChatdebug++;
      return;
    }
    let run = parent?.run;
    let live = parent?.live;
    const inStep = parent !== undefined && (parent.inStep || parent.step !== undefined || parent.joined);
    const mirroredRun = attributes[ATTR.runId] !== undefined;
    // Decided at start: a chat id set later cannot move a step that is already recording.
    if (live && !sameChat(this.#chatIdOn(span), live)) live = undefined;
    if (!run && !live && !mirroredRun) {
      if (this.#joinActiveRun) {
        const step = activeStep();
        if (step?.isRecording && !step.ended) {
          this.#entries.set(span, { ...IGNORED, span, parent });
          if (isModelCallSpan(span)) this.#stats.recordedByChatdebug++;
          return;
        }
        const active = activeRun();
        if (active?.isRecording && !active.ended && sameChat(this.#chatIdFrom(span, parent), active)) live = active;
      }
      if (!live && this.#startsRun(span, parent)) run = this.#newRun(span);
    }
    const modelCall = !inStep && !mirroredRun && isModelCallSpan(span);
    if (modelCall && !run && !live) run = this.#newRun(span);
    const joined = modelCall && live !== undefined;
    const entry: SpanEntry = { span, parent, ignored: false, run, live, inStep, joined, step: undefined, liveStep: undefined };
    this.#entries.set(span, entry);
    if (!modelCall) return;
    if (live) {
      // Reading the prompt and sanitizing it can take tens of milliseconds for a large one: a span
      // job does it, soon enough that the step starts before the caller's run can end.
      const target = live;
      this.#enqueue(() => this.#startJoinedStep(target, entry), true);
      return;
    }
    if (!run) return;
    if (run.rootEnded) {
      this.#stats.late++;
      return;
    }
    const step: StepEntry = { id: newId(), entry, state: 'pending' };
    entry.step = step;
    run.open.add(step);
    // Try now, so the step shows up live; without a chat id yet, try again when the span ends.
    this.#enqueue(() => void this.#createStep(run, step, false));
  }

  #end(span: ReadableSpan): void {
    const entry = this.#entries.get(span);
    if (!entry || entry.ignored) return;
    if (entry.joined) this.#enqueue(() => this.#endJoinedStep(entry), true);
    const run = entry.run;
    const step = entry.step;
    if (run && step) this.#enqueue(() => this.#finishStep(run, step));
    if (run && run.span === span) {
      run.rootEnded = true;
      this.#enqueue(() => {
        run.end = { status: readRunStatus(run.span), at: hrTimeToDate(run.span.endTime) };
        this.#maybeFinalize(run);
      });
    }
  }

  #startJoinedStep(run: RunSpan, entry: SpanEntry): void {
    if (run.ended) {
      this.#stats.late++;
      return;
    }
    const span = entry.span;
    entry.liveStep = run.startStep({ operation: stepOperation(span), request: readRequest(span, this.#read), startTime: hrTimeToDate(span.startTime) });
    this.#stats.stepsJoined++;
  }

  #endJoinedStep(entry: SpanEntry): void {
    const step = entry.liveStep;
    if (!step) return;
    const outcome = readOutcome(entry.span, this.#read);
    step.end({
      status: outcome.status,
      response: outcome.response,
      usage: outcome.usage,
      error: outcome.error,
      metadata: outcome.metadata,
      endTime: outcome.finishedAt,
    });
  }

  #startsRun(span: Span, parent: SpanEntry | undefined): boolean {
    if (!this.#isRunSpan) return parent === undefined;
    try {
      return this.#isRunSpan(span) === true;
    } catch (error) {
      this.#callbackError('isRunSpan', error);
      return false;
    }
  }

  #newRun(span: Span): RunEntry {
    return {
      id: newId(),
      span,
      state: 'pending',
      chatId: undefined,
      seed: {},
      stepCount: 0,
      open: new Set(),
      rootEnded: false,
      end: undefined,
      orphaned: false,
      timer: undefined,
    };
  }

  /** Creates the step (and its run, first time); false when it cannot be recorded (yet). */
  #createStep(run: RunEntry, step: StepEntry, final: boolean): boolean {
    if (step.state !== 'pending') return step.state === 'created' || step.state === 'done';
    if (run.state === 'dropped' || run.state === 'finalized') return false;
    const span = step.entry.span;
    const request = readRequest(span, this.#read);
    if (run.state === 'pending') {
      const chatId = this.#chatIdFrom(span, step.entry.parent);
      if (chatId === undefined) {
        if (final) this.#stats.noChatId++;
        return false;
      }
      if (chatId === null || !isUuid(chatId)) {
        if (final) this.#stats.invalid++;
        if (chatId !== null) this.#warn('chat id is not a UUID; span not recorded', { span_name: span.name });
        return false;
      }
      const kind = this.#kindOf(run.span);
      if (kind === undefined) {
        run.state = 'dropped';
        this.#stats.invalid++;
        return false;
      }
      const label = requestLabel(request);
      run.seed = label === '' ? {} : { first_message: label };
      run.chatId = chatId;
      run.state = 'created';
      this.#stats.runsRecorded++;
      this.#pipeline.enqueue({
        type: 'createRun',
        runId: run.id,
        params: {
          id: run.id,
          chatId,
          kind,
          provider: readProvider(span.attributes) ?? null,
          model: readModel(span.attributes) ?? null,
          summary: run.seed,
          at: hrTimeToDate(run.span.startTime),
        },
      });
    }
    const chatId = run.chatId as string;
    step.state = 'created';
    this.#stats.stepsRecorded++;
    this.#pipeline.enqueue({
      type: 'createStep',
      runId: run.id,
      stepId: step.id,
      params: {
        id: step.id,
        runId: run.id,
        chatId,
        stepNumber: ++run.stepCount,
        operation: stepOperation(span),
        normalizedRequest: request,
        at: hrTimeToDate(span.startTime),
      },
    });
    return true;
  }

  #finishStep(run: RunEntry, step: StepEntry): void {
    // Already recorded as interrupted (its grace period ended first): the run is final.
    if (step.state === 'done') return;
    run.open.delete(step);
    if (this.#createStep(run, step, true)) {
      const span = step.entry.span;
      const outcome = readOutcome(span, this.#read);
      this.#pipeline.enqueue({
        type: 'updateStep',
        runId: run.id,
        stepId: step.id,
        params: {
          id: step.id,
          chatId: run.chatId as string,
          status: outcome.status,
          normalizedResponse: outcome.response,
          usage: outcome.usage,
          error: outcome.error,
          metadata: outcome.metadata,
          finishedAt: outcome.finishedAt,
          at: outcome.finishedAt,
        },
      });
      step.state = 'done';
    } else {
      step.state = 'skipped';
    }
    this.#maybeFinalize(run);
  }

  #maybeFinalize(run: RunEntry): void {
    const end = run.end;
    if (!end || run.state === 'finalized') return;
    if (run.open.size > 0) {
      this.#wait(run);
      return;
    }
    if (this.#waiting.delete(run)) {
      this.#clock.clearTimeout(run.timer);
      run.timer = undefined;
    }
    const created = run.state === 'created';
    run.state = 'finalized';
    if (!created) return;
    const status = run.orphaned ? worseOutcome(end.status, 'interrupted') : end.status;
    this.#pipeline.enqueue({
      type: 'finalizeRun',
      runId: run.id,
      params: { runId: run.id, chatId: run.chatId as string, status, seedSummary: run.seed, at: end.at },
    });
  }

  /**
   * Keeps an ended run until its open steps end, for at most the grace period. The set is bounded:
   * a server with many aborted streams would otherwise pin every prompt for that long.
   */
  #wait(run: RunEntry): void {
    if (this.#waiting.has(run)) return;
    if (this.#waiting.size >= this.#maxWaitingRuns) {
      const oldest = this.#waiting.values().next().value;
      if (oldest) {
        this.#stats.evictedRuns++;
        this.#abandonOpenSteps(oldest);
      }
    }
    this.#waiting.add(run);
    run.timer = this.#clock.setTimeout(() => this.#graceOver(run), this.#orphanStepGraceMillis);
    run.timer.unref?.();
  }

  #graceOver(run: RunEntry): void {
    try {
      run.timer = undefined;
      // A step whose span ended just now is still a queued job: let it finish normally.
      this.#drain();
      if (run.state !== 'finalized') this.#abandonOpenSteps(run);
    } catch (error) {
      this.#internalError('grace timer', error);
    }
  }

  /** Steps still open under an ended run are recorded as interrupted at the run's end; the run is finalized. */
  #abandonOpenSteps(run: RunEntry): void {
    const at = run.end?.at;
    const open = [...run.open];
    run.open.clear();
    for (const step of open) {
      if (at && this.#createStep(run, step, true)) {
        this.#stats.orphanedSteps++;
        run.orphaned = true;
        this.#pipeline.enqueue({
          type: 'updateStep',
          runId: run.id,
          stepId: step.id,
          params: { id: step.id, chatId: run.chatId as string, status: 'interrupted', finishedAt: at, at },
        });
      }
      step.state = 'done';
    }
    this.#maybeFinalize(run);
  }

  /**
   * The chat id on `span`, else on its known ancestors, nearest first (bounded): `resolveChatId`
   * first, then the attributes. Undefined when none is found; null when the resolver threw (fail
   * closed). It does not stop at the run's span: an outer span (an HTTP request, a workflow) often
   * carries the chat id while the run is a model call of its own.
   */
  #chatIdFrom(span: Span, parent: SpanEntry | undefined): string | undefined | null {
    const own = this.#chatIdOn(span);
    if (own !== undefined) return own;
    let current = parent;
    for (let depth = 1; current && depth < MAX_CHAT_ID_DEPTH; depth++, current = current.parent) {
      const found = this.#chatIdOn(current.span);
      if (found !== undefined) return found;
    }
    return undefined;
  }

  #chatIdOn(span: Span): string | undefined | null {
    if (this.#resolveChatId) {
      try {
        const resolved = this.#resolveChatId(span);
        if (typeof resolved === 'string' && resolved !== '') return resolved;
      } catch (error) {
        this.#callbackError('resolveChatId', error);
        return null;
      }
    }
    for (const key of this.#chatIdAttributes) {
      const value = span.attributes[key];
      if (typeof value === 'string' && value !== '') return value;
    }
    return undefined;
  }

  #kindOf(span: Span): RunKind | undefined {
    const kind = this.#runKind;
    if (typeof kind === 'string') return kind;
    try {
      const resolved = kind(span);
      if (resolved === undefined) return 'chat_turn';
      if (isRunKind(resolved)) return resolved;
      this.#warn('runKind returned an invalid kind; run not recorded', { kind: String(resolved) });
      return undefined;
    } catch (error) {
      this.#callbackError('runKind', error);
      return undefined;
    }
  }

  /**
   * Queues a span job. Jobs run in order, on the next turn of the event loop; with `soon` (work
   * on a live chatdebug run) at the next microtask checkpoint instead, still after the span
   * callback returned: the caller's `tracer.run(...)` typically ends its run in the same
   * microtask flush that resolves the awaited model call, before a `setImmediate` would fire, and
   * an ended run takes no more steps.
   */
  #enqueue(job: () => void, soon = false): void {
    this.#jobs.push(job);
    if (soon && !this.#scheduledSoon) {
      this.#scheduledSoon = true;
      queueMicrotask(() => {
        this.#scheduledSoon = false;
        this.#drain();
      });
    }
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => this.#drain());
  }

  /** Runs the queued span jobs in order (they only compute and enqueue writes: no I/O). */
  #drain(): void {
    this.#scheduled = false;
    while (this.#jobs.length > 0) {
      const jobs = this.#jobs;
      this.#jobs = [];
      for (const job of jobs) {
        try {
          job();
        } catch (error) {
          this.#internalError('span job', error);
        }
      }
    }
  }

  #callbackError(name: string, error: unknown): void {
    this.#stats.callbackErrors++;
    this.#warn(`${name} threw; span not recorded`, { error: describeError(error) });
  }

  #internalError(where: string, error: unknown): void {
    this.#stats.internalErrors++;
    this.#warn(`span processor ${where} failed`, { error: describeError(error) });
  }

  #warn(message: string, attributes: Record<string, unknown>): void {
    try {
      this.#logger.warn(message, attributes);
    } catch {
      // A logger that throws must not break the caller's span.
    }
  }
}

/** A span that names another chat (or whose resolver threw, null) must not join the run. */
function sameChat(chatId: string | undefined | null, run: RunSpan): boolean {
  return chatId === undefined || chatId === run.chatId;
}
