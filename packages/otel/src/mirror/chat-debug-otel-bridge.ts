import type { Attributes, Span as OtelSpan, Tracer as OtelTracer, TracerProvider } from '@opentelemetry/api';
import { SpanKind, SpanStatusCode, context, trace } from '@opentelemetry/api';
import type {
  JsonValue,
  RunEndEvent,
  RunSpan,
  RunStartEvent,
  RunUpdateEvent,
  SpanListener,
  Status,
  StepEndEvent,
  StepSpan,
  StepStartEvent,
  StepUpdateEvent,
} from '@chatdebug/sdk';
import { InvalidArgumentError, isJsonObject } from '@chatdebug/sdk';
import { ATTR, MIRROR_OPERATION_NAME, OTHER_ERROR_TYPE } from '../attributes.js';
import { toSemconvMessages, toSemconvOutput } from '../internal/messages.js';
import { bounded, field, numberField, stringField } from '../internal/values.js';
import { VERSION } from '../version.js';

/** Default bound of content attributes (`gen_ai.input.messages`, ...): 4096 code points. */
export const DEFAULT_MAX_ATTRIBUTE_LENGTH = 4096;

/** Default instrumentation scope name of the mirrored spans. */
export const DEFAULT_MIRROR_TRACER_NAME = '@chatdebug/otel';

/** Options of {@link ChatDebugOtelBridge}. */
export interface OtelMirrorOptions {
  /**
   * Where spans go. @defaultValue the global provider (`trace.getTracerProvider()`); a provider
   * registered after the bridge was made is picked up, as OTel's proxy tracer does.
   */
  tracerProvider?: TracerProvider;
  /** Instrumentation scope name. @defaultValue '@chatdebug/otel' */
  tracerName?: string;
  /**
   * Copy prompts and responses into `gen_ai.input.messages` / `gen_ai.output.messages` (and the run
   * label into `chatdebug.label`). Off by default: span backends are often shared more widely
   * than the chatdebug tables. @defaultValue false
   */
  captureContent?: boolean;
  /**
   * Longest content attribute, in Unicode code points; longer JSON is cut and ends with `…`
   * (so it is no longer valid JSON). Only used with `captureContent`. @defaultValue 4096
   */
  maxAttributeLength?: number;
}

/** An error as the span shows it. */
interface SpanError {
  readonly message: string | undefined;
  readonly type: string | undefined;
}

interface MirroredRun {
  readonly span: OtelSpan;
  provider: string | undefined;
  model: string | undefined;
  /** The last failed step's error: a run that ends in error reports it first. */
  lastError: SpanError | undefined;
  ended: boolean;
}

interface MirroredStep {
  readonly span: OtelSpan;
  readonly run: MirroredRun | undefined;
  readonly requestModel: string | undefined;
  responseModel: string | undefined;
  finishReason: string | undefined;
  response: JsonValue | undefined;
  ended: boolean;
}

/**
 * Mirrors chatdebug runs and steps as OpenTelemetry spans with the GenAI semantic conventions.
 * Register it as a `SpanListener` of a `Tracer`:
 *
 * - every run becomes a span named after its kind (`chat_turn`), a child of whatever OTel span is
 *   active when the run starts;
 * - every step becomes a `CLIENT` child span of its run's span, named `chat {model}`;
 * - while a run or step is active (`withRun`, `withStep`, `traceCall`, `traceStream`), its span is
 *   OTel's active span too, so spans made inside (an HTTP client span, a manual span) nest under it;
 * - each span ends once, at the time chatdebug recorded, with status `ERROR` for `error` and
 *   `UNSET` otherwise (`chatdebug.status` tells completed from interrupted).
 *
 * Works with any registered context manager; without one, parentage still holds because the
 * step's parent context is passed explicitly, and chatdebug's own context is unaffected.
 *
 * @example
 * ```ts
 * const tracer = createTracer({ exporter, listeners: [createOtelMirror()] });
 * ```
 */
export class ChatDebugOtelBridge implements SpanListener {
  readonly captureContent: boolean;
  readonly maxAttributeLength: number;
  readonly #tracer: OtelTracer;
  readonly #runs = new WeakMap<RunSpan, MirroredRun>();
  readonly #steps = new WeakMap<StepSpan, MirroredStep>();

  constructor(options: OtelMirrorOptions = {}) {
    const maxAttributeLength = options.maxAttributeLength ?? DEFAULT_MAX_ATTRIBUTE_LENGTH;
    if (!Number.isSafeInteger(maxAttributeLength) || maxAttributeLength < 1) {
      throw new InvalidArgumentError('maxAttributeLength', 'expected a positive integer');
    }
    this.captureContent = options.captureContent ?? false;
    this.maxAttributeLength = maxAttributeLength;
    const name = options.tracerName ?? DEFAULT_MIRROR_TRACER_NAME;
    this.#tracer = options.tracerProvider ? options.tracerProvider.getTracer(name, VERSION) : trace.getTracer(name, VERSION);
  }

