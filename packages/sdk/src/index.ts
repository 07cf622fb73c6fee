// Public surface of @chatdebug/sdk. Everything not exported here is internal.

export {
  ChatDebugError,
  ERROR_CODES,
  InvalidArgumentError,
  RunNotFoundError,
  RunFinalizedError,
  StepInsertUnexpectedError,
  StepNumberExhaustedError,
  NotFoundError,
  AbortedError,
  TimeoutError,
} from './errors/chat-debug-error.js';
export type { ErrorCode } from './errors/chat-debug-error.js';

export { systemClock } from './clock/clock.js';
export type { Clock, TimerHandle } from './clock/clock.js';
export { consoleLogger, silentLogger, describeError } from './logger/logger.js';
export type { Logger, LogAttributes } from './logger/logger.js';

export { STATUSES, TERMINAL_STATUSES, statusPriority, isTerminalStatus, isStatus, worseOutcome } from './model/status.js';
export type { Status } from './model/status.js';
export { RUN_KINDS, RUN_KIND_PATTERN, isRunKind } from './model/run-kind.js';
export type { RunKind, BuiltinRunKind } from './model/run-kind.js';
export { OPERATIONS, isOperation } from './model/operation.js';
export type { Operation } from './model/operation.js';
export { NIL_UUID, isUuid, newId } from './model/ids.js';
export { JSON_NULL, isJsonNull, isJsonObject } from './model/json.js';
export type { JsonValue, JsonObject, JsonNull, JsonPatch } from './model/json.js';
export type { RunRecord, StepRecord, RunWithSteps } from './model/records.js';
export { ATTEMPT_STATUSES } from './model/attempt.js';
export type { Attempt, AttemptStatus } from './model/attempt.js';
export { USAGE_KEYS } from './model/usage.js';
export type { Usage } from './model/usage.js';
export {
  EVENT_KINDS,
  CHANNEL_PREFIX,
  BROADCAST_CHANNEL,
  eventChannel,
  debugEvent,
  encodeEvent,
  decodeEvent,
} from './model/events.js';
export type { EventKind, DebugEvent, DebugEventPayload } from './model/events.js';

export type {
  Exporter,
  RunUpdate,
  StepUpdate,
  StepInsertResult,
  StepTouch,
  RunTouch,
  FinalizeStaleResult,
} from './exporter/exporter.js';
export type { SettingsStore } from './exporter/settings-store.js';
export type { EventBus, EventHandler, Unsubscribe, SubscriptionTarget } from './events/event-bus.js';
export { InProcessEventBus } from './events/in-process-event-bus.js';
export type { InProcessEventBusOptions } from './events/in-process-event-bus.js';

export { sanitizeJson, sanitizeJsonObject, sanitizeText } from './payload/sanitize.js';
export type { SanitizeOptions } from './payload/sanitize.js';

export {
  DebugService,
  DEFAULT_STALE_AFTER_MILLIS,
  DEFAULT_FINALIZE_TIMEOUT_MILLIS,
  DEFAULT_RETENTION_DAYS,
  MAX_CREATE_STEP_ATTEMPTS,
} from './service/debug-service.js';
export type {
  DebugServiceOptions,
  CreateRunParams,
  UpdateRunParams,
  CreateStepParams,
  UpdateStepParams,
  FinalizeRunParams,
  PurgeOptions,
  PurgeResult,
} from './service/debug-service.js';
export {
  truncateLabel,
  seedSummary,
  extractFirstUserText,
  aggregateRunSummary,
  MAX_LABEL_LENGTH,
  DERIVED_SUMMARY_KEYS,
} from './service/summary.js';
export type { PromptMessage } from './service/summary.js';
export { classifyError, classifyCallError, isAbortError, isTimeoutError, normalizeError } from './service/classify-error.js';
export type { NormalizedError } from './service/classify-error.js';
export { StepCounter } from './service/step-counter.js';

export { boundText, countRunes, cutToUtf8Bytes, resolvePayloadBounds, DEFAULT_MAX_TEXT_RUNES, DEFAULT_MAX_BODY_BYTES } from './payload/bounds.js';
export type { PayloadBounds, ResolvedPayloadBounds, BoundedText } from './payload/bounds.js';

export { ExportPipeline } from './export/export-pipeline.js';
export type { ExportOperation, ExportPipelineOptions, PipelineStats, FlushResult } from './export/export-pipeline.js';
export { isTransientError } from './export/transient-error.js';
export type { RetryOptions } from './export/retry.js';

