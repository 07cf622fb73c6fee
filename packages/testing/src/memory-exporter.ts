import type {
  Exporter,
  FinalizeStaleResult,
  JsonValue,
  RunRecord,
  RunTouch,
  RunUpdate,
  StepInsertResult,
  StepRecord,
  StepTouch,
  StepUpdate,
} from '@chatdebug/sdk';
import { ChatDebugError, isJsonNull, isTerminalStatus } from '@chatdebug/sdk';

/** Thrown by {@link MemoryExporter} for a duplicate id, shaped like node-postgres' unique violation. */
export class DuplicateKeyError extends Error {
  /** SQLSTATE of a unique violation. */
  readonly code = '23505';
  /** Name of the violated index, as PostgreSQL would report it. */
  readonly constraint: string;

  constructor(constraint: string, id: string) {
    super(`duplicate key value violates unique constraint "${constraint}" (id ${id})`);
    this.name = 'DuplicateKeyError';
    this.constraint = constraint;
  }
}

/**
 * The exporter port implemented in memory, with the exact semantics of the reference system:
 * COALESCE keep-existing updates, the JSON-null clear sentinel, write-once run `finishedAt`,
 * the atomic guarded step insert, the stale sweep with its cascade, bounded deletes and the
 * retention purge. Every operation runs synchronously inside its promise, so each is atomic, as
 * one SQL statement is.
 *
 * Stored rows are private copies: what goes in and what comes out are deep clones, so callers
 * can never mutate stored state. Use it in tests (and as the reference the conformance suite is
 * checked against); {@link MemoryExporter.runs} and {@link MemoryExporter.steps} read everything back.
 *
 * @example
 * ```ts
 * const exporter = new MemoryExporter();
 * const service = new DebugService({ exporter, clock: new MockClock() });
 * await service.createRun({ chatId, kind: 'chat_turn' });
 * expect(exporter.runs()).toHaveLength(1);
 * ```
 */
export class MemoryExporter implements Exporter {
  /** Runs by id, in insertion order. */
  readonly #runs = new Map<string, RunRecord>();
  /** Steps by id, in insertion order. */
  readonly #steps = new Map<string, StepRecord>();
  #shutdown = false;

