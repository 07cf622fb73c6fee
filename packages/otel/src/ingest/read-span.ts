import type { Attributes } from '@opentelemetry/api';
import { SpanStatusCode } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import type { JsonObject, JsonValue, Operation, Status, Usage } from '@chatdebug/sdk';
import { classifyCallError, isJsonObject, truncateLabel } from '@chatdebug/sdk';
import { AI_SDK_MODEL_CALL_SPANS, ATTR, LLM_REQUEST_TYPES, MODEL_CALL_OPERATIONS } from '../attributes.js';
import { fromAiSdkPrompt, fromAiSdkToolCalls, fromAiSdkTools, fromIndexedMessages, fromSemconvMessages, textPart } from '../internal/messages.js';
import { compact, hrTimeToDate, numberAttribute, parseJson, stringAttribute, stringsAttribute } from '../internal/values.js';

/** The span fields the processor reads; a started SDK span and an ended one both have them. */
export type SpanView = Pick<ReadableSpan, 'name' | 'attributes' | 'startTime' | 'endTime' | 'status' | 'events' | 'spanContext' | 'instrumentationScope'>;

/** How much of a span's content is copied into steps. */
export interface ReadOptions {
  captureContent: boolean;
  maxTextRunes: number;
}

function aiOperationId(span: SpanView): string {
  const id = span.attributes[ATTR.aiOperationId];
  return typeof id === 'string' ? id : span.name;
}

function isAiSdkModelCall(span: SpanView): boolean {
  return AI_SDK_MODEL_CALL_SPANS.includes(aiOperationId(span));
}

/**
 * True for a span that wraps one model call: an AI SDK `do*` span, a GenAI model operation, or an
 * OpenLLMetry-style span (`gen_ai.system` with `llm.request.type` chat / completion).
 */
export function isModelCallSpan(span: SpanView): boolean {
  if (isAiSdkModelCall(span)) return true;
  const attributes = span.attributes;
  const operation = attributes[ATTR.operationName];
  if (operation !== undefined) return typeof operation === 'string' && MODEL_CALL_OPERATIONS.includes(operation);
  const requestType = attributes[ATTR.llmRequestType];
  return typeof requestType === 'string' && LLM_REQUEST_TYPES.includes(requestType) && stringAttribute(attributes, ATTR.system) !== undefined;
}

/**
 * `stream` for AI SDK `doStream` spans, `gen_ai.operation.name = stream`,
 * `gen_ai.request.stream = true` or `llm.is_streaming = true`.
 */
export function stepOperation(span: SpanView): Operation {
  const attributes = span.attributes;
  if (aiOperationId(span).endsWith('.doStream')) return 'stream';
  if (attributes[ATTR.operationName] === 'stream' || attributes[ATTR.requestStream] === true || attributes[ATTR.llmIsStreaming] === true) return 'stream';
  return 'generate';
}

/** The provider of the model call (`gen_ai.provider.name`, `gen_ai.system`, `ai.model.provider`). */
export function readProvider(attributes: Attributes): string | undefined {
  return stringAttribute(attributes, ATTR.providerName, ATTR.system, ATTR.aiModelProvider);
}

/** The requested model (`gen_ai.request.model`, `ai.model.id`). */
export function readModel(attributes: Attributes): string | undefined {
  return stringAttribute(attributes, ATTR.requestModel, ATTR.aiModelId);
}

