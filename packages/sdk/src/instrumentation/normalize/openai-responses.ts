import type { StreamObserver } from '../../tracer/record-stream.js';
import type { StreamAccumulator } from '../../tracer/stream-accumulator.js';
import { normalizeFinishReason } from './finish-reason.js';
import type { NormalizeOptions, NormalizedMessage, NormalizedPart, NormalizedRequest, NormalizedResponse, NormalizedTool } from './normalized.js';
import { ContentCollector, PartBuilder, arr, assembleRequest, contentText, dataUrlMediaType, options, rec, str } from './normalized.js';
import { normalizeUsage } from './usage.js';

const KNOWN_RESPONSES_KEYS = new Set(['model', 'input', 'instructions', 'tools', 'tool_choice', 'max_output_tokens', 'temperature', 'top_p', 'stream', 'stream_options']);

/**
 * Normalizes an OpenAI Responses API request (`client.responses.create` params) into the §6.5
 * request shape: `instructions` become a system message, `input` items become messages
 * (function calls and their outputs as tool-call / tool-result parts, reasoning items as
 * reasoning), built-in tools are kept by type.
 */
export function normalizeResponsesRequest(request: unknown, normalizeOptions: NormalizeOptions = {}): NormalizedRequest {
  const builder = new PartBuilder(normalizeOptions);
  const body = rec(request) ?? {};
  const messages: NormalizedMessage[] = [];
  const instructions = str(body.instructions);
  if (instructions) messages.push({ role: 'system', parts: [builder.text('text', instructions)] });
  if (typeof body.input === 'string') messages.push({ role: 'user', parts: [builder.text('text', body.input)] });
  else for (const item of arr(body.input)) messages.push(inputItem(item, builder));
  const tools: NormalizedTool[] = [];
  for (const raw of arr(body.tools)) {
    const tool = rec(raw);
    if (!tool) continue;
    const type = str(tool.type) ?? 'function';
    const name = str(tool.name) ?? str(tool.server_label) ?? type;
    tools.push(builder.tool(type, name, tool.description, type === 'function' ? tool.parameters : rec(tool.format)));
  }
  return assembleRequest({
    messages,
    tools,
    options: options({
      max_output_tokens: body.max_output_tokens,
      temperature: body.temperature,
      top_p: body.top_p,
      top_k: undefined,
      presence_penalty: undefined,
      frequency_penalty: undefined,
    }),
    body,
    toolChoice: body.tool_choice,
    knownKeys: KNOWN_RESPONSES_KEYS,
  });
}

function inputItem(raw: unknown, builder: PartBuilder): NormalizedMessage {
  const item = rec(raw) ?? {};
  const type = str(item.type) ?? (item.role !== undefined ? 'message' : 'unknown');
  switch (type) {
    case 'message':
      return { role: str(item.role) ?? 'user', parts: messageContent(item.content, builder) };
    case 'function_call':
    case 'custom_tool_call':
      return {
        role: 'assistant',
        parts: [builder.toolCall(str(item.call_id) ?? str(item.id) ?? '', str(item.name) ?? '', str(item.arguments) ?? str(item.input) ?? '')],
      };
    case 'function_call_output':
    case 'custom_tool_call_output':
      return { role: 'tool', parts: [builder.toolResult(str(item.call_id), undefined, contentText(item.output))] };
    case 'reasoning':
      return { role: 'assistant', parts: [builder.text('reasoning', reasoningText(item))] };
    default:
      return { role: str(item.role) ?? 'assistant', parts: [{ type: builder.label(type) }] };
  }
}

function messageContent(content: unknown, builder: PartBuilder): NormalizedPart[] {
  if (typeof content === 'string') return content === '' ? [] : [builder.text('text', content)];
  const parts: NormalizedPart[] = [];
  for (const raw of arr(content)) {
    const part = rec(raw);
    if (!part) continue;
    switch (part.type) {
      case 'input_text':
      case 'output_text':
      case 'text':
        parts.push(builder.text('text', str(part.text) ?? ''));
        break;
      case 'refusal':
        parts.push(builder.text('text', str(part.refusal) ?? ''));
        break;
      case 'input_image':
        parts.push(builder.file(dataUrlMediaType(part.image_url) ?? 'image/*', undefined));
        break;
      case 'input_file':
        parts.push(builder.file(dataUrlMediaType(part.file_data), str(part.filename) ?? str(part.file_id)));
        break;
      case 'input_audio': {
        const audio = rec(part.input_audio);
        parts.push(builder.file(`audio/${str(audio?.format) ?? '*'}`, undefined));
        break;
      }
      default:
        parts.push({ type: builder.label(String(part.type ?? 'unknown')) });
    }
  }
  return parts;
}

function reasoningText(item: Record<string, unknown>): string {
  const pieces = [...arr(item.summary), ...arr(item.content)].map((entry) => str(rec(entry)?.text)).filter((text): text is string => text !== undefined);
  return pieces.join('\n');
}

