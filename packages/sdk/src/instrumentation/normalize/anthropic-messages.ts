import type { Usage } from '../../model/usage.js';
import type { StreamObserver } from '../../tracer/record-stream.js';
import type { StreamAccumulator } from '../../tracer/stream-accumulator.js';
import { normalizeFinishReason } from './finish-reason.js';
import type { NormalizeOptions, NormalizedMessage, NormalizedPart, NormalizedRequest, NormalizedResponse, NormalizedTool } from './normalized.js';
import { ContentCollector, PartBuilder, arr, assembleRequest, contentText, options, rec, str } from './normalized.js';
import { normalizeUsage } from './usage.js';

const KNOWN_ANTHROPIC_KEYS = new Set(['model', 'messages', 'system', 'tools', 'tool_choice', 'max_tokens', 'temperature', 'top_p', 'top_k', 'stream']);

/**
 * Normalizes an Anthropic Messages API request (`POST /v1/messages`, `client.messages.create`
 * params) into the §6.5 request shape: `system` becomes a system message, content blocks become
 * parts (images and documents by media type only, `tool_use` as tool calls with JSON arguments,
 * `tool_result` as text results, thinking as reasoning).
 */
export function normalizeAnthropicRequest(request: unknown, normalizeOptions: NormalizeOptions = {}): NormalizedRequest {
  const builder = new PartBuilder(normalizeOptions);
  const body = rec(request) ?? {};
  const messages: NormalizedMessage[] = [];
  if (typeof body.system === 'string') {
    if (body.system !== '') messages.push({ role: 'system', parts: [builder.text('text', body.system)] });
  } else if (Array.isArray(body.system)) {
    messages.push({ role: 'system', parts: blocks(body.system, builder) });
  }
  for (const raw of arr(body.messages)) {
    const message = rec(raw) ?? {};
    const content = message.content;
    const parts = typeof content === 'string' ? (content === '' ? [] : [builder.text('text', content)]) : blocks(arr(content), builder);
    messages.push({ role: str(message.role) ?? 'user', parts });
  }
  const tools: NormalizedTool[] = [];
  for (const raw of arr(body.tools)) {
    const tool = rec(raw);
    if (!tool) continue;
    tools.push(builder.tool(str(tool.type) ?? 'function', str(tool.name) ?? '', tool.description, tool.input_schema));
  }
  return assembleRequest({
    messages,
    tools,
    options: options({
      max_output_tokens: body.max_tokens,
      temperature: body.temperature,
      top_p: body.top_p,
      top_k: body.top_k,
      presence_penalty: undefined,
      frequency_penalty: undefined,
    }),
    body,
    toolChoice: body.tool_choice,
    knownKeys: KNOWN_ANTHROPIC_KEYS,
  });
}

function blocks(list: unknown[], builder: PartBuilder): NormalizedPart[] {
  const parts: NormalizedPart[] = [];
  for (const raw of list) {
    const block = rec(raw);
    if (!block) continue;
    const part = block_(block, builder);
    if (part) parts.push(part);
  }
  return parts;
}

function block_(block: Record<string, unknown>, builder: PartBuilder): NormalizedPart | undefined {
  switch (block.type) {
    case 'text':
      return builder.text('text', str(block.text) ?? '');
    case 'thinking':
      return builder.text('reasoning', str(block.thinking) ?? '');
    case 'redacted_thinking':
      return { type: 'reasoning', text: '[redacted thinking]' };
    case 'image':
    case 'document': {
      const source = rec(block.source);
      const media = str(source?.media_type) ?? (block.type === 'image' ? 'image/*' : source?.type === 'text' ? 'text/plain' : undefined);
      return builder.file(media, str(block.title));
    }
    case 'tool_use':
    case 'server_tool_use':
      return builder.toolCall(str(block.id) ?? '', str(block.name) ?? '', JSON.stringify(block.input ?? {}), block.type === 'server_tool_use' ? { provider_executed: true } : {});
    case 'tool_result':
      return builder.toolResult(str(block.tool_use_id), undefined, contentText(block.content), block.is_error === true);
    default:
      return { type: builder.label(String(block.type ?? 'unknown')) };
  }
}