  /** The OTel span mirroring a run or step, while the bridge knows it (for tests and advanced use). */
  otelSpanOf(span: RunSpan | StepSpan): OtelSpan | undefined {
    return (this.#runs.get(span as RunSpan) ?? this.#steps.get(span as StepSpan))?.span;
  }

  onRunStart(run: RunSpan, event: RunStartEvent): void {
    const attributes: Attributes = {
      [ATTR.runId]: run.id,
      [ATTR.chatId]: event.chatId,
      [ATTR.conversationId]: event.chatId,
      [ATTR.runKind]: event.kind,
    };
    if (event.rootChatId) attributes[ATTR.rootChatId] = event.rootChatId;
    if (event.parentChatId) attributes[ATTR.parentChatId] = event.parentChatId;
    setProvider(attributes, event.provider);
    if (event.model) attributes[ATTR.requestModel] = event.model;
    const label = stringField(event.summary, 'first_message');
    if (this.captureContent && label) attributes[ATTR.label] = bounded(label, this.maxAttributeLength);
    const span = this.#tracer.startSpan(event.kind, { kind: SpanKind.INTERNAL, startTime: event.startTime, attributes }, context.active());
    this.#runs.set(run, { span, provider: event.provider, model: event.model, lastError: undefined, ended: false });
  }

  onRunUpdate(run: RunSpan, event: RunUpdateEvent): void {
    const state = this.#runs.get(run);
    if (!state || state.ended) return;
    const attributes: Attributes = {};
    if (event.provider) {
      state.provider = event.provider;
      setProvider(attributes, event.provider);
    }
    if (event.model) {
      state.model = event.model;
      attributes[ATTR.requestModel] = event.model;
    }
    const label = stringField(event.summary, 'first_message');
    if (this.captureContent && label) attributes[ATTR.label] = bounded(label, this.maxAttributeLength);
    state.span.setAttributes(attributes);
  }

  onRunEnd(run: RunSpan, event: RunEndEvent): void {
    const state = this.#runs.get(run);
    if (!state || state.ended) return;
    state.ended = true;
    const failure = state.lastError ?? spanError(event.error);
    // The exception event belongs on the step that failed, or on the caller's own span.
    endWithStatus(state.span, event.status, failure.message ?? `run ended with status ${event.status}`, failure.type, false);
    state.span.end(event.endTime);
  }

  onStepStart(step: StepSpan, event: StepStartEvent): void {
    const run = this.#runs.get(step.run);
    const request = event.request;
    const requestModel = stringField(request, 'model') ?? run?.model;
    const attributes: Attributes = {
      [ATTR.operationName]: MIRROR_OPERATION_NAME,
      [ATTR.operation]: event.operation,
      [ATTR.requestStream]: event.operation === 'stream',
      [ATTR.stepId]: step.id,
      [ATTR.runId]: step.runId,
      [ATTR.chatId]: step.chatId,
      [ATTR.conversationId]: step.chatId,
      [ATTR.stepNumber]: event.stepNumber,
    };
    setProvider(attributes, run?.provider);
    if (requestModel) attributes[ATTR.requestModel] = requestModel;
    const options = field(request, 'options');
    setNumber(attributes, ATTR.requestMaxTokens, numberField(options, 'max_output_tokens') ?? numberField(options, 'max_tokens'));
    setNumber(attributes, ATTR.requestTemperature, numberField(options, 'temperature'));
    setNumber(attributes, ATTR.requestTopP, numberField(options, 'top_p'));
    setNumber(attributes, ATTR.requestTopK, numberField(options, 'top_k'));
    setNumber(attributes, ATTR.requestPresencePenalty, numberField(options, 'presence_penalty'));
    setNumber(attributes, ATTR.requestFrequencyPenalty, numberField(options, 'frequency_penalty'));
    if (this.captureContent && request !== undefined) {
      const messages = toSemconvMessages(field(request, 'messages'));
      attributes[ATTR.inputMessages] = this.#json(messages ?? request);
    }
    const name = requestModel ? `${MIRROR_OPERATION_NAME} ${requestModel}` : MIRROR_OPERATION_NAME;
    const parent = run ? trace.setSpan(context.active(), run.span) : context.active();
    const span = this.#tracer.startSpan(name, { kind: SpanKind.CLIENT, startTime: event.startTime, attributes }, parent);
    this.#steps.set(step, {
      span,
      run,
      requestModel,
      responseModel: undefined,
      finishReason: undefined,
      response: undefined,
      ended: false,
    });
  }

  onStepUpdate(step: StepSpan, event: StepUpdateEvent): void {
    const state = this.#steps.get(step);
    if (!state || state.ended) return;
    this.#apply(state, event);
  }

  /**
   * Ends the step's span once. A later end with a higher-priority status (chatdebug allows it) is
   * ignored here: an OTel span cannot be reopened.
   */
  onStepEnd(step: StepSpan, event: StepEndEvent): void {
    const state = this.#steps.get(step);
    if (!state || state.ended) return;
    state.ended = true;
    const span = state.span;
    this.#apply(state, event);
    const model = state.responseModel ?? state.requestModel;
    if (model) span.setAttribute(ATTR.responseModel, model);
    if (this.captureContent && state.response !== undefined) {
      const output = toSemconvOutput(state.response, state.finishReason);
      if (output) span.setAttribute(ATTR.outputMessages, this.#json(output));
    }
    // The stored number may differ from the requested one after a collision.
    span.setAttribute(ATTR.stepNumber, step.stepNumber);
    const failure = spanError(event.error);
    if (event.status === 'error' && state.run && failure.message !== undefined) state.run.lastError = failure;
    endWithStatus(span, event.status, failure.message ?? `step ended with status ${event.status}`, failure.type, true);
    span.end(event.endTime);
  }

  /** Makes the run's or step's OTel span the active one while `fn` runs. */
  wrapActive<T>(span: RunSpan | StepSpan, fn: () => T): T {
    const mirrored = this.otelSpanOf(span);
    return mirrored ? context.with(trace.setSpan(context.active(), mirrored), fn) : fn();
  }

  #apply(state: MirroredStep, event: StepUpdateEvent): void {
    const attributes: Attributes = {};
    const response = event.response;
    if (response !== undefined) {
      state.response = response;
      const finishReason = stringField(response, 'finish_reason');
      if (finishReason) state.finishReason = finishReason;
      const model = stringField(response, 'model');
      if (model) state.responseModel = model;
      const id = stringField(response, 'id');
      if (id) attributes[ATTR.responseId] = id;
    }
    const streamFinish = stringField(field(event.metadata, 'stream_summary'), 'finish_reason');
    if (!state.finishReason && streamFinish) state.finishReason = streamFinish;
    if (state.finishReason) attributes[ATTR.responseFinishReasons] = [state.finishReason];
    const usage = event.usage ?? field(response, 'usage');
    if (isJsonObject(usage)) {
      setNumber(attributes, ATTR.usageInputTokens, numberField(usage, 'input_tokens'));
      setNumber(attributes, ATTR.usageOutputTokens, numberField(usage, 'output_tokens'));
      setNumber(attributes, ATTR.usageReasoningTokens, numberField(usage, 'reasoning_tokens'));
      setNumber(attributes, ATTR.usageCacheReadTokens, numberField(usage, 'cache_read_tokens'));
      setNumber(attributes, ATTR.usageCacheCreationTokens, numberField(usage, 'cache_creation_tokens'));
      setNumber(attributes, ATTR.totalTokens, numberField(usage, 'total_tokens'));
    }
    state.span.setAttributes(attributes);
  }

  #json(value: unknown): string {
    return bounded(JSON.stringify(value) ?? 'null', this.maxAttributeLength);
  }
}

