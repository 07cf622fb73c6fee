import type { ExportPipelineOptions, FlushResult, PipelineStats } from '../export/export-pipeline.js';
import { ExportPipeline } from '../export/export-pipeline.js';
import type { JsonObject } from '../model/json.js';
import { newId } from '../model/ids.js';
import type { PayloadBounds } from '../payload/bounds.js';
import { sanitizeText } from '../payload/sanitize.js';
import {
  optionalDate,
  optionalMessageId,
  optionalText,
  optionalUuid,
  requireRunKind,
  requireUuid,
} from '../model/validate.js';
import { describeError } from '../logger/logger.js';
import { classifyCallError, normalizeError } from '../service/classify-error.js';
import type { CreateRunParams, DebugServiceOptions } from '../service/debug-service.js';
import { DebugService } from '../service/debug-service.js';
import { truncateLabel } from '../service/summary.js';
import { activeRun, activeStep, withRun, withStep } from './context.js';
import { HeartbeatScheduler } from './heartbeat-scheduler.js';
import { NoopRunSpan, NoopStepSpan } from './noop-spans.js';
import type { RecordStreamOptions } from './record-stream.js';
import { recordStream } from './record-stream.js';
import { RecordingRunSpan } from './run-span.js';
import type { RunSpan, StartRunOptions, StartStepOptions, StepSpan, StepSpanUpdate } from './spans.js';
import { RecordingStepSpan } from './step-span.js';
import type { TracerCore, TracerCounters } from './tracer-core.js';
import { notify, rejectInput, snapshot } from './tracer-core.js';
import type { SpanListener } from './span-listener.js';

/** Options of {@link Tracer}. */
export interface TracerOptions {
  /** The service writes go through. */
  service: DebugService;
  /**
   * When false every span is a no-op and nothing is written.
   * @defaultValue true
   */
  enabled?: boolean;
  /**
   * Throw `InvalidArgumentError` for bad input instead of logging a warning and handing out a
   * no-op span. Meant for tests.
   * @defaultValue false
   */
  strict?: boolean;
  /** Queue, concurrency, retry and flush settings of the export pipeline. */
  pipeline?: ExportPipelineOptions;
  /** Bounds of streamed text and arguments recorded by the helpers. */
  bounds?: PayloadBounds;
  /** Observers of span lifecycles (e.g. the OpenTelemetry mirror of `@chatdebug/otel`). */
  listeners?: readonly SpanListener[];
}

/** Options of {@link Tracer.traceCall}. */
export interface TraceCallOptions<T> extends StartStepOptions {
  /** @defaultValue the active run; without one the call runs untraced */
  run?: RunSpan;
  /** Record into this existing step instead of a new one (several attempts of one step). */
  step?: StepSpan;
  /** What to record from the result: response, usage, metadata... */
  result?: (value: T) => StepSpanUpdate;
  /** The error payload to record; defaults to `normalizeError`. */
  error?: (error: unknown) => unknown;
}

/** Options of {@link Tracer.traceStream}. */
export interface TraceStreamOptions<Part> extends StartStepOptions, Omit<RecordStreamOptions<Part>, 'onFirstPull' | 'logger'> {
  /** @defaultValue the active run; without one the stream runs untraced */
  run?: RunSpan;
}

/** Counters of a tracer and its pipeline. */
export interface TracerStats extends TracerCounters {
  pipeline: PipelineStats;
  /** Spans currently kept alive by heartbeats. */
  heartbeating: number;
}

/**
 * Hands out run and step spans. Span calls never await the database and never throw because
 * persistence failed: writes go through an export pipeline that keeps per-run order. Heartbeats
 * keep open runs and steps from being swept, at half the service's stale threshold.
 *
 * @example
 * ```ts
 * const tracer = createTracer({ exporter });
 * await tracer.run({ chatId, kind: 'chat_turn', label: userText }, async () => {
 *   const answer = await tracer.traceCall({ request }, () => callModel(request));
 * });
 * await tracer.shutdown();
 * ```
 */
