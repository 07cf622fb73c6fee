import type { StreamObserver } from '../../tracer/record-stream.js';
import type { StreamAccumulator } from '../../tracer/stream-accumulator.js';
import { normalizeFinishReason } from './finish-reason.js';
import type { NormalizeOptions, NormalizedMessage, NormalizedPart, NormalizedRequest, NormalizedResponse, NormalizedTool } from './normalized.js';
import {
  ContentCollector,
  PartBuilder,
  arr,
  assembleRequest,
  contentText,
  dataUrlMediaType,
  options,
  rec,
  str,
} from './normalized.js';
import { normalizeUsage } from './usage.js';

const KNOWN_CHAT_KEYS = new Set([
  'model',
  'messages',
  'tools',
  'functions',
  'tool_choice',
  'function_call',
  'max_tokens',
  'max_completion_tokens',
  'temperature',
  'top_p',
  'presence_penalty',
  'frequency_penalty',
  'stream',
  'stream_options',
]);

/**
 * Normalizes an OpenAI chat-completions request (`client.chat.completions.create` params, or
 * any OpenAI-compatible API) into the §6.5 request shape. Never throws on odd input: unknown
 * parts are kept by type only.
 */
export function normalizeChatCompletionRequest(request: unknown, normalizeOptions: NormalizeOptions = {}): NormalizedRequest {
  const builder = new PartBuilder(normalizeOptions);
  const body = rec(request) ?? {};
  const messages: NormalizedMessage[] = arr(body.messages).map((item) => chatMessage(item, builder));
  const tools: NormalizedTool[] = [];
  for (const item of arr(body.tools)) {
    const tool = rec(item);
    if (!tool) continue;
    const type = str(tool.type) ?? 'function';
    const fn = rec(tool.function) ?? rec(tool.custom) ?? tool;
    tools.push(builder.tool(type, str(fn.name) ?? '', fn.description, fn.parameters ?? rec(fn.format)));
  }
  for (const item of arr(body.functions)) {
    const fn = rec(item);
    if (fn) tools.push(builder.tool('function', str(fn.name) ?? '', fn.description, fn.parameters));
  }
  return assembleRequest({
    messages,
    tools,
    options: options({
      max_output_tokens: body.max_completion_tokens ?? body.max_tokens,
      temperature: body.temperature,
      top_p: body.top_p,
      top_k: undefined,
      presence_penalty: body.presence_penalty,
      frequency_penalty: body.frequency_penalty,
    }),
    body,
    toolChoice: body.tool_choice ?? body.function_call,
    knownKeys: KNOWN_CHAT_KEYS,
  });
}

function chatMessage(item: unknown, builder: PartBuilder): NormalizedMessage {
  const message = rec(item) ?? {};
  const role = str(message.role) ?? 'user';
  const parts: NormalizedPart[] = [];
  if (role === 'tool' || role === 'function') {
    parts.push(builder.toolResult(str(message.tool_call_id), str(message.name), contentText(message.content)));
    return { role: 'tool', parts };
  }
  const content = message.content;
  if (typeof content === 'string') {
    if (content !== '') parts.push(builder.text('text', content));
  } else {
    for (const raw of arr(content)) {
      const part = rec(raw);
      if (!part) continue;
      switch (part.type) {
        case 'text':
          parts.push(builder.text('text', str(part.text) ?? ''));
          break;
        case 'refusal':
          parts.push(builder.text('text', str(part.refusal) ?? ''));
          break;
        case 'image_url': {
          const image = rec(part.image_url);
          parts.push(builder.file(dataUrlMediaType(image?.url) ?? 'image/*', undefined));
          break;
        }
        case 'input_audio': {
          const audio = rec(part.input_audio);
          parts.push(builder.file(`audio/${str(audio?.format) ?? '*'}`, undefined));
          break;
        }
        case 'file': {
          const file = rec(part.file);
          parts.push(builder.file(dataUrlMediaType(file?.file_data), str(file?.filename) ?? str(file?.file_id)));
          break;
        }
        default:
          parts.push({ type: builder.label(String(part.type ?? 'unknown')) });
      }
    }
  }
  const reasoning = str(message.reasoning_content) ?? str(message.reasoning);
  if (reasoning) parts.unshift(builder.text('reasoning', reasoning));
  const refusal = str(message.refusal);
  if (refusal) parts.push(builder.text('text', refusal));
  for (const raw of arr(message.tool_calls)) {
    const call = rec(raw);
    if (!call) continue;
    const fn = rec(call.function) ?? rec(call.custom) ?? {};
    parts.push(builder.toolCall(str(call.id) ?? '', str(fn.name) ?? '', str(fn.arguments) ?? str(fn.input) ?? ''));
  }
  const legacy = rec(message.function_call);
  if (legacy) parts.push(builder.toolCall('', str(legacy.name) ?? '', str(legacy.arguments) ?? ''));
  return { role, parts };
}