/** The normalized request (§6.5) of a model-call span: messages (with content capture), tools, options. */
export function readRequest(span: SpanView, options: ReadOptions): JsonObject {
  const attributes = span.attributes;
  const request: JsonObject = {};
  if (options.captureContent) {
    const messages =
      fromAiSdkPrompt(parseJson(attributes[ATTR.aiPromptMessages]), options.maxTextRunes) ??
      fromSemconvMessages(parseJson(attributes[ATTR.inputMessages]), options.maxTextRunes) ??
      fromSemconvMessages(parseJson(attributes[ATTR.legacyPrompt]), options.maxTextRunes) ??
      fromIndexedMessages(attributes, ATTR.legacyPrompt, options.maxTextRunes);
    if (messages) request.messages = messages;
  }
  const tools = fromAiSdkTools(stringsAttribute(attributes[ATTR.aiPromptTools]), parseJson);
  if (tools && tools.length > 0) request.tools = tools;
  const toolChoice = parseJson(attributes[ATTR.aiPromptToolChoice]);
  if (toolChoice !== undefined) request.tool_choice = toolChoice;
  const settings = compact({
    max_output_tokens: numberAttribute(attributes, ATTR.requestMaxTokens),
    temperature: numberAttribute(attributes, ATTR.requestTemperature),
    top_p: numberAttribute(attributes, ATTR.requestTopP),
    top_k: numberAttribute(attributes, ATTR.requestTopK),
    presence_penalty: numberAttribute(attributes, ATTR.requestPresencePenalty),
    frequency_penalty: numberAttribute(attributes, ATTR.requestFrequencyPenalty),
  });
  if (Object.keys(settings).length > 0) request.options = settings;
  if (isAiSdkModelCall(span) && aiOperationId(span).includes('Object')) request.structured_output = true;
  return request;
}

/** The first user text of a request, as a run label. */
export function requestLabel(request: JsonObject): string {
  const messages = Array.isArray(request.messages) ? request.messages : [];
  const first = messages.find((message) => isJsonObject(message) && message.role === 'user');
  if (!isJsonObject(first) || !Array.isArray(first.parts)) return '';
  const text = first.parts.map((part) => (isJsonObject(part) && part.type === 'text' && typeof part.text === 'string' ? part.text : '')).join('');
  return truncateLabel(text);
}

/** Token usage in chatdebug's snake_case shape, from GenAI or AI SDK attributes. */
export function readUsage(attributes: Attributes): Usage | undefined {
  const input = numberAttribute(attributes, ATTR.usageInputTokens, ATTR.aiUsageInputTokens, ATTR.aiUsagePromptTokens, ATTR.usagePromptTokens);
  const output = numberAttribute(attributes, ATTR.usageOutputTokens, ATTR.aiUsageOutputTokens, ATTR.aiUsageCompletionTokens, ATTR.usageCompletionTokens);
  const usage: Usage = {};
  if (input !== undefined) usage.input_tokens = input;
  if (output !== undefined) usage.output_tokens = output;
  const total = numberAttribute(attributes, ATTR.aiUsageTotalTokens, ATTR.totalTokens, ATTR.llmUsageTotalTokens) ?? (input !== undefined && output !== undefined ? input + output : undefined);
  if (total !== undefined) usage.total_tokens = total;
  const reasoning = numberAttribute(attributes, ATTR.usageReasoningTokens, ATTR.aiUsageReasoningTokens);
  if (reasoning !== undefined) usage.reasoning_tokens = reasoning;
  const cacheRead = numberAttribute(attributes, ATTR.usageCacheReadTokens, ATTR.aiUsageCacheReadTokens, ATTR.aiUsageCachedInputTokens);
  if (cacheRead !== undefined) usage.cache_read_tokens = cacheRead;
  const cacheCreation = numberAttribute(attributes, ATTR.usageCacheCreationTokens, ATTR.aiUsageCacheWriteTokens);
  if (cacheCreation !== undefined) usage.cache_creation_tokens = cacheCreation;
  return Object.keys(usage).length > 0 ? usage : undefined;
}

/** The finish reason (`gen_ai.response.finish_reasons[0]`, `ai.response.finishReason`, `gen_ai.completion.0.finish_reason`). */
export function readFinishReason(attributes: Attributes): string | undefined {
  return (
    stringsAttribute(attributes[ATTR.responseFinishReasons])?.[0] ??
    stringAttribute(attributes, ATTR.aiResponseFinishReason, `${ATTR.legacyCompletion}.0.finish_reason`)
  );
}

/** What a finished model-call span says about its step. */
export interface StepOutcome {
  status: Status;
  response: JsonObject;
  usage: Usage | undefined;
  error: JsonObject | undefined;
  metadata: JsonObject;
  finishedAt: Date;
  responseModel: string | undefined;
}

