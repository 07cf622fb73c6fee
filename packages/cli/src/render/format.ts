import type { JsonObject, JsonValue, RunRecord, StepRecord } from '@chatdebug/sdk';
import { USAGE_KEYS, isJsonObject, truncateLabel } from '@chatdebug/sdk';
import { formatDuration } from '../duration.js';

/** Width of one-line previews, in code points. */
export const PREVIEW_WIDTH = 72;

/** `finished − started` of a run or step, or undefined while it is open. */
export function elapsedMillis(row: { startedAt: Date; finishedAt: Date | null }): number | undefined {
  return row.finishedAt === null ? undefined : row.finishedAt.getTime() - row.startedAt.getTime();
}

/** A duration for a row: `1.20s`, or `open` while it has not finished. */
export function formatElapsed(row: { startedAt: Date; finishedAt: Date | null }): string {
  const millis = elapsedMillis(row);
  return millis === undefined ? 'open' : formatDuration(millis);
}

/** Input and output tokens. */
export interface TokenCounts {
  input: number;
  output: number;
}

/** `1,234→56 tok`, or `` when there are none. */
export function formatTokens(tokens: TokenCounts | undefined): string {
  if (!tokens || (tokens.input === 0 && tokens.output === 0)) return '';
  return `${tokens.input.toLocaleString('en-US')}→${tokens.output.toLocaleString('en-US')} tok`;
}

/** A step's tokens from its `usage`, or undefined when it has none. */
export function stepTokens(step: StepRecord): TokenCounts | undefined {
  const usage = step.usage;
  if (!isJsonObject(usage)) return undefined;
  const input = numberOr(usage.input_tokens);
  const output = numberOr(usage.output_tokens);
  return input === undefined && output === undefined ? undefined : { input: input ?? 0, output: output ?? 0 };
}

/**
 * A run's token totals: the summary's totals once finalized, else the sum over `steps` (an open
 * run has no aggregated summary yet).
 */
export function runTokens(run: RunRecord, steps?: readonly StepRecord[]): TokenCounts | undefined {
  const input = numberOr(run.summary.total_input_tokens);
  const output = numberOr(run.summary.total_output_tokens);
  if (input !== undefined || output !== undefined) return { input: input ?? 0, output: output ?? 0 };
  if (!steps) return undefined;
  let sum: TokenCounts | undefined;
  for (const step of steps) {
    const tokens = stepTokens(step);
    if (!tokens) continue;
    sum = { input: (sum?.input ?? 0) + tokens.input, output: (sum?.output ?? 0) + tokens.output };
  }
  return sum;
}

/** A run's step count: the summary's once finalized, else the number of `steps` given. */
export function runStepCount(run: RunRecord, steps?: readonly StepRecord[]): number | undefined {
  return numberOr(run.summary.step_count) ?? steps?.length;
}

/** The run's label (`first_message` of its summary), or ''. */
export function runLabel(run: RunRecord): string {
  const label = run.summary.first_message;
  return typeof label === 'string' ? label : '';
}

/** One line of text, whitespace collapsed, cut to `width` code points with a trailing `…`. */
export function oneLine(text: string, width: number = PREVIEW_WIDTH): string {
  return truncateLabel(text, width);
}

/** The message of a step's error after its provider status and title (or type): `500 server_error: …`. */
export function errorText(error: JsonValue | null): string | undefined {
  if (error === null || error === undefined) return undefined;
  if (typeof error === 'string') return error === '' ? undefined : error;
  if (!isJsonObject(error)) return JSON.stringify(error);
  if (Object.keys(error).length === 0) return undefined;
  const message = typeof error.message === 'string' ? error.message : JSON.stringify(error);
  const status = typeof error.provider_status === 'number' ? String(error.provider_status) : '';
  // Provider SDKs often start the message with the status already ("500 The server had an error").
  const title = typeof error.provider_title === 'string' ? error.provider_title : typeof error.type === 'string' ? error.type : '';
  const prefix = [message.startsWith(status) ? '' : status, title]
    .filter((part) => part !== '')
    .join(' ');
  return prefix === '' ? message : `${prefix}: ${message}`;
}

/**
 * What a step produced, in words: its text, its tool calls (`→ get_weather({"city":"Paris"})`),
 * or undefined when there is no response.
 */