/** Normalizes a `ChatCompletion` (the first choice) into the §6.5 response shape. */
export function normalizeChatCompletionResponse(response: unknown, normalizeOptions: NormalizeOptions = {}): NormalizedResponse {
  const builder = new PartBuilder(normalizeOptions);
  const body = rec(response) ?? {};
  const choices = arr(body.choices).map(rec);
  const choice = choices.find((c) => c?.index === 0) ?? choices[0];
  const message = rec(choice?.message) ?? {};
  const content = new ContentCollector();
  const reasoning = str(message.reasoning_content) ?? str(message.reasoning);
  if (reasoning) content.text('reasoning', reasoning);
  if (typeof message.content === 'string') content.text('text', message.content);
  else content.text('text', contentText(message.content));
  const refusal = str(message.refusal);
  if (refusal) content.text('text', refusal);
  for (const raw of arr(message.tool_calls)) {
    const call = rec(raw);
    if (!call) continue;
    const fn = rec(call.function) ?? rec(call.custom) ?? {};
    content.push(withInputLength(builder.toolCall(str(call.id) ?? '', str(fn.name) ?? '', str(fn.arguments) ?? str(fn.input) ?? '')));
  }
  const legacy = rec(message.function_call);
  if (legacy) content.push(withInputLength(builder.toolCall('', str(legacy.name) ?? '', str(legacy.arguments) ?? '')));
  const raw = str(choice?.finish_reason) ?? '';
  const normalized: NormalizedResponse = { content: content.parts(builder), finish_reason: normalizeFinishReason(raw), warnings: [] };
  if (raw !== '' && raw !== normalized.finish_reason) normalized.raw_finish_reason = raw;
  const usage = normalizeUsage(body.usage);
  if (usage) normalized.usage = usage;
  return normalized;
}

/** Response tool calls always carry `input_length`, as the stream accumulator's do. */
function withInputLength(part: NormalizedPart): NormalizedPart {
  if (part.input_length === undefined) part.input_length = [...(part.arguments ?? '')].length;
  return part;
}

/**
 * A stream observer for `ChatCompletionChunk`s (the parts of `chat.completions.create({ stream:
 * true })`): content and reasoning deltas are merged, tool-call argument deltas accumulate per
 * tool-call id (chunks after the first identify a call only by its `index`), the finish reason
 * is captured from the first choice, and usage from the final chunk sent with
 * `stream_options: { include_usage: true }`. Make one observer per stream.
 */
export function createChatCompletionChunkObserver(): StreamObserver<unknown> {
  const ids = new Map<number, string>();
  return (chunk: unknown, accumulator: StreamAccumulator): void => {
    const body = rec(chunk);
    if (!body) return;
    const usage = normalizeUsage(body.usage);
    if (usage) accumulator.usage(usage);
    const choices = arr(body.choices).map(rec);
    const choice = choices.find((c) => c?.index === 0) ?? choices[0];
    if (!choice) return;
    const delta = rec(choice.delta) ?? {};
    const reasoning = str(delta.reasoning_content) ?? str(delta.reasoning);
    if (reasoning) accumulator.reasoning(reasoning);
    const text = str(delta.content);
    if (text) accumulator.text(text);
    const refusal = str(delta.refusal);
    if (refusal) accumulator.text(refusal);
    for (const raw of arr(delta.tool_calls)) {
      const call = rec(raw);
      if (!call) continue;
      const index = typeof call.index === 'number' ? call.index : 0;
      const given = str(call.id);
      if (given && !ids.has(index)) ids.set(index, given);
      const id = ids.get(index) ?? `index:${index}`;
      if (!ids.has(index)) ids.set(index, id);
      const fn = rec(call.function) ?? {};
      accumulator.toolInput(id, str(fn.name), str(fn.arguments) ?? '');
    }
    const legacy = rec(delta.function_call);
    if (legacy) accumulator.toolInput('function_call', str(legacy.name), str(legacy.arguments) ?? '');
    const finish = str(choice.finish_reason);
    if (finish) accumulator.finish(normalizeFinishReason(finish), usage);
  };
}