/** Normalizes a Responses API `Response` object into the §6.5 response shape. */
export function normalizeResponsesResponse(response: unknown, normalizeOptions: NormalizeOptions = {}): NormalizedResponse {
  const builder = new PartBuilder(normalizeOptions);
  const body = rec(response) ?? {};
  const content = new ContentCollector();
  for (const raw of arr(body.output)) {
    const item = rec(raw);
    if (!item) continue;
    switch (item.type) {
      case 'message':
        for (const rawPart of arr(item.content)) {
          const part = rec(rawPart);
          if (part?.type === 'output_text') content.text('text', str(part.text) ?? '');
          else if (part?.type === 'refusal') content.text('text', str(part.refusal) ?? '');
        }
        break;
      case 'reasoning':
        content.text('reasoning', reasoningText(item));
        break;
      case 'function_call':
      case 'custom_tool_call': {
        const call = builder.toolCall(str(item.call_id) ?? str(item.id) ?? '', str(item.name) ?? '', str(item.arguments) ?? str(item.input) ?? '');
        call.input_length ??= [...(call.arguments ?? '')].length;
        content.push(call);
        break;
      }
      default:
        content.push({ type: 'tool-call', tool_call_id: str(item.id) ?? '', tool_name: builder.label(String(item.type ?? 'unknown')), provider_executed: true });
    }
  }
  const raw = responseFinishReason(body, content.hasToolCall);
  const normalized: NormalizedResponse = { content: content.parts(builder), finish_reason: normalizeFinishReason(raw), warnings: [] };
  if (raw !== '' && raw !== normalized.finish_reason) normalized.raw_finish_reason = raw;
  const usage = normalizeUsage(body.usage);
  if (usage) normalized.usage = usage;
  return normalized;
}

/** The provider finish reason of a Responses API response: its status, or why it is incomplete. */
function responseFinishReason(body: Record<string, unknown>, hasToolCall: boolean): string {
  const status = str(body.status) ?? '';
  if (status === 'completed') return hasToolCall ? 'tool_calls' : 'stop';
  if (status === 'incomplete') return str(rec(body.incomplete_details)?.reason) ?? 'incomplete';
  return status;
}

/**
 * A stream observer for Responses API events (`responses.create({ stream: true })`): text and
 * reasoning deltas merge, function-call arguments accumulate per call id (events name the item
 * id; the call id comes from `response.output_item.added`), citations count as sources, and
 * `response.completed` / `response.incomplete` capture finish reason and usage;
 * `response.failed` and `error` events count as errors. Make one observer per stream.
 */
export function createResponsesEventObserver(): StreamObserver<unknown> {
  const callIds = new Map<string, { id: string; name: string }>();
  const callOf = (itemId: string | undefined): { id: string; name: string } => callIds.get(itemId ?? '') ?? { id: itemId ?? '', name: '' };
  return (event: unknown, accumulator: StreamAccumulator): void => {
    const e = rec(event);
    if (!e) return;
    switch (e.type) {
      case 'response.output_text.delta':
      case 'response.refusal.delta':
        if (str(e.delta)) accumulator.text(e.delta as string);
        return;
      case 'response.reasoning_summary_text.delta':
      case 'response.reasoning_text.delta':
        if (str(e.delta)) accumulator.reasoning(e.delta as string);
        return;
      case 'response.output_item.added': {
        const item = rec(e.item);
        if (item && (item.type === 'function_call' || item.type === 'custom_tool_call')) {
          const call = { id: str(item.call_id) ?? str(item.id) ?? '', name: str(item.name) ?? '' };
          if (str(item.id)) callIds.set(item.id as string, call);
          accumulator.toolInput(call.id, call.name, '');
        }
        return;
      }
      case 'response.function_call_arguments.delta':
      case 'response.custom_tool_call_input.delta': {
        const call = callOf(str(e.item_id));
        accumulator.toolInput(call.id, call.name || undefined, str(e.delta) ?? '');
        return;
      }
      case 'response.output_item.done': {
        const item = rec(e.item);
        if (item && (item.type === 'function_call' || item.type === 'custom_tool_call')) {
          accumulator.toolCall(str(item.call_id) ?? str(item.id) ?? '', str(item.name) ?? '', str(item.arguments) ?? str(item.input) ?? '');
        }
        return;
      }
      case 'response.output_text.annotation.added':
        accumulator.source();
        return;
      case 'response.completed':
      case 'response.incomplete': {
        const response = rec(e.response) ?? {};
        const hasToolCall = arr(response.output).some((item) => rec(item)?.type === 'function_call' || rec(item)?.type === 'custom_tool_call');
        accumulator.finish(normalizeFinishReason(responseFinishReason(response, hasToolCall)), normalizeUsage(response.usage));
        return;
      }
      case 'response.failed': {
        const response = rec(e.response) ?? {};
        const error = rec(response.error);
        accumulator.error(str(error?.message) ?? 'response failed');
        const usage = normalizeUsage(response.usage);
        if (usage) accumulator.usage(usage);
        return;
      }
      case 'error':
        accumulator.error(str(e.message) ?? str(rec(e.error)?.message) ?? 'stream error event');
        return;
    }
  };
}
