import type { Clock } from '../clock/clock.js';
import { systemClock } from '../clock/clock.js';
import {
  AbortedError,
  ChatDebugError,
  InvalidArgumentError,
  NotFoundError,
  RunFinalizedError,
  RunNotFoundError,
  StepInsertUnexpectedError,
  StepNumberExhaustedError,
} from '../errors/chat-debug-error.js';
import type { EventBus } from '../events/event-bus.js';
import type { Exporter, FinalizeStaleResult, RunUpdate, StepUpdate } from '../exporter/exporter.js';
import type { SettingsStore } from '../exporter/settings-store.js';
import type { Logger } from '../logger/logger.js';
import { consoleLogger, describeError } from '../logger/logger.js';
import type { EventKind } from '../model/events.js';
import { debugEvent } from '../model/events.js';
import { NIL_UUID, newId } from '../model/ids.js';
import type { JsonNull, JsonObject, JsonValue } from '../model/json.js';
import { JSON_NULL, isJsonNull } from '../model/json.js';
import type { Operation } from '../model/operation.js';
import type { RunWithSteps, RunRecord, StepRecord } from '../model/records.js';
import type { RunKind } from '../model/run-kind.js';
import type { Status } from '../model/status.js';
import { isTerminalStatus } from '../model/status.js';
import {
  optionalDate,
  optionalMessageId,
  optionalStatus,
  optionalText,
  optionalUuid,
  requireDate,
  requireOperation,
  requireRunKind,
  requireStatus,
  requireStepNumber,
  requireUuid,
} from '../model/validate.js';
import type { SanitizeOptions } from '../payload/sanitize.js';
import { sanitizeJson, sanitizeJsonObject } from '../payload/sanitize.js';
import { withTimeout } from './timeout.js';
import { classifyError } from './classify-error.js';
import { StepCounter } from './step-counter.js';
import { aggregateRunSummary, truncateLabel } from './summary.js';

/** Default stale threshold: 5 minutes. */
export const DEFAULT_STALE_AFTER_MILLIS = 5 * 60_000;
/** Default deadline of {@link DebugService.finalizeRun}: 5 seconds. */
export const DEFAULT_FINALIZE_TIMEOUT_MILLIS = 5_000;
/** Attempts of the step insert before giving up on colliding step numbers. */
export const MAX_CREATE_STEP_ATTEMPTS = 10;
/** Default retention in days when the settings hold none. */
export const DEFAULT_RETENTION_DAYS = 30;

/** Options of {@link DebugService}. */
export interface DebugServiceOptions {
  /** Where rows are written and read. */
  exporter: Exporter;
  /** Enablement settings for {@link DebugService.isEnabled}; without it only `alwaysEnable` enables. */
  settings?: SettingsStore;
  /** Receives change events after each successful write. Without one, events are skipped. */
  eventBus?: EventBus;
  /** @defaultValue the system clock */
  clock?: Clock;
  /** @defaultValue `consoleLogger` (warnings and errors only) */
  logger?: Logger;
  /**
   * Rows not touched for this long are finalized by the stale sweep. Ignored unless above zero.
   * @defaultValue 300_000 (5 minutes)
   */
  staleAfterMillis?: number;
  /** Forces {@link DebugService.isEnabled} to true for every chat and owner (a deployment flag). */
  alwaysEnable?: boolean;
  /** @defaultValue 5_000 */
  finalizeTimeoutMillis?: number;
  /** Bounds applied to every JSON payload. */
  sanitize?: SanitizeOptions;
}

/** Input of {@link DebugService.createRun}. */
export interface CreateRunParams {
  /** A UUID of your own; a UUIDv7 is made when absent. */
  id?: string;
  chatId: string;
  rootChatId?: string | null;
  parentChatId?: string | null;
  modelConfigId?: string | null;
  triggerMessageId?: number | null;
  historyTipMessageId?: number | null;
  kind: RunKind;
  /** @defaultValue 'in_progress' */
  status?: Status;
  provider?: string | null;
  model?: string | null;
  /** Any JSON-able object; absent or null stores `{}`. */
  summary?: unknown;
  /** The time to stamp as started and updated. @defaultValue clock.now() */
  at?: Date;
}

