import type { Clock } from '../clock/clock.js';
import type { ExportPipeline } from '../export/export-pipeline.js';
import type { Logger } from '../logger/logger.js';
import { describeError } from '../logger/logger.js';
import { InvalidArgumentError } from '../errors/chat-debug-error.js';
import type { JsonNull, JsonValue } from '../model/json.js';
import { JSON_NULL, isJsonNull } from '../model/json.js';
import type { SanitizeOptions } from '../payload/sanitize.js';
import { sanitizeJson } from '../payload/sanitize.js';
import { normalizeError } from '../service/classify-error.js';
import { redactErrorPayload } from '../redaction/redact-url.js';
import type { DebugService } from '../service/debug-service.js';
import type { HeartbeatScheduler } from './heartbeat-scheduler.js';
import type { SpanListener } from './span-listener.js';
import type { RunSpan, StepSpan } from './spans.js';

/** Counters of the caller's path (the pipeline counts the writes). */
export interface TracerCounters {
  runsStarted: number;
  stepsStarted: number;
  /** Calls rejected for bad input (an invalid id, an unknown status...) and turned into no-ops. */
  invalidInput: number;
  /** Calls on a span that had already ended (e.g. a step started on an ended run). */
  afterEnd: number;
}

/** What spans share with their tracer. Internal. */
export interface TracerCore {
  readonly service: DebugService;
  readonly pipeline: ExportPipeline;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly heartbeats: HeartbeatScheduler;
  readonly counters: TracerCounters;
  /** Throw `InvalidArgumentError` on bad input instead of warning and handing out a no-op. */
  readonly strict: boolean;
  readonly sanitize: SanitizeOptions;
  readonly listeners: readonly SpanListener[];
}

/** Calls every listener that implements `method`; a throwing listener is logged and skipped. */
export function notify<K extends Exclude<keyof SpanListener, 'wrapActive'>>(
  core: TracerCore,
  method: K,
  ...args: Parameters<NonNullable<SpanListener[K]>>
): void {
  for (const listener of core.listeners) {
    const callback = listener[method] as ((...a: typeof args) => void) | undefined;
    if (!callback) continue;
    try {
      callback.apply(listener, args);
    } catch (error) {
      core.logger.warn(`span listener ${method} threw`, { error: describeError(error) });
    }
  }
}

/** Runs `fn` inside every listener's `wrapActive`, outermost first; `fn` runs exactly once. */
export function activateWithListeners<T>(core: TracerCore, span: RunSpan | StepSpan, fn: () => T): T {
  let wrapped = fn;
  for (let i = core.listeners.length - 1; i >= 0; i--) {
    const listener = core.listeners[i] as SpanListener;
    const wrapActive = listener.wrapActive?.bind(listener);
    if (!wrapActive) continue;
    const inner = wrapped;
    wrapped = (): T => {
      let called = false;
      const once = () => {
        called = true;
        return inner();
      };
      try {
        return wrapActive(span, once);
      } catch (error) {
        if (called) throw error;
        core.logger.warn('span listener wrapActive threw', { error: describeError(error) });
        return inner();
      }
    };
  }
  return wrapped();
}

/**
 * Handles bad input on the caller's path: rethrows in strict mode, otherwise logs, counts and
 * reports false so the caller can fall back to a no-op.
 */
export function rejectInput(core: TracerCore, error: unknown, context: string): false {
  if (core.strict) throw error;
  core.counters.invalidInput++;
  core.logger.warn(`${context}: invalid input ignored`, { error: describeError(error) });
  return false;
}

/**
 * A JSON snapshot of a payload, taken on the caller's path so later mutation does not leak in.
 * A value that cannot even be read (a Proxy whose traps throw, a getter that throws) is bad
 * input: left out, logged and counted (thrown in strict mode), never thrown into the caller.
 */
export function snapshot(core: TracerCore, value: unknown, field = 'payload', context = 'span'): JsonValue | undefined {
  if (value === undefined || value === null) return undefined;
  try {
    return sanitizeJson(value, core.sanitize);
  } catch (error) {
    rejectInput(core, new InvalidArgumentError(field, `could not be copied (${describeError(error)})`), context);
    return undefined;
  }
}

const UNREADABLE_ERROR = Object.freeze({ message: 'the error could not be read', type: 'unreadable' });

/**
 * An error payload: Errors are normalized to `{ message, type, ... }`, then credentials are
 * redacted (a provider may quote the key in its message); `JSON_NULL` passes through.
 */
export function errorPayload(core: TracerCore, error: unknown, context = 'span'): JsonValue | JsonNull | undefined {
  if (error === undefined || error === null) return undefined;
  let normalized: unknown;
  try {
    if (isJsonNull(error)) return JSON_NULL;
    normalized = error instanceof Error ? normalizeError(error) : error;
  } catch {
    normalized = UNREADABLE_ERROR;
  }
  // An error that cannot be read still marks the step as failed.
  return redactErrorPayload(snapshot(core, normalized, 'error', context) ?? UNREADABLE_ERROR);
}