/** Normalizes an Anthropic `Message` response into the §6.5 response shape. */
export function normalizeAnthropicResponse(response: unknown, normalizeOptions: NormalizeOptions = {}): NormalizedResponse {
  const builder = new PartBuilder(normalizeOptions);
  const body = rec(response) ?? {};
  const content = new ContentCollector();
  for (const raw of arr(body.content)) {
    const block = rec(raw);
    if (!block) continue;
    if (block.type === 'text') content.text('text', str(block.text) ?? '');
    else if (block.type === 'thinking') content.text('reasoning', str(block.thinking) ?? '');
    else {
      const part = block_(block, builder);
      if (part?.type === 'tool-call') part.input_length ??= [...(part.arguments ?? '')].length;
      if (part) content.push(part);
    }
  }
  const raw = str(body.stop_reason) ?? '';
  const normalized: NormalizedResponse = { content: content.parts(builder), finish_reason: normalizeFinishReason(raw), warnings: [] };
  if (raw !== '' && raw !== normalized.finish_reason) normalized.raw_finish_reason = raw;
  const usage = normalizeUsage(body.usage);
  if (usage) normalized.usage = usage;
  return normalized;
}

/**
 * A stream observer for Anthropic Messages SSE events (`message_start`, `content_block_start`,
 * `content_block_delta`, `message_delta`, `message_stop`, `error`), raw or as parsed by
 * `@anthropic-ai/sdk`: text and thinking deltas merge, `input_json_delta`s accumulate per
 * tool-use id (deltas name the block index), and the stop reason plus usage (input from
 * `message_start`, output from `message_delta`) are captured. Make one observer per stream.
 */
export function createAnthropicEventObserver(): StreamObserver<unknown> {
  const tools = new Map<number, { id: string; name: string }>();
  let startUsage: Record<string, unknown> = {};
  let stopReason = '';
  let usage: Usage | undefined;
  return (event: unknown, accumulator: StreamAccumulator): void => {
    const e = rec(event);
    if (!e) return;
    const index = typeof e.index === 'number' ? e.index : -1;
    switch (e.type) {
      case 'message_start':
        startUsage = rec(rec(e.message)?.usage) ?? {};
        usage = normalizeUsage(startUsage);
        if (usage) accumulator.usage(usage);
        return;
      case 'content_block_start': {
        const block = rec(e.content_block) ?? {};
        if (block.type === 'tool_use' || block.type === 'server_tool_use') {
          const call = { id: str(block.id) ?? `index:${index}`, name: str(block.name) ?? '' };
          tools.set(index, call);
          accumulator.toolInput(call.id, call.name, '');
        } else if (block.type === 'text' && str(block.text)) {
          accumulator.text(block.text as string);
        }
        return;
      }
      case 'content_block_delta': {
        const delta = rec(e.delta) ?? {};
        if (delta.type === 'text_delta' && str(delta.text)) accumulator.text(delta.text as string);
        else if (delta.type === 'thinking_delta' && str(delta.thinking)) accumulator.reasoning(delta.thinking as string);
        else if (delta.type === 'input_json_delta') {
          const call = tools.get(index) ?? { id: `index:${index}`, name: '' };
          accumulator.toolInput(call.id, call.name || undefined, str(delta.partial_json) ?? '');
        } else if (delta.type === 'citations_delta') accumulator.source();
        return;
      }
      case 'message_delta': {
        const delta = rec(e.delta) ?? {};
        stopReason = str(delta.stop_reason) ?? stopReason;
        // message_delta carries cumulative output tokens; input comes from message_start.
        usage = normalizeUsage({ ...startUsage, ...(rec(e.usage) ?? {}) });
        if (usage) accumulator.usage(usage);
        if (stopReason !== '') accumulator.finish(normalizeFinishReason(stopReason), usage);
        return;
      }
      case 'message_stop':
        if (!accumulator.finished) accumulator.finish(normalizeFinishReason(stopReason) || 'stop', usage);
        return;
      case 'error': {
        const error = rec(e.error) ?? {};
        accumulator.error(str(error.message) ?? str(error.type) ?? 'stream error event');
        return;
      }
    }
  };
}