export class Tracer {
  readonly service: DebugService;
  readonly enabled: boolean;
  readonly #core: TracerCore;
  readonly #bounds: PayloadBounds | undefined;
  readonly #unsubscribeStale: () => void;
  readonly #listeners: SpanListener[];
  #shutdown: Promise<FlushResult> | undefined;

  constructor(options: TracerOptions) {
    const service = options.service;
    this.service = service;
    this.enabled = options.enabled ?? true;
    this.#bounds = options.bounds;
    this.#listeners = [...(options.listeners ?? [])];
    const heartbeats = new HeartbeatScheduler(service.clock, () => service.heartbeatIntervalMillis);
    this.#core = {
      service,
      pipeline: new ExportPipeline(service, options.pipeline),
      clock: service.clock,
      logger: service.logger,
      heartbeats,
      counters: { runsStarted: 0, stepsStarted: 0, invalidInput: 0, afterEnd: 0 },
      strict: options.strict ?? false,
      sanitize: {},
      listeners: this.#listeners,
    };
    this.#unsubscribeStale = service.onStaleAfterChange(() => heartbeats.rearm());
  }

  /** Starts a run. Returns a no-op span when disabled, shut down, or (outside strict mode) given bad input. */
  startRun(options: StartRunOptions): RunSpan {
    const core = this.#core;
    if (!this.enabled || core.pipeline.closed) return new NoopRunSpan(options.chatId, options.kind, core.clock);
    let params: CreateRunParams & { id: string; rootChatId: string | undefined; parentChatId: string | undefined; provider: string | undefined; model: string | undefined };
    let explicitStart: Date | undefined;
    try {
      const id = options.id === undefined ? newId() : requireUuid('id', options.id);
      params = {
        id,
        chatId: requireUuid('chatId', options.chatId),
        kind: requireRunKind('kind', options.kind),
        rootChatId: optionalUuid('rootChatId', options.rootChatId),
        parentChatId: optionalUuid('parentChatId', options.parentChatId),
        modelConfigId: optionalUuid('modelConfigId', options.modelConfigId),
        triggerMessageId: optionalMessageId('triggerMessageId', options.triggerMessageId),
        historyTipMessageId: optionalMessageId('historyTipMessageId', options.historyTipMessageId),
        provider: optionalText('provider', options.provider),
        model: optionalText('model', options.model),
        // Filled below; present from the start so the object keeps one shape.
        summary: undefined,
        at: undefined,
      };
      explicitStart = optionalDate('startTime', options.startTime);
    } catch (error) {
      rejectInput(core, error, 'startRun');
      return new NoopRunSpan(options.chatId, options.kind, core.clock);
    }
    let label = '';
    try {
      label = truncateLabel(optionalText('label', options.label) ?? '');
    } catch (error) {
      // Only the label is left out: the run itself is good input.
      rejectInput(core, error, 'startRun');
    }
    let summary: JsonObject;
    if (options.summary === undefined) {
      // What the snapshot of `{ first_message: label }` gives: a label of at most 200 code points
      // is far below the default size bound the tracer snapshots with; only its text needs making jsonb-safe.
      summary = label === '' ? {} : { first_message: sanitizeText(label) };
    } else {
      const seed = snapshot(core, options.summary, 'summary', 'startRun');
      summary = (seed !== undefined && typeof seed === 'object' && !Array.isArray(seed) ? seed : {}) as JsonObject;
      if (label !== '') summary.first_message = sanitizeText(label);
    }
    core.counters.runsStarted++;
    const startTime = explicitStart ?? core.clock.now();
    params.summary = summary;
    params.at = startTime;
    core.pipeline.enqueue({ type: 'createRun', runId: params.id, params });
    const run = new RecordingRunSpan(core, params.id, params.chatId, params.kind, summary, options.heartbeat ?? true);
    if (core.listeners.length > 0) {
      notify(core, 'onRunStart', run, {
        kind: params.kind,
        chatId: params.chatId,
        rootChatId: params.rootChatId,
        parentChatId: params.parentChatId,
        provider: params.provider,
        model: params.model,
        summary,
        startTime,
      });
    }
    return run;
  }

  /** Adds a span listener; it sees spans started from now on. Returns a function that removes it. */
  addListener(listener: SpanListener): () => void {
    this.#listeners.push(listener);
    return () => {
      const index = this.#listeners.indexOf(listener);
      if (index >= 0) this.#listeners.splice(index, 1);
    };
  }

  /**
   * Starts a run only if the service says debug logging is on for this chat and owner
   * (`DebugService.isEnabled`); otherwise returns a no-op span.
   */
  async startRunIfEnabled(options: StartRunOptions & { ownerId?: string }): Promise<RunSpan> {
    if (!this.enabled || !(await this.service.isEnabled(options.chatId, options.ownerId))) {
      return new NoopRunSpan(options.chatId, options.kind, this.#core.clock);
    }
    return this.startRun(options);
  }

  /** The run active in this async context. */
  activeRun(): RunSpan | undefined {
    return activeRun();
  }

  /** The step active in this async context. */
  activeStep(): StepSpan | undefined {
    return activeStep();
  }

  /** Runs `fn` with `run` active. */
  withRun<T>(run: RunSpan, fn: () => T): T {
    return withRun(run, fn);
  }

  /** Runs `fn` with `step` (and its run) active. */
  withStep<T>(step: StepSpan, fn: () => T): T {
    return withStep(step, fn);
  }

  /**
   * Starts a run, runs `fn` with it active, and ends it: completed (or the worst recorded
   * outcome) when `fn` resolves, interrupted or error by `classifyError` when it throws.
   * `fn`'s result or error passes through unchanged.
   */
  async run<T>(options: StartRunOptions, fn: (run: RunSpan) => Promise<T>): Promise<T> {
    const run = this.startRun(options);
    try {
      const result = await withRun(run, () => fn(run));
      if (!run.ended) run.end();
      return result;
    } catch (error) {
      if (!run.ended) run.end({ error });
      throw error;
    }
  }

  /**
   * Traces one blocking model call as a step of the active run (or `options.run`): the step is
   * active while `call` runs (so the recording fetch attributes HTTP attempts to it) and
   * heartbeats while in flight. Success → completed with what `options.result` extracts;
   * failure → interrupted for a cancellation or deadline, error otherwise, with the normalized
   * error; the error is rethrown. Without a recording run the call runs untraced.
   */
  async traceCall<T>(options: TraceCallOptions<T>, call: (step: StepSpan) => Promise<T>): Promise<T> {
    const run = options.run ?? activeRun();
    if (!run || !run.isRecording) return call(new NoopStepSpan(run ?? new NoopRunSpan(), options.operation, this.#core.clock));
    const step = options.step ?? run.startStep({ ...options, operation: options.operation ?? 'generate', heartbeat: false });
    // Heartbeats while the call is in flight (§5), also on a step reused after it ended once.
    const recording = step instanceof RecordingStepSpan;
    if (recording) step.callStarted();
    let result: T;
    try {
      result = await withStep(step, () => call(step));
    } catch (error) {
      if (recording) step.callEnded();
      step.end({ status: classifyCallError(error), error: this.#errorPayload(options.error, error) });
      throw error;
    }
    if (recording) step.callEnded();
    if (result === undefined || result === null) {
      step.end({ status: 'error', error: { message: 'model call returned no result', type: 'NilModelResult' } });
      return result;
    }
    let fields: StepSpanUpdate = {};
    try {
      fields = options.result?.(result) ?? {};
    } catch (error) {
      this.#core.logger.warn('traceCall result extractor threw; response not recorded', { error: describeError(error) });
    }
    step.end({ ...fields, status: 'completed' });
    return result;
  }

  /**
   * Traces a streamed model call as a `stream` step. `open` runs with the step active (its HTTP
   * attempt lands on the step) and may return the stream or a promise of it; opening errors are
   * recorded like `traceCall`'s. The returned iterable forwards every part and finalizes the
   * step exactly once (see `recordStream`); its heartbeat starts lazily on the first pull.
   * An opener that gives no stream (null) ends the step as a `NilModelResult` error, and that
   * null comes back as is.
   */
  async traceStream<Part>(
    options: TraceStreamOptions<Part>,
    open: (step: StepSpan) => AsyncIterable<Part> | Promise<AsyncIterable<Part>>,
  ): Promise<AsyncIterable<Part>> {
    const run = options.run ?? activeRun();
    if (!run || !run.isRecording) return open(new NoopStepSpan(run ?? new NoopRunSpan(), 'stream', this.#core.clock));
    const step = run.startStep({ ...options, operation: 'stream', heartbeat: false });
    const source = await this.traceOpen(step, open);
    // Recorded as a NilModelResult error step; the caller gets what `open` gave, as untraced.
    if (source === undefined || source === null) return source;
    return this.recordStream(step, source, options);
  }

  /**
   * Opens a stream inside `step`: heartbeats while waiting, and ends the step when opening fails
   * (interrupted for a cancellation, error otherwise) before rethrowing.
   */
  async traceOpen<S>(step: StepSpan, open: (step: StepSpan) => S | Promise<S>): Promise<S> {
    const recording = step instanceof RecordingStepSpan;
    if (recording) step.callStarted();
    try {
      const source = await withStep(step, () => open(step));
      if (source === undefined || source === null) {
        step.end({ status: 'error', error: { message: 'model call returned no stream', type: 'NilModelResult' } });
      }
      return source;
    } catch (error) {
      step.end({ status: classifyCallError(error), error: this.#errorPayload(undefined, error) });
      throw error;
    } finally {
      if (recording) step.callEnded();
    }
  }


  /** Wraps an already-open stream of `step` (see `recordStream`), with the lazy heartbeat. */
  recordStream<Part>(step: StepSpan, source: AsyncIterable<Part>, options: Omit<RecordStreamOptions<Part>, 'onFirstPull' | 'logger'> = {}): AsyncIterable<Part> {
    const core = this.#core;
    return recordStream(step, source, {
      bounds: this.#bounds,
      ...options,
      logger: core.logger,
      onFirstPull: () => {
        if (step instanceof RecordingStepSpan && !step.ended) core.heartbeats.add(step);
      },
    });
  }

  /** The payload bounds the helpers record with (instrumentation defaults to these). */
  get bounds(): PayloadBounds | undefined {
    return this.#bounds;
  }

  /** Counters of the caller's path and of the pipeline. */
  stats(): TracerStats {
    return { ...this.#core.counters, pipeline: this.#core.pipeline.stats(), heartbeating: this.#core.heartbeats.size };
  }

  /** Waits until every write queued so far is applied (or the deadline passes). Never rejects. */
  forceFlush(timeoutMillis?: number): Promise<FlushResult> {
    return this.#core.pipeline.forceFlush(timeoutMillis);
  }

  /**
   * Stops heartbeats, flushes, and refuses later writes (counted). Runs once; later calls return
   * the first result. Does not shut the exporter down: whoever created it does.
   */
  shutdown(timeoutMillis?: number): Promise<FlushResult> {
    this.#shutdown ??= (() => {
      this.#core.heartbeats.stop();
      this.#unsubscribeStale();
      return this.#core.pipeline.shutdown(timeoutMillis);
    })();
    return this.#shutdown;
  }

  #errorPayload(extract: ((error: unknown) => unknown) | undefined, error: unknown): unknown {
    if (extract) {
      try {
        return extract(error);
      } catch (failure) {
        this.#core.logger.warn('error extractor threw; default error recorded', { error: describeError(failure) });
      }
    }
    return normalizeError(error);
  }
}

/** Options of {@link createTracer}: the service's and the tracer's in one bag. */
export type CreateTracerOptions = DebugServiceOptions & Omit<TracerOptions, 'service'>;

/** Builds a `DebugService` and a `Tracer` over it in one call. */
export function createTracer(options: CreateTracerOptions): Tracer {
  return new Tracer({ ...options, service: new DebugService(options) });
}
