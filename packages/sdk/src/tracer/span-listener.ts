import type { JsonObject, JsonValue } from '../model/json.js';
import type { Operation } from '../model/operation.js';
import type { RunKind } from '../model/run-kind.js';
import type { Status } from '../model/status.js';
import type { RunSpan, StepSpan } from './spans.js';

/** What a listener learns when a run starts. */
export interface RunStartEvent {
  readonly kind: RunKind;
  readonly chatId: string;
  readonly rootChatId?: string;
  readonly parentChatId?: string;
  readonly provider?: string;
  readonly model?: string;
  readonly summary: JsonObject;
  readonly startTime: Date;
}

/** A run's changed fields. */
export interface RunUpdateEvent {
  readonly provider?: string;
  readonly model?: string;
  readonly summary?: JsonObject;
}

/** What a listener learns when a run ends. */
export interface RunEndEvent {
  readonly status: Status;
  readonly endTime: Date;
  /** The normalized error the run ended with, when `end({ error })` was given one. */
  readonly error?: JsonValue;
}

/** What a listener learns when a step starts. */
export interface StepStartEvent {
  readonly operation: Operation;
  readonly stepNumber: number;
  readonly request: JsonValue | undefined;
  readonly startTime: Date;
}

/** A step's recorded fields (already sanitized snapshots). */
export interface StepUpdateEvent {
  readonly response?: JsonValue;
  readonly usage?: JsonValue;
  readonly error?: JsonValue | null;
  readonly metadata?: JsonValue;
}

/** What a listener learns when a step ends (possibly again, with a higher-priority status). */
export interface StepEndEvent extends StepUpdateEvent {
  readonly status: Status;
  readonly endTime: Date;
}

/**
 * Observes span lifecycles on the caller's path, e.g. to mirror runs and steps into another
 * tracing system. Callbacks must be fast and must not throw (a throw is logged and ignored).
 */
export interface SpanListener {
  onRunStart?(run: RunSpan, event: RunStartEvent): void;
  onRunUpdate?(run: RunSpan, event: RunUpdateEvent): void;
  onRunEnd?(run: RunSpan, event: RunEndEvent): void;
  onStepStart?(step: StepSpan, event: StepStartEvent): void;
  onStepUpdate?(step: StepSpan, event: StepUpdateEvent): void;
  onStepEnd?(step: StepSpan, event: StepEndEvent): void;
  /**
   * Runs `fn` while `span` is active (`withRun`, `withStep`, the call and stream helpers), so
   * another context system can make its own span current too. Must call `fn` exactly once.
   */
  wrapActive?<T>(span: RunSpan | StepSpan, fn: () => T): T;
}
