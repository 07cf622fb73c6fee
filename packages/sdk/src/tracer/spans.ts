import type { Clock } from '../clock/clock.js';
import type { Attempt } from '../model/attempt.js';
import type { JsonNull, JsonObject } from '../model/json.js';
import type { Operation } from '../model/operation.js';
import type { RunKind } from '../model/run-kind.js';
import type { Status } from '../model/status.js';

/** Where the recording fetch puts HTTP attempts: the active step. */
export interface AttemptSink {
  /** Reserves the next 1-based attempt number (assigned before the request is sent). */
  nextAttemptNumber(): number;
  /** Appends one finished attempt to the step. Safe to call concurrently and after the step ended. */
  recordAttempt(attempt: Attempt): void;
  /** The clock attempts are timed with. */
  readonly clock: Clock;
}

/** Options of `tracer.startRun`. */
export interface StartRunOptions {
  chatId: string;
  kind: RunKind;
  /** A UUID of your own; a UUIDv7 is made when absent. */
  id?: string;
  rootChatId?: string;
  parentChatId?: string;
  modelConfigId?: string;
  triggerMessageId?: number;
  historyTipMessageId?: number;
  provider?: string;
  model?: string;
  /** Seed summary keys (e.g. `{ first_message }`); derived totals are added at the end. */
  summary?: JsonObject;
  /** Shortcut for the seed label: stored as `summary.first_message`, bounded by `truncateLabel`. */
  label?: string;
  /**
   * Send run heartbeats while the run is open (it stays alive between steps).
   * @defaultValue true
   */
  heartbeat?: boolean;
  /** When the run started, for work recorded after the fact (e.g. from another tracing system). @defaultValue clock.now() */
  startTime?: Date;
}

/** Fields a run may change while open. */
export interface RunSpanUpdate {
  provider?: string;
  model?: string;
  modelConfigId?: string;
  historyTipMessageId?: number;
  /** Merged into the seed summary. */
  summary?: JsonObject;
}

/** Options of `run.end`. */
export interface EndRunOptions {
  /** Explicit final status; otherwise the worst recorded outcome, else from `error`, else completed. */
  status?: Status;
  /** The error the run failed with; classified with `classifyError` when no status is given. */
  error?: unknown;
  /** When the run ended. @defaultValue clock.now() */
  endTime?: Date;
}

/** A live run handle. Methods never throw because persistence failed, and never await it. */
export interface RunSpan {
  readonly id: string;
  readonly chatId: string;
  readonly kind: RunKind;
  /** False for the no-op span handed out when tracing is disabled. */
  readonly isRecording: boolean;
  readonly ended: boolean;
  startStep(options?: StartStepOptions): StepSpan;
  update(fields: RunSpanUpdate): this;
  /** Keeps the worst outcome seen (error > interrupted > completed) for `end()`. */
  recordOutcome(status: Status): this;
  heartbeat(): void;
  end(options?: EndRunOptions): void;
}

/** Options of `run.startStep`. */
export interface StartStepOptions {
  /** @defaultValue 'generate' */
  operation?: Operation;
  historyTipMessageId?: number;
  /** The normalized request (§6.5); any JSON-able value. */
  request?: unknown;
  /**
   * Heartbeat the step while it is open.
   * @defaultValue true
   */
  heartbeat?: boolean;
  id?: string;
  /** When the step started. @defaultValue clock.now() */
  startTime?: Date;
}

/** Fields a step may record while open or at its end. */
export interface StepSpanUpdate {
  response?: unknown;
  usage?: unknown;
  /** A normalized error, or `JSON_NULL` to clear a previous one. */
  error?: unknown;
  metadata?: JsonObject;
  assistantMessageId?: number;
}

/** Options of `step.end`. */
export interface EndStepOptions extends StepSpanUpdate {
  /**
   * Final status. A status of lower priority than one already ended with is ignored (a late
   * "interrupted" cannot clobber completed). @defaultValue completed, or error when `error` is set
   */
  status?: Status;
  /** When the step ended. @defaultValue clock.now() */
  endTime?: Date;
}

/** A live step handle. Also the attempt sink the recording fetch writes to. */
export interface StepSpan extends AttemptSink {
  readonly id: string;
  readonly runId: string;
  readonly chatId: string;
  /** The requested number; updated to the stored one once the insert landed. */
  readonly stepNumber: number;
  readonly operation: Operation;
  readonly run: RunSpan;
  readonly isRecording: boolean;
  /** True once `end` was called (it may be called again with a higher-priority status). */
  readonly ended: boolean;
  /** The status the step ended with, if it ended. */
  readonly status: Status | undefined;
  update(fields: StepSpanUpdate): this;
  heartbeat(): void;
  end(options?: EndStepOptions): void;
}

/** An error payload, or the clear sentinel. */
export type StepErrorPatch = JsonObject | JsonNull;
