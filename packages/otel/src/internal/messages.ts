import type { Attributes } from '@opentelemetry/api';
import type { JsonObject, JsonValue } from '@chatdebug/sdk';
import { boundText, isJsonObject } from '@chatdebug/sdk';
import { compact, field, stringField } from './values.js';

// Message shapes, three ways:
// - chatdebug's normalized messages (§6.5): { role, parts: [{ type, text?, text_length?, tool_call_id?,
//   tool_name?, arguments?, result?, filename?, media_type? }] }
// - GenAI semconv `gen_ai.input.messages` / `gen_ai.output.messages`: { role, parts: [{ type: 'text',
//   content } | { type: 'tool_call', id, name, arguments } | { type: 'tool_call_response', id, response }
//   | { type: 'reasoning', content } ...], finish_reason? }
// - the AI SDK's `ai.prompt.messages` (LanguageModelV3Prompt): { role, content: string | [{ type:
//   'text', text } | { type: 'tool-call', toolCallId, toolName, input } | { type: 'tool-result', ... }] }
// - OpenLLMetry's indexed attributes: `gen_ai.prompt.0.role`, `gen_ai.prompt.0.content`, ...

/** A text part bounded to `maxRunes`, with the original length when cut (as chatdebug stores it). */
export function textPart(type: string, text: string, maxRunes: number): JsonObject {
  const bounded = boundText(text, maxRunes);
  return bounded.truncated ? { type, text: bounded.text, text_length: bounded.length } : { type, text: bounded.text };
}