/** Input of {@link DebugService.updateRun}: absent fields keep their stored value. */
export interface UpdateRunParams {
  id: string;
  chatId: string;
  status?: Status;
  /** A new summary object (replaces the stored one); `JSON_NULL` stores `{}`. */
  summary?: unknown;
  provider?: string | null;
  model?: string | null;
  modelConfigId?: string | null;
  triggerMessageId?: number | null;
  historyTipMessageId?: number | null;
  /** Write-once; filled with `at` when the status is terminal and this is absent. */
  finishedAt?: Date | null;
  /** @defaultValue clock.now() */
  at?: Date;
}

/** Input of {@link DebugService.createStep}. */
export interface CreateStepParams {
  id?: string;
  runId: string;
  chatId: string;
  /** Requested number; bumped past any existing number on a collision. */
  stepNumber: number;
  operation: Operation;
  /** @defaultValue 'in_progress' */
  status?: Status;
  historyTipMessageId?: number | null;
  normalizedRequest?: unknown;
  /** @defaultValue clock.now() */
  at?: Date;
}

/** Input of {@link DebugService.updateStep}: absent fields keep their stored value; `JSON_NULL` clears. */
export interface UpdateStepParams {
  id: string;
  chatId: string;
  status?: Status;
  assistantMessageId?: number | null;
  normalizedResponse?: unknown;
  usage?: unknown;
  attempts?: readonly unknown[] | JsonNull | null;
  error?: unknown;
  metadata?: unknown;
  /** Filled with `at` when the status is terminal and this is absent; a later value replaces it. */
  finishedAt?: Date | null;
  /** @defaultValue clock.now() */
  at?: Date;
}

/** Input of {@link DebugService.finalizeRun}. */
export interface FinalizeRunParams {
  runId: string;
  chatId: string;
  status: Status;
  /** Seed keys kept in the summary (e.g. `first_message`); derived totals are recomputed. */
  seedSummary?: JsonObject;
  /** @defaultValue the service's `finalizeTimeoutMillis` */
  timeoutMillis?: number;
  /** When the run ended: stamped as `finishedAt` (unless already set) and `updatedAt`. @defaultValue clock.now() */
  at?: Date;
}

/** Input of {@link DebugService.purgeExpired}. */
export interface PurgeOptions {
  /** Age cutoff on `updatedAt`; defaults to the retention days of the settings (30). */
  olderThanMillis?: number;
  /** @defaultValue 1000 */
  batchSize?: number;
  /** Count what would be deleted without deleting. */
  dryRun?: boolean;
  /** Called after each batch with the running total. */
  onProgress?: (deleted: number, total: number) => void;
}

/** Result of {@link DebugService.purgeExpired}. */
export interface PurgeResult {
  /** Runs deleted (or, in a dry run, that would be). */
  deleted: number;
  updatedBefore: Date | undefined;
  dryRun: boolean;
  /** Set when retention is disabled (0 days) and nothing was done. */
  skipped?: 'disabled';
}

/**
 * The seed-parity API: awaitable calls that validate their input, stamp times from the clock,
 * write through the exporter and return the stored rows, then publish a change event.
 *
 * Spans (`Tracer`) sit on top of it and never await it on the caller's path.
 */
export class DebugService {
  /** The exporter rows go to. */
  readonly exporter: Exporter;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Optimistic per-run step numbers shared with the tracer; dropped by {@link finalizeRun}. */
  readonly stepCounter = new StepCounter();

  readonly #settings: SettingsStore | undefined;
  readonly #eventBus: EventBus | undefined;
  readonly #alwaysEnable: boolean;
  readonly #finalizeTimeoutMillis: number;
  readonly #sanitize: SanitizeOptions;
  readonly #staleListeners = new Set<(staleAfterMillis: number) => void>();
  #staleAfterMillis: number;