export { Tracer, createTracer } from './tracer/tracer.js';
export type { TracerOptions, CreateTracerOptions, TraceCallOptions, TraceStreamOptions, TracerStats } from './tracer/tracer.js';
export type { TracerCounters } from './tracer/tracer-core.js';
export type {
  RunSpan,
  StepSpan,
  AttemptSink,
  StartRunOptions,
  StartStepOptions,
  RunSpanUpdate,
  StepSpanUpdate,
  EndRunOptions,
  EndStepOptions,
} from './tracer/spans.js';
export { NoopRunSpan, NoopStepSpan, NOOP_RUN } from './tracer/noop-spans.js';
export { activeRun, activeStep, withRun, withStep } from './tracer/context.js';
export type { TraceContext } from './tracer/context.js';
export { StreamAccumulator } from './tracer/stream-accumulator.js';
export { recordStream, observeStreamPart } from './tracer/record-stream.js';
export type { RecordStreamOptions, StreamObserver } from './tracer/record-stream.js';
export { HeartbeatScheduler } from './tracer/heartbeat-scheduler.js';
export type {
  SpanListener,
  RunStartEvent,
  RunUpdateEvent,
  RunEndEvent,
  StepStartEvent,
  StepUpdateEvent,
  StepEndEvent,
} from './tracer/span-listener.js';

// ---------------------------------------------------------------------------------------------
// Redaction (src/redaction/, shared by the tracer and the instrumentation) and instrumentation
// (src/instrumentation/): recording fetch, normalizers, wrappers.
// ---------------------------------------------------------------------------------------------
export { REDACTED, TRUNCATED } from './redaction/markers.js';
export { redactHeaders, isSensitiveHeader, SENSITIVE_HEADER_NAMES, SENSITIVE_HEADER_FRAGMENTS } from './redaction/redact-headers.js';
export type { HeadersLike } from './redaction/redact-headers.js';
export {
  redactJson,
  redactJsonText,
  redactJsonValue,
  redactNdjson,
  isSensitiveJsonKey,
  SENSITIVE_JSON_KEYS,
  SENSITIVE_JSON_KEY_FRAGMENTS,
} from './redaction/redact-json.js';
export type { JsonRedactionFailure } from './redaction/redact-json.js';
export {
  redactUrl,
  redactQueryString,
  sanitizeErrorMessage,
  maskKnownKeys,
  isSensitiveQueryParam,
  SENSITIVE_QUERY_PARAMS,
  SENSITIVE_QUERY_FRAGMENTS,
} from './redaction/redact-url.js';
export { createRecordingFetch, isRecordingFetch } from './instrumentation/fetch/recording-fetch.js';
export type { FetchFunction, RecordingFetch, RecordingFetchOptions, RecordingFetchStats } from './instrumentation/fetch/recording-fetch.js';
export { classifyRetry, retryDelayMillis, RETRY_CLASSIFICATIONS } from './instrumentation/fetch/retry-classification.js';
export type { RetryClassification, RetryInfo } from './instrumentation/fetch/retry-classification.js';
export type {
  NormalizedPart,
  NormalizedMessage,
  NormalizedTool,
  NormalizedOptions,
  NormalizedRequest,
  NormalizedResponse,
  NormalizeOptions,
} from './instrumentation/normalize/normalized.js';
export { normalizeUsage } from './instrumentation/normalize/usage.js';
export { normalizeFinishReason, FINISH_REASONS } from './instrumentation/normalize/finish-reason.js';
export { normalizeProviderError } from './instrumentation/normalize/provider-error.js';
export {
  normalizeChatCompletionRequest,
  normalizeChatCompletionResponse,
  createChatCompletionChunkObserver,
} from './instrumentation/normalize/openai-chat.js';
export { normalizeResponsesRequest, normalizeResponsesResponse, createResponsesEventObserver } from './instrumentation/normalize/openai-responses.js';
export { normalizeAnthropicRequest, normalizeAnthropicResponse, createAnthropicEventObserver } from './instrumentation/normalize/anthropic-messages.js';
export { WHEN_NO_RUN_MODES } from './instrumentation/run-scope.js';
export type { WhenNoRun, InstrumentationOptions } from './instrumentation/run-scope.js';
export { instrumentOpenAI } from './instrumentation/openai/instrument-openai.js';
export type { InstrumentOpenAIOptions } from './instrumentation/openai/instrument-openai.js';
export { traceModelCall, wrapModelFunction, MODEL_CALL_SHAPES } from './instrumentation/model-call/trace-model-call.js';
export type { ModelCallOptions, ModelCallShape } from './instrumentation/model-call/trace-model-call.js';