export function outputText(response: JsonValue | null): string | undefined {
  if (!isJsonObject(response)) return undefined;
  const content = response.content;
  if (!Array.isArray(content)) return undefined;
  const pieces: string[] = [];
  for (const part of content) {
    if (!isJsonObject(part)) continue;
    if ((part.type === 'text' || part.type === 'reasoning') && typeof part.text === 'string') pieces.push(part.text);
    else if (part.type === 'tool-call') pieces.push(`→ ${str(part.tool_name) ?? 'tool'}(${str(part.arguments) ?? ''})`);
    else if (typeof part.type === 'string') pieces.push(`[${part.type}]`);
  }
  const text = pieces.join(' ');
  return text.trim() === '' ? undefined : text;
}

/** The finish reason of a step's response, if recorded. */
export function finishReason(response: JsonValue | null): string | undefined {
  return isJsonObject(response) ? str(response.finish_reason) : undefined;
}

/** The last message of a normalized request, rendered as `role: text`. */
export function lastMessageText(request: JsonValue): string | undefined {
  const messages = messagesOf(request);
  const last = messages.at(-1);
  return last ? `${last.role}: ${last.text}` : undefined;
}

/** The messages of a normalized request, each as a role and one text. */
export function messagesOf(request: JsonValue): { role: string; text: string }[] {
  if (!isJsonObject(request) || !Array.isArray(request.messages)) return [];
  const out: { role: string; text: string }[] = [];
  for (const message of request.messages) {
    if (!isJsonObject(message)) continue;
    const parts = Array.isArray(message.parts) ? message.parts : [];
    const text = parts
      .filter(isJsonObject)
      .map((part) => {
        if (typeof part.text === 'string') return part.text;
        if (part.type === 'tool-call') return `→ ${str(part.tool_name) ?? 'tool'}(${str(part.arguments) ?? ''})`;
        if (part.type === 'tool-result') return `⇐ ${str(part.tool_name) === undefined ? '' : `${str(part.tool_name)}: `}${str(part.result) ?? ''}`;
        return `[${str(part.type) ?? 'part'}]`;
      })
      .join(' ');
    out.push({ role: str(message.role) ?? '?', text });
  }
  return out;
}

/** The one-line preview of a step: its error when it failed, else its output. */
export function stepPreview(step: StepRecord, width: number = PREVIEW_WIDTH): { kind: 'error' | 'output'; text: string } | undefined {
  const error = errorText(step.error);
  if (error !== undefined) return { kind: 'error', text: oneLine(error, width) };
  const output = outputText(step.normalizedResponse);
  return output === undefined ? undefined : { kind: 'output', text: oneLine(output, width) };
}

/**
 * `2 attempts` / `1 attempt` / `0 attempts`: zero is spelled out, so a step whose HTTP request was
 * never recorded (a crashed worker's, one still waiting for its first answer) reads as such
 * instead of leaving a gap in the column.
 */
export function formatAttempts(count: number): string {
  return count === 1 ? '1 attempt' : `${count} attempts`;
}

/** Pretty JSON, each string cut to `maxString` code points unless `full`. */
export function formatJson(value: JsonValue, options: { full: boolean; maxString?: number; indent?: string } = { full: false }): string {
  const shown = options.full ? value : shorten(value, options.maxString ?? 200);
  const text = JSON.stringify(shown, null, 2);
  const indent = options.indent ?? '';
  return text
    .split('\n')
    .map((line) => indent + line)
    .join('\n');
}

function shorten(value: JsonValue, max: number): JsonValue {
  if (typeof value === 'string') {
    const runes = Array.from(value);
    return runes.length <= max ? value : `${runes.slice(0, max).join('')}… (${runes.length - max} more characters; --full shows all)`;
  }
  if (Array.isArray(value)) return value.map((item) => shorten(item, max));
  if (isJsonObject(value)) {
    const out: JsonObject = {};
    for (const [key, item] of Object.entries(value)) out[key] = shorten(item, max);
    return out;
  }
  return value;
}

function numberOr(value: JsonValue | undefined): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

function str(value: JsonValue | undefined): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** `input_tokens=30 output_tokens=10 …`: the known usage keys in display order, then the rest. */
export function usageText(usage: JsonObject): string {
  const known: readonly string[] = USAGE_KEYS;
  const keys = [...USAGE_KEYS.filter((key) => key in usage), ...Object.keys(usage).filter((key) => !known.includes(key))];
  return keys.map((key) => `${key}=${JSON.stringify(usage[key])}`).join(' ');
}
