import type { JsonNull, JsonObject, JsonValue } from '../model/json.js';
import type { RunRecord, StepRecord } from '../model/records.js';
import type { Status } from '../model/status.js';

/**
 * A run update. Every field left `undefined` keeps the stored value (COALESCE keep-existing).
 * `finishedAt` is write-once: once stored, neither a later value nor an auto-fill changes it.
 */
export interface RunUpdate {
  id: string;
  /** The row is only updated when it belongs to this chat. */
  chatId: string;
  status?: Status;
  /** A new summary (replaces the stored one whole). */
  summary?: JsonObject;
  provider?: string;
  model?: string;
  rootChatId?: string;
  parentChatId?: string;
  modelConfigId?: string;
  triggerMessageId?: number;
  historyTipMessageId?: number;
  finishedAt?: Date;
  /** Stamped into `updated_at` (which never moves backwards). */
  now: Date;
}

/**
 * A step update. `undefined` keeps the stored value; `JSON_NULL` writes JSON null into the
 * nullable JSON columns (used to clear an error after a successful retry). Operation, history tip and request never change.
 * Unlike runs, a later explicit `finishedAt` replaces an earlier one.
 */
export interface StepUpdate {
  id: string;
  chatId: string;
  status?: Status;
  assistantMessageId?: number;
  normalizedResponse?: JsonValue | JsonNull;
  usage?: JsonValue | JsonNull;
  attempts?: JsonValue[];
  error?: JsonValue | JsonNull;
  metadata?: JsonObject;
  finishedAt?: Date;
  now: Date;
}

/** Outcome of the guarded step insert. */
export type StepInsertResult =
  | { readonly outcome: 'inserted'; readonly step: StepRecord }
  /** The run is missing, belongs to another chat, or is finalized: nothing was inserted. */
  | { readonly outcome: 'run_unavailable' }
  /** Another step of the run already has this number (the unique index on run id and step number). */
  | { readonly outcome: 'step_number_taken' };

/** Bumps a step's and its run's `updated_at` together. */
export interface StepTouch {
  stepId: string;
  runId: string;
  chatId: string;
  now: Date;
}

/** Bumps a run's `updated_at` alone (the run heartbeat between steps). */
export interface RunTouch {
  runId: string;
  chatId: string;
  now: Date;
}

/** Counts returned by the stale sweep. */
export interface FinalizeStaleResult {
  runsFinalized: number;
  stepsFinalized: number;
}

/**
 * The persistence port. Each member has the exact semantics of the reference system; the
 * conformance suite in `@chatdebug/testing` is their executable statement, and every
 * implementation (MemoryExporter, PostgresExporter) passes all of it.
 *
 * Inputs arrive validated and sanitized by the service: ids are UUIDs, statuses and operations
 * are known values, JSON is plain data.
 */
export interface Exporter {
  /** Inserts a run exactly as given and returns the stored row. */
  insertRun(run: RunRecord): Promise<RunRecord>;

  /** Applies a {@link RunUpdate}; returns the row, or undefined when no run has that id and chat. */
  updateRun(update: RunUpdate): Promise<RunRecord | undefined>;

  /**
   * Inserts a step only if its run exists under the same chat and is not finalized; in the same
   * atomic step, bumps the run's `updated_at` to the step's `updatedAt` (row lock + heartbeat +
   * guard), so a concurrent stale sweep cannot finalize the run between the check and the insert.
   */
  insertStep(step: StepRecord): Promise<StepInsertResult>;

  /** Applies a {@link StepUpdate}; returns the row, or undefined when no step has that id and chat. */
  updateStep(update: StepUpdate): Promise<StepRecord | undefined>;

  /**
   * Bumps the run, then its step, atomically. A (run, step, chat) triple that does not match
   * refreshes nothing and is not an error. No finalized check.
   */
  touchStepAndRun(touch: StepTouch): Promise<void>;

  /** Bumps one run's `updated_at`. A mismatched chat refreshes nothing. */
  touchRun(touch: RunTouch): Promise<void>;

  /**
   * Finalizes abandoned rows in one atomic step: open runs with non-terminal status and
   * `updatedAt < updatedBefore` become interrupted; so do open non-terminal steps that are stale
   * themselves or belong to a run finalized by this same call. Both get `finishedAt = updatedAt = now`.
   */
  finalizeStale(params: { now: Date; updatedBefore: Date }): Promise<FinalizeStaleResult>;

  /** Deletes the chat's runs started before the bound (steps cascade); returns the number of runs. */
  deleteByChatId(params: { chatId: string; startedBefore: Date }): Promise<number>;

  /**
   * Deletes the chat's runs started before the bound whose history tip or trigger message id is
   * above `messageId`, or that have a step whose assistant message id or history tip is above it.
   * NULL ids never match. Returns the number of runs deleted.
   */
  deleteAfterMessageId(params: { chatId: string; messageId: number; startedBefore: Date }): Promise<number>;

  /**
   * Retention: deletes up to `limit` runs (any status) whose `updatedAt` is before the cutoff,
   * oldest first; returns how many it deleted. Callers loop until it returns less than `limit`.
   */
  purgeRuns(params: { updatedBefore: Date; limit: number }): Promise<number>;

  /** How many runs {@link Exporter.purgeRuns} would delete in total (for dry runs and progress). */
  countRunsUpdatedBefore(updatedBefore: Date): Promise<number>;

  /** One run by id alone (any chat). */
  getRun(runId: string): Promise<RunRecord | undefined>;

  /** The chat's runs, newest first (`startedAt` desc, then id desc), at most `limit`. */
  listRuns(params: { chatId: string; limit: number }): Promise<RunRecord[]>;

  /** A run's steps ordered by step number, then start time. */
  listSteps(runId: string): Promise<StepRecord[]>;

  /** Releases what the exporter owns (pools it created...). Called once. */
  shutdown?(): Promise<void>;
}
