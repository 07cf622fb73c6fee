/**
 * Attribute names used in both directions: the OpenTelemetry GenAI semantic conventions
 * (semconv 1.37+, as published in `@opentelemetry/semantic-conventions` incubating), the Vercel
 * AI SDK's `ai.*` telemetry, and chatdebug's own `chatdebug.*` namespace.
 */
export const ATTR = {
  // chatdebug's own namespace
  runId: 'chatdebug.run_id',
  stepId: 'chatdebug.step_id',
  chatId: 'chatdebug.chat_id',
  rootChatId: 'chatdebug.root_chat_id',
  parentChatId: 'chatdebug.parent_chat_id',
  stepNumber: 'chatdebug.step_number',
  runKind: 'chatdebug.run_kind',
  operation: 'chatdebug.operation',
  status: 'chatdebug.status',
  label: 'chatdebug.label',
  totalTokens: 'chatdebug.usage.total_tokens',

  // OpenTelemetry GenAI semantic conventions
  operationName: 'gen_ai.operation.name',
  providerName: 'gen_ai.provider.name',
  system: 'gen_ai.system',
  conversationId: 'gen_ai.conversation.id',
  requestModel: 'gen_ai.request.model',
  requestMaxTokens: 'gen_ai.request.max_tokens',
  requestTemperature: 'gen_ai.request.temperature',
  requestTopP: 'gen_ai.request.top_p',
  requestTopK: 'gen_ai.request.top_k',
  requestPresencePenalty: 'gen_ai.request.presence_penalty',
  requestFrequencyPenalty: 'gen_ai.request.frequency_penalty',
  requestStream: 'gen_ai.request.stream',
  responseModel: 'gen_ai.response.model',
  responseId: 'gen_ai.response.id',
  responseFinishReasons: 'gen_ai.response.finish_reasons',
  usageInputTokens: 'gen_ai.usage.input_tokens',
  usageOutputTokens: 'gen_ai.usage.output_tokens',
  usagePromptTokens: 'gen_ai.usage.prompt_tokens',
  usageCompletionTokens: 'gen_ai.usage.completion_tokens',
  usageReasoningTokens: 'gen_ai.usage.reasoning.output_tokens',
  usageCacheReadTokens: 'gen_ai.usage.cache_read.input_tokens',
  usageCacheCreationTokens: 'gen_ai.usage.cache_creation.input_tokens',
  inputMessages: 'gen_ai.input.messages',
  outputMessages: 'gen_ai.output.messages',
  legacyPrompt: 'gen_ai.prompt',
  legacyCompletion: 'gen_ai.completion',
  errorType: 'error.type',

  // OpenLLMetry (Traceloop) before `gen_ai.operation.name`: prompts and completions are indexed,
  // `gen_ai.prompt.{i}.role` / `.content`, `gen_ai.completion.{i}.role` / `.content` / `.finish_reason`
  llmRequestType: 'llm.request.type',
  llmIsStreaming: 'llm.is_streaming',
  llmUsageTotalTokens: 'llm.usage.total_tokens',

  // Vercel AI SDK telemetry (ai 5.x / 6.x)
  aiOperationId: 'ai.operationId',
  aiModelId: 'ai.model.id',
  aiModelProvider: 'ai.model.provider',
  aiPromptMessages: 'ai.prompt.messages',
  aiPromptTools: 'ai.prompt.tools',
  aiPromptToolChoice: 'ai.prompt.toolChoice',
  aiResponseText: 'ai.response.text',
  aiResponseReasoning: 'ai.response.reasoning',
  aiResponseToolCalls: 'ai.response.toolCalls',
  aiResponseObject: 'ai.response.object',
  aiResponseFinishReason: 'ai.response.finishReason',
  aiResponseModel: 'ai.response.model',
  aiResponseId: 'ai.response.id',
  aiResponseMsToFirstChunk: 'ai.response.msToFirstChunk',
  aiUsageInputTokens: 'ai.usage.inputTokens',
  aiUsageOutputTokens: 'ai.usage.outputTokens',
  aiUsagePromptTokens: 'ai.usage.promptTokens',
  aiUsageCompletionTokens: 'ai.usage.completionTokens',
  aiUsageTotalTokens: 'ai.usage.totalTokens',
  aiUsageReasoningTokens: 'ai.usage.reasoningTokens',
  aiUsageCachedInputTokens: 'ai.usage.cachedInputTokens',
  aiUsageCacheReadTokens: 'ai.usage.inputTokenDetails.cacheReadTokens',
  aiUsageCacheWriteTokens: 'ai.usage.inputTokenDetails.cacheWriteTokens',
  aiChatIdMetadata: 'ai.telemetry.metadata.chatId',
} as const;

/**
 * Where the span processor looks for a chat id, in order: chatdebug's own attribute, the AI SDK's
 * `experimental_telemetry.metadata.chatId`, then the GenAI conversation id.
 */
export const DEFAULT_CHAT_ID_ATTRIBUTES: readonly string[] = [ATTR.chatId, ATTR.aiChatIdMetadata, ATTR.conversationId];

/**
 * `gen_ai.operation.name` values that make a span a model call (a chatdebug step). `generate` and
 * `stream` are chatdebug's own operation names, accepted for spans written by hand.
 */
export const MODEL_CALL_OPERATIONS: readonly string[] = ['chat', 'generate_content', 'text_completion', 'generate', 'stream'];

/**
 * `llm.request.type` values that make a span carrying `gen_ai.system` a model call, for
 * OpenLLMetry-style spans without `gen_ai.operation.name`.
 */
export const LLM_REQUEST_TYPES: readonly string[] = ['chat', 'completion'];

/** The `error.type` OTel semconv asks for when the error has no known type. */
export const OTHER_ERROR_TYPE = '_OTHER';

/** The Vercel AI SDK spans that wrap one provider call, each a chatdebug step. */
export const AI_SDK_MODEL_CALL_SPANS: readonly string[] = [
  'ai.generateText.doGenerate',
  'ai.streamText.doStream',
  'ai.generateObject.doGenerate',
  'ai.streamObject.doStream',
];

/** The GenAI operation name the mirror writes on step spans. */
export const MIRROR_OPERATION_NAME = 'chat';