  constructor(options: DebugServiceOptions) {
    if (!options?.exporter) throw new InvalidArgumentError('exporter', 'an exporter is required');
    this.exporter = options.exporter;
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? consoleLogger;
    this.#settings = options.settings;
    this.#eventBus = options.eventBus;
    this.#alwaysEnable = options.alwaysEnable ?? false;
    this.#finalizeTimeoutMillis = positiveOr(options.finalizeTimeoutMillis, DEFAULT_FINALIZE_TIMEOUT_MILLIS);
    this.#sanitize = options.sanitize ?? {};
    this.#staleAfterMillis = positiveOr(options.staleAfterMillis, DEFAULT_STALE_AFTER_MILLIS);
  }

  /** Maps an outcome to a status: none → completed, cancellation → interrupted, else error. */
  static classifyError = classifyError;
  /** Collapses whitespace and bounds a label to `max` code points with a trailing `…`. */
  static truncateLabel = truncateLabel;

  /** The current stale threshold in milliseconds. */
  get staleAfterMillis(): number {
    return this.#staleAfterMillis;
  }

  /** Heartbeat period: half the stale threshold (at least 1 ms), so a touch lands before the sweep. */
  get heartbeatIntervalMillis(): number {
    return Math.max(this.#staleAfterMillis / 2, 1);
  }

  /**
   * Changes the stale threshold; values ≤ 0 (or not finite) are ignored. Running heartbeats are
   * re-armed at once, so a shrinking threshold takes effect without waiting for the old period.
   */
  setStaleAfter(millis: number): void {
    if (!Number.isFinite(millis) || millis <= 0) return;
    this.#staleAfterMillis = millis;
    for (const listener of [...this.#staleListeners]) {
      try {
        listener(millis);
      } catch (error) {
        this.logger.warn('stale-threshold listener threw', { error: describeError(error) });
      }
    }
  }

  /** Calls `listener` after each effective {@link setStaleAfter}; returns a function that unsubscribes. */
  onStaleAfterChange(listener: (staleAfterMillis: number) => void): () => void {
    this.#staleListeners.add(listener);
    return () => this.#staleListeners.delete(listener);
  }

  /**
   * Whether debug logging is on for a chat (fail-closed): always-enable wins; otherwise the admin
   * must allow users and the owner must have opted in. Missing settings or read errors mean false.
   */
  async isEnabled(chatId: string | undefined, ownerId: string | undefined): Promise<boolean> {
    if (this.#alwaysEnable) return true;
    const settings = this.#settings;
    if (!settings) return false;
    let allowUsers: boolean | undefined;
    try {
      allowUsers = await settings.getAllowUsers();
    } catch (error) {
      this.logger.warn('failed to load the admin debug-logging setting', { error: describeError(error) });
      return false;
    }
    if (allowUsers !== true) return false;
    if (!ownerId || ownerId === NIL_UUID) {
      this.logger.warn('missing chat owner for the debug-logging check', { chat_id: chatId });
      return false;
    }
    try {
      return (await settings.getUserEnabled(ownerId)) === true;
    } catch (error) {
      this.logger.warn('failed to load the user debug-logging setting', { error: describeError(error), chat_id: chatId });
      return false;
    }
  }

  /** Inserts a run (started and updated now, not finished) and publishes `run_update`. */
  async createRun(params: CreateRunParams): Promise<RunRecord> {
    const at = optionalDate('at', params.at) ?? this.clock.now();
    const run: RunRecord = {
      id: params.id === undefined ? newId() : requireUuid('id', params.id),
      chatId: requireUuid('chatId', params.chatId),
      rootChatId: optionalUuid('rootChatId', params.rootChatId) ?? null,
      parentChatId: optionalUuid('parentChatId', params.parentChatId) ?? null,
      modelConfigId: optionalUuid('modelConfigId', params.modelConfigId) ?? null,
      triggerMessageId: optionalMessageId('triggerMessageId', params.triggerMessageId) ?? null,
      historyTipMessageId: optionalMessageId('historyTipMessageId', params.historyTipMessageId) ?? null,
      kind: requireRunKind('kind', params.kind),
      status: optionalStatus('status', params.status) ?? 'in_progress',
      provider: optionalText('provider', params.provider) ?? null,
      model: optionalText('model', params.model) ?? null,
      summary: params.summary === undefined || params.summary === null ? {} : sanitizeJsonObject(params.summary, this.#sanitize),
      startedAt: at,
      updatedAt: at,
      finishedAt: null,
    };
    const stored = await this.exporter.insertRun(run);
    this.#publish('run_update', stored.chatId, stored.id);
    return stored;
  }

  /**
   * Updates a run: absent fields keep their value; a terminal status without `finishedAt` fills it
   * with now; `finishedAt` is write-once. Throws `NotFoundError` when no run has that id and chat.
   */
  async updateRun(params: UpdateRunParams): Promise<RunRecord> {
    const update = this.#runUpdate(params);
    const stored = await this.exporter.updateRun(update);
    if (!stored) throw new NotFoundError('run', update.id);
    this.#publish('run_update', stored.chatId, stored.id);
    return stored;
  }

  #runUpdate(params: UpdateRunParams): RunUpdate {
    const now = optionalDate('at', params.at) ?? this.clock.now();
    const status = optionalStatus('status', params.status);
    const update: RunUpdate = { id: requireUuid('id', params.id), chatId: requireUuid('chatId', params.chatId), now };
    if (status !== undefined) update.status = status;
    const summary = this.#objectPatch(params.summary);
    if (summary !== undefined) update.summary = summary;
    assign(update, 'provider', optionalText('provider', params.provider));
    assign(update, 'model', optionalText('model', params.model));
    assign(update, 'modelConfigId', optionalUuid('modelConfigId', params.modelConfigId));
    assign(update, 'triggerMessageId', optionalMessageId('triggerMessageId', params.triggerMessageId));
    assign(update, 'historyTipMessageId', optionalMessageId('historyTipMessageId', params.historyTipMessageId));
    const finishedAt = optionalDate('finishedAt', params.finishedAt) ?? (status !== undefined && isTerminalStatus(status) ? now : undefined);
    assign(update, 'finishedAt', finishedAt);
    return update;
  }

  /**
   * Inserts a step into an open run of the same chat, bumping the run's heartbeat atomically.
   * Throws `RunNotFoundError` (missing run or another chat's), `RunFinalizedError`, or
   * `StepInsertUnexpectedError`. A taken step number is retried with max(requested + 1, the run's
   * counter synced to the highest stored number, then advanced), up to 10 attempts; `signal` is checked before each attempt.
   */
  async createStep(params: CreateStepParams, options: { signal?: AbortSignal } = {}): Promise<StepRecord> {
    const at = optionalDate('at', params.at) ?? this.clock.now();
    const step: StepRecord = {
      id: params.id === undefined ? newId() : requireUuid('id', params.id),
      runId: requireUuid('runId', params.runId),
      chatId: requireUuid('chatId', params.chatId),
      stepNumber: requireStepNumber('stepNumber', params.stepNumber),
      operation: requireOperation('operation', params.operation),
      status: optionalStatus('status', params.status) ?? 'in_progress',
      historyTipMessageId: optionalMessageId('historyTipMessageId', params.historyTipMessageId) ?? null,
      assistantMessageId: null,
      // Never null (§3.5): a request that serializes to nothing (a function, `toJSON` → null) is `{}`.
      normalizedRequest: params.normalizedRequest === undefined || params.normalizedRequest === null ? {} : (this.#json(params.normalizedRequest) ?? {}),
      normalizedResponse: null,
      usage: null,
      attempts: [],
      error: null,
      metadata: {},
      startedAt: at,
      updatedAt: at,
      finishedAt: null,
    };
    for (let attempt = 0; attempt < MAX_CREATE_STEP_ATTEMPTS; attempt++) {
      if (options.signal?.aborted) throw new AbortedError('step creation aborted', { cause: options.signal.reason });
      const result = await this.exporter.insertStep(step);
      if (result.outcome === 'inserted') {
        this.stepCounter.sync(step.runId, result.step.stepNumber);
        this.#publish('step_update', result.step.chatId, result.step.runId, result.step.id);
        return result.step;
      }
      if (result.outcome === 'run_unavailable') throw await this.#classifyMissingRun(step.runId, step.chatId);
      let highest = 0;
      for (const other of await this.exporter.listSteps(step.runId)) highest = Math.max(highest, other.stepNumber);
      // Concurrent creators in this process each take a distinct number from the counter, so a
      // burst of same-number inserts settles in one retry instead of one winner per round.
      this.stepCounter.sync(step.runId, highest);
      step.stepNumber = Math.max(step.stepNumber + 1, this.stepCounter.next(step.runId));
    }
    throw new StepNumberExhaustedError(step.runId, MAX_CREATE_STEP_ATTEMPTS);
  }

  async #classifyMissingRun(runId: string, chatId: string): Promise<ChatDebugError> {
    let run: RunRecord | undefined;
    try {
      run = await this.exporter.getRun(runId);
    } catch (error) {
      return new ChatDebugError('exporter_failed', `look up parent run after failed step insert: ${describeError(error)}`, { cause: error });
    }
    if (!run || run.chatId !== chatId) return new RunNotFoundError(runId);
    if (run.finishedAt !== null) return new RunFinalizedError(runId);
    return new StepInsertUnexpectedError(runId);
  }

  /**
   * Updates a step: absent fields keep their value, `JSON_NULL` writes JSON null; a terminal status
   * without `finishedAt` fills it with now. Throws `NotFoundError` when no step has that id and chat.
   */
  async updateStep(params: UpdateStepParams): Promise<StepRecord> {
    const update = this.#stepUpdate(params);
    const stored = await this.exporter.updateStep(update);
    if (!stored) throw new NotFoundError('step', update.id);
    this.#publish('step_update', stored.chatId, stored.runId, stored.id);
    return stored;
  }

  #stepUpdate(params: UpdateStepParams): StepUpdate {
    const now = optionalDate('at', params.at) ?? this.clock.now();
    const status = optionalStatus('status', params.status);
    const update: StepUpdate = { id: requireUuid('id', params.id), chatId: requireUuid('chatId', params.chatId), now };
    if (status !== undefined) update.status = status;
    assign(update, 'assistantMessageId', optionalMessageId('assistantMessageId', params.assistantMessageId));
    assign(update, 'normalizedResponse', this.#patch(params.normalizedResponse));
    assign(update, 'usage', this.#patch(params.usage));
    assign(update, 'error', this.#patch(params.error));
    assign(update, 'metadata', this.#objectPatch(params.metadata));
    const attempts = this.#patch(params.attempts);
    if (attempts !== undefined) {
      // The column is never null: clearing it means an empty list.
      if (isJsonNull(attempts)) update.attempts = [];
      else if (Array.isArray(attempts)) update.attempts = attempts;
      else throw new InvalidArgumentError('attempts', 'expected an array');
    }
    const finishedAt = optionalDate('finishedAt', params.finishedAt) ?? (status !== undefined && isTerminalStatus(status) ? now : undefined);
    assign(update, 'finishedAt', finishedAt);
    return update;
  }

  /** Bumps a step and its run together; a mismatched triple refreshes nothing. No event. */
  async touchStep(params: { stepId: string; runId: string; chatId: string; at?: Date }): Promise<void> {
    await this.exporter.touchStepAndRun({
      stepId: requireUuid('stepId', params.stepId),
      runId: requireUuid('runId', params.runId),
      chatId: requireUuid('chatId', params.chatId),
      now: optionalDate('at', params.at) ?? this.clock.now(),
    });
  }

  /** Bumps a run's heartbeat alone (between steps: tool execution, compaction). No event. */
  async touchRun(params: { runId: string; chatId: string; at?: Date }): Promise<void> {
    await this.exporter.touchRun({
      runId: requireUuid('runId', params.runId),
      chatId: requireUuid('chatId', params.chatId),
      now: optionalDate('at', params.at) ?? this.clock.now(),
    });
  }

  /**
   * Finalizes rows not touched within the stale threshold as interrupted (steps of a run finalized
   * here included). Publishes one `finalize` on the broadcast channel when anything changed.
   */
  async finalizeStale(): Promise<FinalizeStaleResult> {
    const now = this.clock.now();
    const result = await this.exporter.finalizeStale({ now, updatedBefore: new Date(now.getTime() - this.#staleAfterMillis) });
    if (result.runsFinalized > 0 || result.stepsFinalized > 0) this.#publish('finalize', NIL_UUID);
    return result;
  }

  /**
   * Ends a run: folds its steps into the summary (falling back to the seed when that fails), sets
   * the status and `finishedAt`, and drops the run's step counter. Detached from any caller's
   * cancellation, with its own deadline (`TimeoutError`).
   */
  async finalizeRun(params: FinalizeRunParams): Promise<RunRecord> {
    const runId = requireUuid('runId', params.runId);
    const chatId = requireUuid('chatId', params.chatId);
    const status = requireStatus('status', params.status);
    const timeout = positiveOr(params.timeoutMillis, this.#finalizeTimeoutMillis);
    const at = optionalDate('at', params.at);
    try {
      return await withTimeout(this.clock, timeout, 'finalizeRun', async () => {
        let summary: JsonObject | undefined = params.seedSummary;
        try {
          summary = await this.aggregateRunSummary(runId, params.seedSummary ?? {});
        } catch (error) {
          this.logger.warn('failed to aggregate the run summary', { run_id: runId, chat_id: chatId, error: describeError(error) });
        }
        const now = at ?? this.clock.now();
        return this.updateRun({ id: runId, chatId, status, summary, finishedAt: now, at: now });
      });
    } finally {
      this.stepCounter.drop(runId);
    }
  }

  /**
   * Loads the run's steps and folds them into `base` (see `aggregateRunSummary`). The nil UUID
   * means "no run": `base` comes back as given (undefined stays undefined), nothing is read.
   */
  aggregateRunSummary(runId: string, base: JsonObject): Promise<JsonObject>;
  aggregateRunSummary(runId: string, base: JsonObject | undefined): Promise<JsonObject | undefined>;
  async aggregateRunSummary(runId: string, base: JsonObject | undefined): Promise<JsonObject | undefined> {
    if (runId === NIL_UUID) return base;
    const steps = await this.exporter.listSteps(requireUuid('runId', runId));
    return aggregateRunSummary(steps, base, this.logger);
  }

  /**
   * Deletes the chat's runs started before the bound (steps cascade) and publishes `delete`, even
   * when nothing matched. The bound keeps a retried cleanup from deleting a replacement turn's runs.
   */
  async deleteByChatId(chatId: string, startedBefore: Date): Promise<number> {
    const id = requireUuid('chatId', chatId);
    const deleted = await this.exporter.deleteByChatId({ chatId: id, startedBefore: requireDate('startedBefore', startedBefore) });
    this.#publish('delete', id);
    return deleted;
  }

  /**
   * Deletes the chat's runs (started before the bound) that reach past `messageId` through their
   * trigger or history tip, or through a step's assistant message or history tip. Publishes `delete`.
   */
  async deleteAfterMessageId(chatId: string, messageId: number, startedBefore: Date): Promise<number> {
    const id = requireUuid('chatId', chatId);
    if (typeof messageId !== 'number' || !Number.isSafeInteger(messageId)) throw new InvalidArgumentError('messageId', 'expected an integer');
    const deleted = await this.exporter.deleteAfterMessageId({ chatId: id, messageId, startedBefore: requireDate('startedBefore', startedBefore) });
    this.#publish('delete', id);
    return deleted;
  }

  /**
   * Retention: deletes runs (any status) whose `updatedAt` is older than the cutoff, in batches.
   * The cutoff defaults to the settings' retention days (30; 0 disables the purge).
   */
  async purgeExpired(options: PurgeOptions = {}): Promise<PurgeResult> {
    const dryRun = options.dryRun ?? false;
    let olderThan = options.olderThanMillis;
    if (olderThan === undefined) {
      let days: number | undefined;
      try {
        days = await this.#settings?.getRetentionDays();
      } catch (error) {
        this.logger.warn('failed to read the retention setting; purge skipped', { error: describeError(error) });
        return { deleted: 0, updatedBefore: undefined, dryRun, skipped: 'disabled' };
      }
      days ??= DEFAULT_RETENTION_DAYS;
      if (days <= 0) return { deleted: 0, updatedBefore: undefined, dryRun, skipped: 'disabled' };
      olderThan = days * 86_400_000;
    }
    if (!Number.isFinite(olderThan) || olderThan < 0) throw new InvalidArgumentError('olderThanMillis', 'expected a non-negative number of milliseconds');
    const batchSize = options.batchSize ?? 1000;
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new InvalidArgumentError('batchSize', 'expected a positive integer');
    const updatedBefore = new Date(this.clock.nowMillis() - olderThan);
    const total = await this.exporter.countRunsUpdatedBefore(updatedBefore);
    if (dryRun) return { deleted: total, updatedBefore, dryRun };
    let deleted = 0;
    for (;;) {
      const batch = await this.exporter.purgeRuns({ updatedBefore, limit: batchSize });
      deleted += batch;
      options.onProgress?.(deleted, Math.max(total, deleted));
      if (batch < batchSize) break;
    }
    if (deleted > 0) this.#publish('delete', NIL_UUID);
    return { deleted, updatedBefore, dryRun };
  }

  /** The chat's runs, newest first. @param limit @defaultValue 100 */
  async listRuns(chatId: string, options: { limit?: number } = {}): Promise<RunRecord[]> {
    const limit = options.limit ?? 100;
    if (!Number.isInteger(limit) || limit < 1) throw new InvalidArgumentError('limit', 'expected a positive integer');
    return this.exporter.listRuns({ chatId: requireUuid('chatId', chatId), limit });
  }

  /** One run with its ordered steps; undefined when missing or (with `chatId`) of another chat. */
  async getRun(runId: string, options: { chatId?: string } = {}): Promise<RunWithSteps | undefined> {
    const id = requireUuid('runId', runId);
    const chatId = optionalUuid('chatId', options.chatId);
    const run = await this.exporter.getRun(id);
    if (!run || (chatId !== undefined && run.chatId !== chatId)) return undefined;
    return { run, steps: await this.exporter.listSteps(id) };
  }

  /** A run's steps ordered by step number. */
  async listSteps(runId: string): Promise<StepRecord[]> {
    return this.exporter.listSteps(requireUuid('runId', runId));
  }

  #json(value: unknown): JsonValue {
    return sanitizeJson(value, this.#sanitize);
  }

  #patch(value: unknown): JsonValue | JsonNull | undefined {
    if (value === undefined || value === null) return undefined;
    if (isJsonNull(value)) return JSON_NULL;
    const clean = this.#json(value);
    return clean === null ? undefined : clean;
  }

  /** For the never-null object columns (summary, metadata): clearing means `{}`. */
  #objectPatch(value: unknown): JsonObject | undefined {
    if (value === undefined || value === null) return undefined;
    if (isJsonNull(value)) return {};
    return sanitizeJsonObject(value, this.#sanitize);
  }

  #publish(kind: EventKind, chatId: string, runId?: string, stepId?: string): void {
    const bus = this.#eventBus;
    if (!bus) {
      this.logger.debug('no event bus; event skipped', { kind, chat_id: chatId });
      return;
    }
    const event = debugEvent(kind, chatId, runId, stepId);
    try {
      const pending = bus.publish(event);
      if (pending) pending.catch((error: unknown) => this.logger.warn('failed to publish a debug event', { kind, chat_id: chatId, error: describeError(error) }));
    } catch (error) {
      this.logger.warn('failed to publish a debug event', { kind, chat_id: chatId, error: describeError(error) });
    }
  }
}

function positiveOr(value: number | undefined, fallback: number): number {
  return value !== undefined && Number.isFinite(value) && value > 0 ? value : fallback;
}

function assign<T extends object, K extends keyof T>(target: T, key: K, value: T[K] | undefined): void {
  if (value !== undefined) target[key] = value;
}