/**
 * Makes a {@link ChatDebugOtelBridge}: pass it in a tracer's `listeners` (or `tracer.addListener`).
 *
 * @example
 * ```ts
 * const tracer = createTracer({ exporter, listeners: [createOtelMirror({ tracerProvider })] });
 * ```
 */
export function createOtelMirror(options: OtelMirrorOptions = {}): ChatDebugOtelBridge {
  return new ChatDebugOtelBridge(options);
}

function setProvider(attributes: Attributes, provider: string | undefined): void {
  if (!provider) return;
  attributes[ATTR.providerName] = provider;
  attributes[ATTR.system] = provider;
}

function setNumber(attributes: Attributes, key: string, value: number | undefined): void {
  if (value !== undefined) attributes[key] = value;
}

/** The message and type of a normalized error (`{ message, type }`). */
function spanError(error: JsonValue | null | undefined): SpanError {
  const value = error ?? undefined;
  return { message: stringField(value, 'message'), type: stringField(value, 'type') };
}

/**
 * Status mapping: error → `ERROR` with the message and `error.type` (`_OTHER` when the type is
 * unknown, as semconv asks), plus an exception event for a step whose error type is known;
 * completed and interrupted → `UNSET`, as OTel asks of instrumentation libraries (a user's
 * cancellation is not a failure). `chatdebug.status` always carries the exact status.
 */
function endWithStatus(span: OtelSpan, status: Status, message: string, errorType: string | undefined, exception: boolean): void {
  span.setAttribute(ATTR.status, status);
  if (status !== 'error') return;
  span.setAttribute(ATTR.errorType, errorType || OTHER_ERROR_TYPE);
  if (exception && errorType) span.recordException({ name: errorType, message });
  span.setStatus({ code: SpanStatusCode.ERROR, message });
}
