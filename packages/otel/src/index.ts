// Public surface of @chatdebug/otel. Everything not exported here is internal.

export { ChatDebugOtelBridge, createOtelMirror, DEFAULT_MAX_ATTRIBUTE_LENGTH, DEFAULT_MIRROR_TRACER_NAME } from './mirror/chat-debug-otel-bridge.js';
export type { OtelMirrorOptions } from './mirror/chat-debug-otel-bridge.js';
export { ChatDebugSpanProcessor } from './ingest/chat-debug-span-processor.js';
export type { ChatDebugSpanProcessorOptions, SpanProcessorStats } from './ingest/chat-debug-span-processor.js';
export { ATTR, AI_SDK_MODEL_CALL_SPANS, DEFAULT_CHAT_ID_ATTRIBUTES, LLM_REQUEST_TYPES, MIRROR_OPERATION_NAME, MODEL_CALL_OPERATIONS } from './attributes.js';
export { VERSION } from './version.js';