/**
 * Reads an ended model-call span: status (span `ERROR` or an exception event → error, or
 * interrupted for an abort or timeout; finish reason `error` → error; an AI SDK stream that ended
 * without a finish reason → interrupted; else completed), response, usage, error and metadata.
 */
export function readOutcome(span: SpanView, options: ReadOptions): StepOutcome {
  const attributes = span.attributes;
  const usage = readUsage(attributes);
  const finishReason = readFinishReason(attributes);
  const responseModel = stringAttribute(attributes, ATTR.responseModel, ATTR.aiResponseModel);
  const failure = readFailure(span);
  let status: Status = 'completed';
  let error: JsonObject | undefined;
  if (failure) {
    status = failure.status;
    error = failure.error;
  } else if (finishReason === 'error') {
    status = 'error';
    error = { message: 'the model reported an error (finish reason "error")', type: 'FinishReasonError' };
  } else if (finishReason === undefined && isAiSdkModelCall(span) && stepOperation(span) === 'stream') {
    status = 'interrupted';
  }
  const response: JsonObject = { content: options.captureContent ? readContent(span, options.maxTextRunes) : [] };
  if (finishReason !== undefined) response.finish_reason = finishReason;
  if (usage) response.usage = { ...usage };
  response.warnings = [];
  const object = attributes[ATTR.aiResponseObject];
  if (typeof object === 'string') response.raw_text_length = object.length;
  const context = span.spanContext();
  const metadata = compact({
    otel: compact({
      trace_id: context.traceId,
      span_id: context.spanId,
      span_name: span.name,
      scope: span.instrumentationScope?.name,
    }),
    provider: readProvider(attributes),
    model: readModel(attributes),
    response_model: responseModel,
    response_id: stringAttribute(attributes, ATTR.responseId, ATTR.aiResponseId),
    ms_to_first_chunk: numberAttribute(attributes, ATTR.aiResponseMsToFirstChunk),
    structured_output: typeof object === 'string' || aiOperationId(span).includes('Object') ? true : undefined,
  });
  return { status, response, usage, error, metadata, finishedAt: hrTimeToDate(span.endTime), responseModel };
}

function readContent(span: SpanView, maxRunes: number): JsonValue[] {
  const attributes = span.attributes;
  const content: JsonValue[] = [];
  const reasoning = stringAttribute(attributes, ATTR.aiResponseReasoning);
  if (reasoning) content.push(textPart('reasoning', reasoning, maxRunes));
  const text = stringAttribute(attributes, ATTR.aiResponseText);
  if (text) content.push(textPart('text', text, maxRunes));
  content.push(...fromAiSdkToolCalls(parseJson(attributes[ATTR.aiResponseToolCalls]), maxRunes));
  if (content.length > 0) return content;
  const output = fromSemconvMessages(parseJson(attributes[ATTR.outputMessages]), maxRunes);
  if (output) return output.flatMap((message) => (Array.isArray(message.parts) ? message.parts : []));
  const completion = stringAttribute(attributes, ATTR.legacyCompletion);
  if (completion) content.push(textPart('text', completion, maxRunes));
  if (content.length > 0) return content;
  const indexed = fromIndexedMessages(attributes, ATTR.legacyCompletion, maxRunes);
  return indexed ? indexed.flatMap((message) => message.parts as JsonValue[]) : content;
}

/** An error read from a span: its `ERROR` status and the first `exception` event. */
export function readFailure(span: SpanView): { status: Status; error: JsonObject } | undefined {
  const exception = span.events.find((event) => event.name === 'exception');
  const isError = span.status.code === SpanStatusCode.ERROR;
  if (!isError && !exception) return undefined;
  const exceptionType = exception?.attributes?.['exception.type'];
  const exceptionMessage = exception?.attributes?.['exception.message'];
  const type = typeof exceptionType === 'string' && exceptionType !== '' ? exceptionType : 'Error';
  const message = span.status.message || (typeof exceptionMessage === 'string' ? exceptionMessage : '') || 'span ended with an error';
  return { status: classifyCallError({ name: type }), error: { message, type } };
}

/** A run's final status from its root span: an error (or an abort, interrupted) or completed. */
export function readRunStatus(span: SpanView): Status {
  return readFailure(span)?.status ?? 'completed';
}
