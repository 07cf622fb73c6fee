import type { JsonObject, JsonValue } from '../../model/json.js';
import type { Usage } from '../../model/usage.js';
import type { PayloadBounds } from '../../payload/bounds.js';
import { boundText, resolvePayloadBounds } from '../../payload/bounds.js';
import { sanitizeJson } from '../../payload/sanitize.js';
import { REDACTED } from '../../redaction/markers.js';
import { isSensitiveJsonKey, redactJsonValue } from '../../redaction/redact-json.js';

/**
 * One part of a normalized message (§6.5). `type` is `text`, `reasoning`, `file`, `tool-call`,
 * `tool-result`, or a provider item type kept by name only. Text is bounded; file data is never
 * stored, only its filename and media type.
 */
export interface NormalizedPart {
  type: string;
  text?: string;
  /** Original length in code points, present when `text` (or `result`) was cut. */
  text_length?: number;
  filename?: string;
  media_type?: string;
  tool_call_id?: string;
  tool_name?: string;
  arguments?: string;
  /** Original length of `arguments` in code points, present when they were cut. */
  input_length?: number;
  result?: string;
  is_error?: boolean;
  provider_executed?: boolean;
}

/** A normalized prompt message. */
export interface NormalizedMessage {
  role: string;
  parts: NormalizedPart[];
}

/** A normalized tool definition. */
export interface NormalizedTool {
  type: string;
  name: string;
  description?: string;
  has_input_schema?: boolean;
  input_schema?: JsonValue;
}

/** Generation options; unset ones are omitted. */
export interface NormalizedOptions {
  max_output_tokens?: number;
  temperature?: number;
  top_p?: number;
  top_k?: number;
  presence_penalty?: number;
  frequency_penalty?: number;
}

/** What a step stores as `normalized_request`. */
export interface NormalizedRequest {
  model?: string;
  messages: NormalizedMessage[];
  tools: NormalizedTool[];
  options: NormalizedOptions;
  tool_choice?: JsonValue;
  /** How many provider-specific options the request set (their values are not stored). */
  provider_option_count?: number;
}

/** What a step stores as `normalized_response`. */
export interface NormalizedResponse {
  content: NormalizedPart[];
  finish_reason: string;
  /** The provider's own finish reason, when it differs from the normalized one. */
  raw_finish_reason?: string;
  usage?: Usage;
  warnings: JsonObject[];
}

/** Options shared by the normalizers. */
export interface NormalizeOptions {
  /** Text bound (`maxTextRunes`) and the largest tool schema kept (`maxBodyBytes`). */
  bounds?: PayloadBounds;
}

/** Internal: resolved bounds plus the part builders every normalizer uses. */
export class PartBuilder {
  readonly maxTextRunes: number;
  readonly maxBodyBytes: number;

  constructor(options: NormalizeOptions = {}) {
    const bounds = resolvePayloadBounds(options.bounds);
    this.maxTextRunes = bounds.maxTextRunes;
    this.maxBodyBytes = bounds.maxBodyBytes;
  }

  text(type: 'text' | 'reasoning', text: string): NormalizedPart {
    const bounded = boundText(text, this.maxTextRunes);
    return bounded.truncated ? { type, text: bounded.text, text_length: bounded.length } : { type, text: bounded.text };
  }

  toolCall(id: string, name: string, args: string, extra: Partial<NormalizedPart> = {}): NormalizedPart {
    const bounded = boundText(args, this.maxTextRunes);
    const part: NormalizedPart = { type: 'tool-call', tool_call_id: id, tool_name: name, arguments: bounded.text, ...extra };
    if (bounded.truncated) part.input_length = bounded.length;
    return part;
  }

  toolResult(id: string | undefined, name: string | undefined, result: string, isError?: boolean): NormalizedPart {
    const bounded = boundText(result, this.maxTextRunes);
    const part: NormalizedPart = { type: 'tool-result' };
    if (id !== undefined) part.tool_call_id = id;
    if (name !== undefined) part.tool_name = name;
    part.result = bounded.text;
    if (bounded.truncated) part.text_length = bounded.length;
    if (isError) part.is_error = true;
    return part;
  }

  file(mediaType: string | undefined, filename: string | undefined): NormalizedPart {
    const part: NormalizedPart = { type: 'file' };
    if (filename) part.filename = boundText(filename, 256).text;
    if (mediaType) part.media_type = boundText(mediaType, 128).text;
    return part;
  }

  tool(type: string, name: string, description: unknown, schema: unknown): NormalizedTool {
    const tool: NormalizedTool = { type, name: boundText(name, 256).text };
    if (typeof description === 'string' && description !== '') tool.description = boundText(description, this.maxTextRunes).text;
    const hasSchema = typeof schema === 'object' && schema !== null;
    tool.has_input_schema = hasSchema;
    if (hasSchema) {
      const clean = redactSchema(sanitizeJson(schema), false);
      if (JSON.stringify(clean).length <= this.maxBodyBytes) tool.input_schema = clean;
    }
    return tool;
  }