function stringify(value: JsonValue | undefined): string | undefined {
  if (value === undefined) return undefined;
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** chatdebug normalized messages → semconv messages. Unknown parts pass through unchanged. */
export function toSemconvMessages(messages: JsonValue | undefined): JsonValue[] | undefined {
  if (!Array.isArray(messages)) return undefined;
  return messages.map((message) => {
    if (!isJsonObject(message)) return message;
    const parts = Array.isArray(message.parts) ? message.parts.map(toSemconvPart) : undefined;
    if (parts) return compact({ role: message.role, parts });
    const content = message.content;
    return compact({ role: message.role, parts: typeof content === 'string' ? [{ type: 'text', content }] : undefined });
  });
}

function toSemconvPart(part: JsonValue): JsonValue {
  if (!isJsonObject(part)) return part;
  switch (part.type) {
    case 'text':
    case 'reasoning':
      return compact({ type: part.type, content: part.text });
    case 'tool_call':
    case 'tool-call':
      return compact({ type: 'tool_call', id: part.tool_call_id, name: part.tool_name, arguments: part.arguments });
    case 'tool_result':
    case 'tool-result':
      return compact({ type: 'tool_call_response', id: part.tool_call_id, response: part.result ?? part.text });
    case 'file':
      return compact({ type: 'blob', mime_type: part.media_type, name: part.filename });
    default:
      return part;
  }
}

/** A chatdebug response (`{ content, finish_reason }`) → semconv output messages. */
export function toSemconvOutput(response: JsonValue | undefined, finishReason: string | undefined): JsonValue[] | undefined {
  const content = field(response, 'content');
  if (!Array.isArray(content)) return undefined;
  return [compact({ role: 'assistant', parts: content.map(toSemconvPart), finish_reason: finishReason })];
}

/** Semconv messages (or legacy `gen_ai.prompt` arrays of `{ role, content }`) → chatdebug normalized messages. */
export function fromSemconvMessages(messages: JsonValue | undefined, maxRunes: number): JsonObject[] | undefined {
  if (!Array.isArray(messages)) return undefined;
  const out: JsonObject[] = [];
  for (const message of messages) {
    if (!isJsonObject(message)) continue;
    const role = typeof message.role === 'string' ? message.role : 'user';
    const parts: JsonObject[] = [];
    if (Array.isArray(message.parts)) {
      for (const part of message.parts) {
        const converted = fromSemconvPart(part, maxRunes);
        if (converted) parts.push(converted);
      }
    } else if (typeof message.content === 'string') {
      parts.push(textPart('text', message.content, maxRunes));
    }
    out.push({ role, parts });
  }
  return out;
}

function fromSemconvPart(part: JsonValue, maxRunes: number): JsonObject | undefined {
  if (!isJsonObject(part)) return undefined;
  switch (part.type) {
    case 'text':
    case 'reasoning':
      return textPart(part.type, stringify(part.content) ?? '', maxRunes);
    case 'tool_call':
      return compact({
        type: 'tool_call',
        tool_call_id: part.id,
        tool_name: part.name,
        arguments: bound(stringify(part.arguments), maxRunes),
      });
    case 'tool_call_response':
      return compact({ type: 'tool_result', tool_call_id: part.id, result: bound(stringify(part.response), maxRunes) });
    default:
      return compact({ type: typeof part.type === 'string' ? part.type : 'unknown', media_type: part.mime_type });
  }
}

/** More messages than any real prompt has; bounds the scan of indexed attributes. */
const MAX_INDEXED_MESSAGES = 1000;

/**
 * OpenLLMetry's indexed messages (`{prefix}.{i}.role`, `{prefix}.{i}.content`, from 0 until one is
 * missing) → chatdebug normalized messages with one text part each.
 */
export function fromIndexedMessages(attributes: Attributes, prefix: string, maxRunes: number): JsonObject[] | undefined {
  const out: JsonObject[] = [];
  for (let index = 0; index < MAX_INDEXED_MESSAGES; index++) {
    const role = attributes[`${prefix}.${index}.role`];
    const content = attributes[`${prefix}.${index}.content`];
    if (role === undefined && content === undefined) break;
    const parts = typeof content === 'string' && content !== '' ? [textPart('text', content, maxRunes)] : [];
    out.push({ role: typeof role === 'string' ? role : 'user', parts });
  }
  return out.length > 0 ? out : undefined;
}

/** The AI SDK's prompt (`ai.prompt.messages`) → chatdebug normalized messages. File data is never kept. */
export function fromAiSdkPrompt(prompt: JsonValue | undefined, maxRunes: number): JsonObject[] | undefined {
  if (!Array.isArray(prompt)) return undefined;
  const out: JsonObject[] = [];
  for (const message of prompt) {
    if (!isJsonObject(message)) continue;
    const role = typeof message.role === 'string' ? message.role : 'user';
    const parts: JsonObject[] = [];
    if (typeof message.content === 'string') parts.push(textPart('text', message.content, maxRunes));
    else if (Array.isArray(message.content)) {
      for (const part of message.content) {
        const converted = fromAiSdkPart(part, maxRunes);
        if (converted) parts.push(converted);
      }
    }
    out.push({ role, parts });
  }
  return out;
}

function fromAiSdkPart(part: JsonValue, maxRunes: number): JsonObject | undefined {
  if (!isJsonObject(part)) return undefined;
  switch (part.type) {
    case 'text':
    case 'reasoning':
      return textPart(part.type, typeof part.text === 'string' ? part.text : '', maxRunes);
    case 'tool-call':
      return compact({
        type: 'tool_call',
        tool_call_id: part.toolCallId,
        tool_name: part.toolName,
        arguments: bound(stringify(part.input), maxRunes),
      });
    case 'tool-result': {
      const output = field(part.output, 'value') ?? part.output;
      return compact({ type: 'tool_result', tool_call_id: part.toolCallId, tool_name: part.toolName, result: bound(stringify(output), maxRunes) });
    }
    case 'file':
    case 'image':
      return compact({ type: 'file', filename: stringField(part, 'filename'), media_type: stringField(part, 'mediaType') });
    default:
      return { type: typeof part.type === 'string' ? part.type : 'unknown' };
  }
}

/** AI SDK tool calls (`ai.response.toolCalls`) → chatdebug `tool_call` parts. */
export function fromAiSdkToolCalls(toolCalls: JsonValue | undefined, maxRunes: number): JsonObject[] {
  if (!Array.isArray(toolCalls)) return [];
  const parts: JsonObject[] = [];
  for (const call of toolCalls) {
    if (!isJsonObject(call)) continue;
    parts.push(
      compact({
        type: 'tool_call',
        tool_call_id: call.toolCallId,
        tool_name: call.toolName,
        arguments: bound(stringify(call.input ?? call.args), maxRunes),
      }),
    );
  }
  return parts;
}

/** AI SDK tool definitions (`ai.prompt.tools`, one JSON string each) → chatdebug `tools` entries. */
export function fromAiSdkTools(tools: readonly string[] | undefined, parse: (text: string) => JsonValue | undefined): JsonObject[] | undefined {
  if (!tools) return undefined;
  const out: JsonObject[] = [];
  for (const text of tools) {
    const tool = parse(text);
    if (!isJsonObject(tool)) continue;
    out.push(
      compact({
        type: tool.type,
        name: tool.name,
        description: tool.description,
        id: tool.id,
        has_input_schema: tool.inputSchema !== undefined ? true : undefined,
      }),
    );
  }
  return out;
}

function bound(text: string | undefined, maxRunes: number): string | undefined {
  return text === undefined ? undefined : boundText(text, maxRunes).text;
}
