import type { Logger } from '../logger/logger.js';
import { describeError } from '../logger/logger.js';
import type { JsonObject } from '../model/json.js';
import type { Status } from '../model/status.js';
import type { PayloadBounds } from '../payload/bounds.js';
import { isAbortError } from '../service/classify-error.js';
import type { StepSpan } from './spans.js';
import { withStep } from './context.js';
import { StreamAccumulator } from './stream-accumulator.js';

/** Feeds one stream part into the accumulator. Must not throw (a throw is logged and ignored). */
export type StreamObserver<Part> = (part: Part, accumulator: StreamAccumulator) => void;

/** Options of {@link recordStream}. */
export interface RecordStreamOptions<Part> {
  /** @defaultValue {@link observeStreamPart} */
  observe?: StreamObserver<Part>;
  /** Cancelling it before the stream finished finalizes the step as interrupted (the safety net). */
  signal?: AbortSignal;
  bounds?: PayloadBounds;
  /** Extra metadata merged next to `stream_summary`. */
  metadata?: JsonObject;
  /** Called on the first pull (starts the heartbeat) and at finalization (stops it). */
  onFirstPull?: () => void;
  logger?: Logger;
}

/**
 * Wraps a stream so its step is finalized exactly once with what was streamed:
 * - every part is forwarded unchanged and fed to the observer;
 * - the stream ends: error if an error part was seen, completed if a finish part was seen,
 *   otherwise interrupted (the provider closed early);
 * - the consumer stops early (`break`, `return()`): error if an error was seen, completed if the
 *   finish part had already arrived, otherwise interrupted;
 * - the source throws: interrupted for a cancellation, error otherwise;
 * - `signal` aborts before the finish part: interrupted, with no payload. A completed stream is
 *   never downgraded afterwards.
 */
export function recordStream<Part>(step: StepSpan, source: AsyncIterable<Part>, options: RecordStreamOptions<Part> = {}): AsyncIterable<Part> {
  const observe = options.observe ?? (observeStreamPart as StreamObserver<Part>);
  const accumulator = new StreamAccumulator(options.bounds);
  const signal = options.signal;
  let finalized = false;
  let pulled = false;

  const finalize = (status: Status, withPayload: boolean): void => {
    if (finalized) return;
    finalized = true;
    signal?.removeEventListener('abort', onAbort);
    if (!withPayload) {
      step.end({ status });
      return;
    }
    step.end({
      status,
      response: accumulator.response(),
      usage: accumulator.currentUsage,
      error: status === 'completed' ? undefined : accumulator.errorPayload(),
      metadata: { ...options.metadata, ...accumulator.metadata() },
    });
  };
  const settledStatus = (): Status => (accumulator.sawError ? 'error' : accumulator.finished ? 'completed' : 'interrupted');
  const onAbort = (): void => {
    if (!accumulator.finished) finalize('interrupted', false);
  };
  if (signal?.aborted) onAbort();
  else signal?.addEventListener('abort', onAbort, { once: true });

  return {
    [Symbol.asyncIterator](): AsyncIterator<Part> {
      // Pulled with the step active, so a lazy source that sends its request on the first pull
      // still has its HTTP attempt recorded on this step.
      const iterator = withStep(step, () => source[Symbol.asyncIterator]());
      return {
        async next(): Promise<IteratorResult<Part>> {
          if (!pulled) {
            pulled = true;
            options.onFirstPull?.();
          }
          let result: IteratorResult<Part>;
          try {
            result = await withStep(step, () => iterator.next());
          } catch (error) {
            accumulator.error(error);
            // A cancellation after the finish part changes nothing: the answer was complete.
            const cancelled = isAbortError(error) && !accumulator.sawError;
            finalize(cancelled ? (accumulator.finished ? 'completed' : 'interrupted') : 'error', true);
            throw error;
          }
          if (result.done) {
            finalize(settledStatus(), true);
            return result;
          }
          accumulator.part();
          try {
            observe(result.value, accumulator);
          } catch (error) {
            options.logger?.warn('stream observer threw; part not recorded', { error: describeError(error) });
          }
          return result;
        },
        async return(value?: unknown): Promise<IteratorResult<Part>> {
          finalize(settledStatus(), true);
          if (iterator.return) return iterator.return(value);
          return { done: true, value: value as Part };
        },
        async throw(error?: unknown): Promise<IteratorResult<Part>> {
          accumulator.error(error);
          finalize(accumulator.sawError ? 'error' : 'interrupted', true);
          if (iterator.throw) return iterator.throw(error);
          throw error;
        },
      };
    },
  };
}

/**
 * The default observer, for parts shaped like the Vercel AI SDK's stream parts:
 * `text-delta`, `reasoning-delta`, `tool-input-delta`, `tool-call`, `source`, `finish`, `error`
 * (field names `text`/`delta`/`textDelta`, `id`/`toolCallId`, `finishReason`, `usage` with
 * `inputTokens`/`outputTokens` or snake_case). Unknown parts are only counted.
 */
export function observeStreamPart(part: unknown, accumulator: StreamAccumulator): void {
  if (typeof part !== 'object' || part === null) return;
  const p = part as Record<string, unknown>;
  const text = str(p.text) ?? str(p.delta) ?? str(p.textDelta) ?? '';
  switch (p.type) {
    case 'text-delta':
    case 'text':
      accumulator.text(text);
      return;
    case 'reasoning-delta':
    case 'reasoning':
      accumulator.reasoning(text);
      return;
    case 'tool-input-delta':
    case 'tool-call-delta':
      accumulator.toolInput(str(p.id) ?? str(p.toolCallId) ?? '', str(p.toolName), str(p.delta) ?? str(p.argsTextDelta) ?? '');
      return;
    case 'tool-call': {
      const input = p.input ?? p.args;
      accumulator.toolCall(str(p.toolCallId) ?? str(p.id) ?? '', str(p.toolName) ?? '', typeof input === 'string' ? input : JSON.stringify(input ?? {}));
      return;
    }
    case 'source':
      accumulator.source();
      return;
    case 'finish':
      accumulator.finish(finishReasonOf(p.finishReason), usageOf(p.usage ?? p.totalUsage));
      return;
    case 'error':
      accumulator.error(p.error ?? 'stream error part');
      return;
  }
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function finishReasonOf(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null && typeof (value as { unified?: unknown }).unified === 'string') {
    return (value as { unified: string }).unified;
  }
  return '';
}

function usageOf(value: unknown): Record<string, number> | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const u = value as Record<string, unknown>;
  const pick = (...keys: string[]): number | undefined => {
    for (const key of keys) {
      const v = u[key];
      if (typeof v === 'number') return v;
      if (typeof v === 'object' && v !== null && typeof (v as { total?: unknown }).total === 'number') return (v as { total: number }).total;
    }
    return undefined;
  };
  const usage: Record<string, number> = {};
  const set = (key: string, v: number | undefined) => {
    if (v !== undefined) usage[key] = v;
  };
  set('input_tokens', pick('input_tokens', 'inputTokens', 'promptTokens', 'prompt_tokens'));
  set('output_tokens', pick('output_tokens', 'outputTokens', 'completionTokens', 'completion_tokens'));
  set('total_tokens', pick('total_tokens', 'totalTokens'));
  set('reasoning_tokens', pick('reasoning_tokens', 'reasoningTokens'));
  set('cache_read_tokens', pick('cache_read_tokens', 'cachedInputTokens'));
  return Object.keys(usage).length > 0 ? usage : undefined;
}