  /** Inserts a run exactly as given; a duplicate id rejects with a {@link DuplicateKeyError}. */
  async insertRun(run: RunRecord): Promise<RunRecord> {
    this.#assertOpen();
    if (this.#runs.has(run.id)) throw new DuplicateKeyError('chat_debug_runs_pkey', run.id);
    const stored = clone(run);
    this.#runs.set(stored.id, stored);
    return clone(stored);
  }

  /** COALESCE update of a run; `finishedAt` is write-once, `updatedAt` never moves backwards. */
  async updateRun(update: RunUpdate): Promise<RunRecord | undefined> {
    this.#assertOpen();
    const run = this.#runs.get(update.id);
    if (!run || run.chatId !== update.chatId) return undefined;
    if (update.status !== undefined) run.status = update.status;
    if (update.summary !== undefined) run.summary = patchJson(update.summary) as RunRecord['summary'];
    if (update.provider !== undefined) run.provider = update.provider;
    if (update.model !== undefined) run.model = update.model;
    if (update.rootChatId !== undefined) run.rootChatId = update.rootChatId;
    if (update.parentChatId !== undefined) run.parentChatId = update.parentChatId;
    if (update.modelConfigId !== undefined) run.modelConfigId = update.modelConfigId;
    if (update.triggerMessageId !== undefined) run.triggerMessageId = update.triggerMessageId;
    if (update.historyTipMessageId !== undefined) run.historyTipMessageId = update.historyTipMessageId;
    if (run.finishedAt === null && update.finishedAt !== undefined) run.finishedAt = new Date(update.finishedAt.getTime());
    bump(run, update.now);
    return clone(run);
  }

  /**
   * The guarded insert: only into an open run of the same chat, bumping the run's `updatedAt` to
   * the step's; a taken step number reports `step_number_taken`, a duplicate step id rejects.
   */
  async insertStep(step: StepRecord): Promise<StepInsertResult> {
    this.#assertOpen();
    const run = this.#runs.get(step.runId);
    if (!run || run.chatId !== step.chatId || run.finishedAt !== null) return { outcome: 'run_unavailable' };
    if (this.#steps.has(step.id)) throw new DuplicateKeyError('chat_debug_steps_pkey', step.id);
    for (const other of this.#steps.values()) {
      if (other.runId === step.runId && other.stepNumber === step.stepNumber) return { outcome: 'step_number_taken' };
    }
    const stored = clone(step);
    this.#steps.set(stored.id, stored);
    bump(run, step.updatedAt);
    return { outcome: 'inserted', step: clone(stored) };
  }

  /** COALESCE update of a step; a later explicit `finishedAt` replaces an earlier one. */
  async updateStep(update: StepUpdate): Promise<StepRecord | undefined> {
    this.#assertOpen();
    const step = this.#steps.get(update.id);
    if (!step || step.chatId !== update.chatId) return undefined;
    if (update.status !== undefined) step.status = update.status;
    if (update.assistantMessageId !== undefined) step.assistantMessageId = update.assistantMessageId;
    if (update.normalizedResponse !== undefined) step.normalizedResponse = patchJson(update.normalizedResponse);
    if (update.usage !== undefined) step.usage = patchJson(update.usage);
    if (update.attempts !== undefined) step.attempts = patchJson(update.attempts) as StepRecord['attempts'];
    if (update.error !== undefined) step.error = patchJson(update.error);
    if (update.metadata !== undefined) step.metadata = patchJson(update.metadata) as StepRecord['metadata'];
    if (update.finishedAt !== undefined) step.finishedAt = new Date(update.finishedAt.getTime());
    bump(step, update.now);
    return clone(step);
  }

  /**
   * Bumps the run, then the step, when the whole (step, run, chat) triple matches; a mismatched
   * triple refreshes nothing (neither the run nor the step).
   */
  async touchStepAndRun(touch: StepTouch): Promise<void> {
    this.#assertOpen();
    const run = this.#runs.get(touch.runId);
    const step = this.#steps.get(touch.stepId);
    if (!run || !step || run.chatId !== touch.chatId || step.runId !== run.id || step.chatId !== run.chatId) return;
    bump(run, touch.now);
    bump(step, touch.now);
  }

  /** Bumps one run's `updatedAt` when id and chat match. */
  async touchRun(touch: RunTouch): Promise<void> {
    this.#assertOpen();
    const run = this.#runs.get(touch.runId);
    if (run && run.chatId === touch.chatId) bump(run, touch.now);
  }

  /** The stale sweep with the cascade to steps of runs it finalized. */
  async finalizeStale(params: { now: Date; updatedBefore: Date }): Promise<FinalizeStaleResult> {
    this.#assertOpen();
    const cutoff = params.updatedBefore.getTime();
    const finalizedRuns = new Set<string>();
    const staleSteps: StepRecord[] = [];
    // Both selections see the rows as they were before the sweep, like sibling CTEs sharing a snapshot.
    for (const run of this.#runs.values()) {
      if (isOpen(run) && run.updatedAt.getTime() < cutoff) finalizedRuns.add(run.id);
    }
    for (const step of this.#steps.values()) {
      if (isOpen(step) && (step.updatedAt.getTime() < cutoff || finalizedRuns.has(step.runId))) staleSteps.push(step);
    }
    for (const id of finalizedRuns) interrupt(this.#runs.get(id), params.now);
    for (const step of staleSteps) interrupt(step, params.now);
    return { runsFinalized: finalizedRuns.size, stepsFinalized: staleSteps.length };
  }

  /** Deletes the chat's runs started before the bound, and their steps. */
  async deleteByChatId(params: { chatId: string; startedBefore: Date }): Promise<number> {
    this.#assertOpen();
    const bound = params.startedBefore.getTime();
    const ids = [...this.#runs.values()].filter((run) => run.chatId === params.chatId && run.startedAt.getTime() < bound).map((run) => run.id);
    return this.#deleteRuns(ids);
  }

  /**
   * Deletes the chat's runs started before the bound that reach past `messageId` through their
   * trigger or history tip, or through a step's assistant message or history tip. Nulls never match.
   */
  async deleteAfterMessageId(params: { chatId: string; messageId: number; startedBefore: Date }): Promise<number> {
    this.#assertOpen();
    const bound = params.startedBefore.getTime();
    const after = (id: number | null): boolean => id !== null && id > params.messageId;
    const eligible = (run: RunRecord | undefined): run is RunRecord =>
      run !== undefined && run.chatId === params.chatId && run.startedAt.getTime() < bound;
    const ids = new Set<string>();
    for (const run of this.#runs.values()) {
      if (eligible(run) && (after(run.historyTipMessageId) || after(run.triggerMessageId))) ids.add(run.id);
    }
    for (const step of this.#steps.values()) {
      if (step.chatId !== params.chatId || !(after(step.assistantMessageId) || after(step.historyTipMessageId))) continue;
      if (eligible(this.#runs.get(step.runId))) ids.add(step.runId);
    }
    return this.#deleteRuns([...ids]);
  }

  /** Deletes up to `limit` runs with `updatedAt` before the cutoff, oldest first, with their steps. */
  async purgeRuns(params: { updatedBefore: Date; limit: number }): Promise<number> {
    this.#assertOpen();
    const ids = this.#runsUpdatedBefore(params.updatedBefore)
      .sort((a, b) => a.updatedAt.getTime() - b.updatedAt.getTime() || compare(a.id, b.id))
      .slice(0, Math.max(0, params.limit))
      .map((run) => run.id);
    return this.#deleteRuns(ids);
  }

  /** How many runs have `updatedAt` before the cutoff. */
  async countRunsUpdatedBefore(updatedBefore: Date): Promise<number> {
    this.#assertOpen();
    return this.#runsUpdatedBefore(updatedBefore).length;
  }

  /** One run by id (any chat), or undefined. */
  async getRun(runId: string): Promise<RunRecord | undefined> {
    this.#assertOpen();
    const run = this.#runs.get(runId);
    return run && clone(run);
  }

  /** The chat's runs, `startedAt` desc then id desc, at most `limit`. */
  async listRuns(params: { chatId: string; limit: number }): Promise<RunRecord[]> {
    this.#assertOpen();
    return [...this.#runs.values()]
      .filter((run) => run.chatId === params.chatId)
      .sort((a, b) => b.startedAt.getTime() - a.startedAt.getTime() || compare(b.id, a.id))
      .slice(0, Math.max(0, params.limit))
      .map(clone);
  }

  /** A run's steps, step number asc then `startedAt` asc (then id, for a stable order). */
  async listSteps(runId: string): Promise<StepRecord[]> {
    this.#assertOpen();
    return sortSteps([...this.#steps.values()].filter((step) => step.runId === runId)).map(clone);
  }

  /** Refuses every later call with a `ChatDebugError` of code `shutdown`. Idempotent. */
  async shutdown(): Promise<void> {
    this.#shutdown = true;
  }

  /** True once {@link shutdown} was called. */
  get isShutdown(): boolean {
    return this.#shutdown;
  }

  /** A snapshot of every stored run, in insertion order (copies). */
  runs(): RunRecord[] {
    return [...this.#runs.values()].map(clone);
  }

  /**
   * A snapshot of stored steps (copies): all of them in insertion order, or one run's in step order.
   * @param runId - only this run's steps, ordered as {@link listSteps} orders them.
   */
  steps(runId?: string): StepRecord[] {
    const all = [...this.#steps.values()];
    return (runId === undefined ? all : sortSteps(all.filter((step) => step.runId === runId))).map(clone);
  }

  /** Removes every run and step. Does not undo {@link shutdown}. */
  reset(): void {
    this.#runs.clear();
    this.#steps.clear();
  }

  #runsUpdatedBefore(updatedBefore: Date): RunRecord[] {
    const cutoff = updatedBefore.getTime();
    return [...this.#runs.values()].filter((run) => run.updatedAt.getTime() < cutoff);
  }

  /** Deletes runs and, by cascade, their steps; returns how many runs went. */
  #deleteRuns(ids: readonly string[]): number {
    const doomed = new Set(ids);
    for (const id of doomed) this.#runs.delete(id);
    for (const step of [...this.#steps.values()]) if (doomed.has(step.runId)) this.#steps.delete(step.id);
    return doomed.size;
  }

  #assertOpen(): void {
    if (this.#shutdown) throw new ChatDebugError('shutdown', 'MemoryExporter is shut down');
  }
}

function isOpen(row: RunRecord | StepRecord): boolean {
  return row.finishedAt === null && !isTerminalStatus(row.status);
}

function interrupt(row: RunRecord | StepRecord | undefined, now: Date): void {
  if (!row) return;
  row.status = 'interrupted';
  row.finishedAt = new Date(now.getTime());
  bump(row, now);
}

/** `updatedAt = max(existing, now)`: it never moves backwards. */
function bump(row: { updatedAt: Date }, now: Date): void {
  if (now.getTime() > row.updatedAt.getTime()) row.updatedAt = new Date(now.getTime());
}

/** A JSON column of an update: the clear sentinel writes JSON null, anything else a private copy. */
function patchJson(value: unknown): JsonValue {
  return isJsonNull(value) ? null : clone(value as JsonValue);
}

function sortSteps(steps: StepRecord[]): StepRecord[] {
  return steps.sort((a, b) => a.stepNumber - b.stepNumber || a.startedAt.getTime() - b.startedAt.getTime() || compare(a.id, b.id));
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function clone<T>(value: T): T {
  return structuredClone(value);
}