  /** A bounded label (error messages, item types). */
  label(text: string): string {
    return boundText(text, this.maxTextRunes).text;
  }
}

/** A media type from a `data:` URL, without keeping the data. */
export function dataUrlMediaType(url: unknown): string | undefined {
  if (typeof url !== 'string' || !url.startsWith('data:')) return undefined;
  const end = url.indexOf(',');
  const header = url.slice(5, end === -1 ? Math.min(url.length, 200) : Math.min(end, 200));
  const media = header.split(';')[0];
  return media === '' ? undefined : media;
}

/** `value` if it is a string. */
export function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** `value` if it is a finite number. */
export function num(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/** `value` as a record, or undefined. */
export function rec(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

/** `value` as an array, or an empty one. */
export function arr(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

/** Sets the options that are numbers; omits the rest. */
export function options(values: Record<keyof NormalizedOptions, unknown>): NormalizedOptions {
  const out: NormalizedOptions = {};
  for (const key of Object.keys(values) as (keyof NormalizedOptions)[]) {
    const value = num(values[key]);
    if (value !== undefined) out[key] = value;
  }
  return out;
}

/** Counts the request keys (with a value) that no normalizer field covers. */
export function countProviderOptions(request: Record<string, unknown>, known: ReadonlySet<string>): number {
  let count = 0;
  for (const [key, value] of Object.entries(request)) if (value !== undefined && !known.has(key)) count++;
  return count;
}

/** `tool_choice` as stored: a string, or a redacted JSON snapshot of an object. */
export function toolChoice(value: unknown): JsonValue | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  return redactJsonValue(sanitizeJson(value));
}

/** Assembles a normalized request: model, tool choice and the count of other provider options only when present. */
export function assembleRequest(parts: {
  messages: NormalizedMessage[];
  tools: NormalizedTool[];
  options: NormalizedOptions;
  body: Record<string, unknown>;
  toolChoice: unknown;
  knownKeys: ReadonlySet<string>;
}): NormalizedRequest {
  const normalized: NormalizedRequest = { messages: parts.messages, tools: parts.tools, options: parts.options };
  const model = str(parts.body.model);
  if (model !== undefined) normalized.model = model;
  const choice = toolChoice(parts.toolChoice);
  if (choice !== undefined) normalized.tool_choice = choice;
  const extra = countProviderOptions(parts.body, parts.knownKeys);
  if (extra > 0) normalized.provider_option_count = extra;
  return normalized;
}

/** Collects response content, merging adjacent text (and adjacent reasoning) as streams do. */
export class ContentCollector {
  readonly #items: (NormalizedPart | { pending: 'text' | 'reasoning'; text: string })[] = [];

  text(type: 'text' | 'reasoning', text: string): void {
    if (text === '') return;
    const last = this.#items.at(-1);
    if (last && 'pending' in last && last.pending === type) last.text += text;
    else this.#items.push({ pending: type, text });
  }

  push(part: NormalizedPart): void {
    this.#items.push(part);
  }

  get hasToolCall(): boolean {
    return this.#items.some((item) => !('pending' in item) && item.type === 'tool-call' && item.provider_executed !== true);
  }

  parts(builder: PartBuilder): NormalizedPart[] {
    return this.#items.map((item) => ('pending' in item ? builder.text(item.pending, item.text) : item));
  }
}

/** Text of content that may be a string or an array of `{ type: 'text', text }` parts; media become markers. */
export function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  const pieces: string[] = [];
  for (const item of arr(content)) {
    const part = rec(item);
    if (!part) continue;
    const text = str(part.text);
    if (text !== undefined) pieces.push(text);
    else if (typeof part.type === 'string') pieces.push(`[media output: ${mediaTypeOf(part) ?? part.type}]`);
  }
  return pieces.join('\n');
}

function mediaTypeOf(part: Record<string, unknown>): string | undefined {
  const source = rec(part.source);
  return str(source?.media_type) ?? str(part.media_type) ?? str(part.mime_type);
}

const SCHEMA_NAME_MAPS = new Set(['properties', 'patternProperties', '$defs', 'definitions', 'dependentSchemas']);

/**
 * Redacts a JSON schema like {@link redactJsonValue}, except that the keys of `properties` (and
 * other name-to-schema maps) are parameter names, not values: a parameter called `api_key` keeps
 * its schema, while a `default` or `example` under a sensitive key is still redacted.
 */
function redactSchema(value: JsonValue, namesMap: boolean): JsonValue {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.map((item) => redactSchema(item, false));
  const out: JsonObject = {};
  for (const [key, item] of Object.entries(value)) {
    if (namesMap) out[key] = redactSchema(item, false);
    else if (isSensitiveJsonKey(key) && item !== null && item !== '') out[key] = REDACTED;
    else out[key] = redactSchema(item, SCHEMA_NAME_MAPS.has(key));
  }
  return out;
}
