import type { JsonObject, JsonValue } from '../model/json.js';
import type { Usage } from '../model/usage.js';
import type { PayloadBounds } from '../payload/bounds.js';
import { boundText, cutToUtf8Bytes, resolvePayloadBounds } from '../payload/bounds.js';
import { sanitizeJson } from '../payload/sanitize.js';
import { isAbortError } from '../service/classify-error.js';
import { sanitizeErrorMessage } from '../redaction/redact-url.js';

type ContentPart =
  | { type: 'text' | 'reasoning'; text: string }
  | { type: 'tool-call'; tool_call_id: string; tool_name: string; arguments: string };

/**
 * Folds the parts of a model stream into the normalized response and the `stream_summary`
 * metadata (§6.5): consecutive text deltas merge into one text part, reasoning into one reasoning
 * part, tool input accumulates per tool-call id; at most `maxBodyBytes` of streamed text is kept
 * (cut on a code point boundary); finish reason and usage are captured; errors are counted.
 *
 * Provider-specific observers feed it; `traceStream` reads it to decide the step's status.
 */
export class StreamAccumulator {
  readonly #content: ContentPart[] = [];
  readonly #toolCalls = new Map<string, { type: 'tool-call'; tool_call_id: string; tool_name: string; arguments: string }>();
  readonly #warnings: JsonValue[] = [];
  readonly #maxTextRunes: number;
  #textBudget: number;
  #finishReason = '';
  #usage: Usage | undefined;
  #finished = false;
  #textDeltaCount = 0;
  #sourceCount = 0;
  #errorCount = 0;
  #partCount = 0;
  #lastError: string | undefined;
  #sawError = false;
  #sawCancellation = false;
  #textCut = false;

  constructor(bounds?: PayloadBounds) {
    const resolved = resolvePayloadBounds(bounds);
    this.#maxTextRunes = resolved.maxTextRunes;
    this.#textBudget = resolved.maxBodyBytes;
  }

  /** Counts one part of any kind (observers call it once per part). */
  part(): void {
    this.#partCount++;
  }

  text(delta: string): void {
    this.#textDeltaCount++;
    this.#appendText('text', delta);
  }

  reasoning(delta: string): void {
    this.#appendText('reasoning', delta);
  }

  /** Appends streamed tool-call input for `id`, creating the tool-call part on first sight. */
  toolInput(id: string, name: string | undefined, delta: string): void {
    let call = this.#toolCalls.get(id);
    if (!call) {
      call = { type: 'tool-call', tool_call_id: id, tool_name: name ?? '', arguments: '' };
      this.#toolCalls.set(id, call);
      this.#content.push(call);
    }
    if (name && !call.tool_name) call.tool_name = name;
    call.arguments += delta;
  }

  /** A complete tool call (replaces any streamed input for the same id). */
  toolCall(id: string, name: string, input: string): void {
    this.toolInput(id, name, '');
    const call = this.#toolCalls.get(id);
    if (call) call.arguments = input;
  }

  source(): void {
    this.#sourceCount++;
  }

  warning(warning: unknown): void {
    this.#warnings.push(sanitizeJson(warning));
  }

  /** The provider's finish part: the stream completed. Usage may also arrive separately via {@link usage}. */
  finish(reason: string, usage?: Usage): void {
    this.#finished = true;
    this.#finishReason = reason;
    if (usage) this.#usage = usage;
  }

  usage(usage: Usage): void {
    this.#usage = usage;
  }

  /** An error part (or a thrown error). A cancellation counts as interruption, not failure. */
  error(error: unknown): void {
    this.#errorCount++;
    // Sanitized here: the message is stored twice (error payload and stream_summary.last_error).
    this.#lastError = sanitizeErrorMessage(error instanceof Error ? error.message : typeof error === 'string' ? error : JSON.stringify(sanitizeJson(error)));
    if (isAbortError(error)) this.#sawCancellation = true;
    else this.#sawError = true;
  }

  get finished(): boolean {
    return this.#finished;
  }

  get sawError(): boolean {
    return this.#sawError;
  }

  get sawCancellation(): boolean {
    return this.#sawCancellation;
  }

  get lastError(): string | undefined {
    return this.#lastError;
  }

  get finishReason(): string {
    return this.#finishReason;
  }

  get currentUsage(): Usage | undefined {
    return this.#usage;
  }

  /** The normalized response so far: `{ content, finish_reason, usage?, warnings }`. */
  response(): JsonObject {
    const content = this.#content.map((part): JsonObject => {
      if (part.type !== 'tool-call') return { type: part.type, text: part.text };
      const args = boundText(part.arguments, this.#maxTextRunes);
      return {
        type: 'tool-call',
        tool_call_id: part.tool_call_id,
        tool_name: part.tool_name,
        arguments: args.text,
        input_length: args.length,
      };
    });
    const response: JsonObject = { content, finish_reason: this.#finishReason, warnings: this.#warnings };
    if (this.#usage) response.usage = sanitizeJson(this.#usage);
    if (this.#textCut) response.text_truncated = true;
    return response;
  }

  /** `{ stream_summary: { finish_reason, text_delta_count, tool_call_count, ... } }`. */
  metadata(): JsonObject {
    const summary: JsonObject = {
      finish_reason: this.#finishReason,
      text_delta_count: this.#textDeltaCount,
      tool_call_count: this.#toolCalls.size,
      source_count: this.#sourceCount,
      warning_count: this.#warnings.length,
      error_count: this.#errorCount,
      part_count: this.#partCount,
    };
    if (this.#lastError !== undefined) summary.last_error = boundText(this.#lastError, this.#maxTextRunes).text;
    return { stream_summary: summary };
  }

  /** The normalized error of the stream, if one was seen. */
  errorPayload(): JsonObject | undefined {
    if (this.#lastError === undefined) return undefined;
    return { message: boundText(this.#lastError, this.#maxTextRunes).text, type: this.#sawError ? 'stream_error' : 'canceled' };
  }

  #appendText(type: 'text' | 'reasoning', delta: string): void {
    if (delta === '' || this.#textBudget <= 0) {
      if (delta !== '') this.#textCut = true;
      return;
    }
    const kept = cutToUtf8Bytes(delta, this.#textBudget);
    if (kept.length < delta.length) this.#textCut = true;
    this.#textBudget -= Buffer.byteLength(kept);
    const last = this.#content.at(-1);
    if (last && last.type === type) last.text += kept;
    else this.#content.push({ type, text: kept });
  }
}
