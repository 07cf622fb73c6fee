import type {
  Exporter,
  FinalizeStaleResult,
  RunRecord,
  RunTouch,
  RunUpdate,
  StepInsertResult,
  StepRecord,
  StepTouch,
  StepUpdate,
} from '@chatdebug/sdk';
import { ChatDebugError, TERMINAL_STATUSES } from '@chatdebug/sdk';
import type { PostgresConnectionOptions } from './db/connection.js';
import { Connection } from './db/connection.js';
import { isUniqueViolation } from './db/database-errors.js';
import { STEP_NUMBER_CONSTRAINT } from './db/identifiers.js';
import { maintenanceStatements } from './sql/maintenance-statements.js';
import type { RunRow, StepRow } from './sql/row-mapping.js';
import { dateParam, jsonParam, jsonPatchParam, jsonReplaceParam, toRunRecord, toStepRecord } from './sql/row-mapping.js';
import { runStatements } from './sql/run-statements.js';
import { stepStatements } from './sql/step-statements.js';

/** Options of {@link PostgresExporter}: where to connect (a pool or a connection string) and the schema. */
export type PostgresExporterOptions = PostgresConnectionOptions;

/**
 * The exporter port on PostgreSQL (a server through `pg`, or embedded PGlite through
 * {@link PGliteAdapter}), with the reference system's SQL semantics: COALESCE keep-existing
 * updates with the JSON-null clear sentinel (for the nullable JSON columns), write-once `finished_at` on runs, the guarded step
 * insert in one statement, the run-then-step heartbeat, the two-CTE stale sweep with its cascade
 * (and the late steps it must wait for, in the same transaction),
 * bounded deletes and batched retention. Every statement is parameterized, and every timestamp
 * comes from the caller (the service's clock), never from the database's `NOW()`.
 *
 * Run {@link migrate} once before use. Failures throw a `ChatDebugError` (code `unavailable`
 * for lost connections, deadlocks and serialization failures, else `exporter_failed`) whose
 * `cause` is the driver's error.
 *
 * @example
 * ```ts
 * const pool = new pg.Pool({ connectionString });
 * pool.on('error', (error) => console.warn(error));
 * await migrate(pool);
 * const service = new DebugService({ exporter: new PostgresExporter({ pool }) });
 * ```
 */
export class PostgresExporter implements Exporter {
  readonly #connection: Connection;
  readonly #runs: ReturnType<typeof runStatements>;
  readonly #steps: ReturnType<typeof stepStatements>;
  readonly #maintenance: ReturnType<typeof maintenanceStatements>;

  constructor(options: PostgresExporterOptions) {
    this.#connection = new Connection(options, 'PostgresExporter');
    this.#runs = runStatements(this.#connection.tables);
    this.#steps = stepStatements(this.#connection.tables);
    this.#maintenance = maintenanceStatements(this.#connection.tables);
  }

  /** The schema this exporter reads and writes. */
  get schema(): string {
    return this.#connection.tables.schema;
  }

  async insertRun(run: RunRecord): Promise<RunRecord> {
    const result = await this.#connection.query('insertRun', this.#runs.insert, [
      run.id,
      run.chatId,
      run.rootChatId,
      run.parentChatId,
      run.modelConfigId,
      run.triggerMessageId,
      run.historyTipMessageId,
      run.kind,
      run.status,
      run.provider,
      run.model,
      jsonParam(run.summary),
      dateParam(run.startedAt),
      dateParam(run.updatedAt),
      dateParam(run.finishedAt),
    ]);
    return toRunRecord(firstRow<RunRow>(result.rows, 'insertRun'));
  }

  async updateRun(update: RunUpdate): Promise<RunRecord | undefined> {
    const result = await this.#connection.query('updateRun', this.#runs.update, [
      update.id,
      update.chatId,
      update.status ?? null,
      jsonReplaceParam(update.summary, '{}'),
      update.provider ?? null,
      update.model ?? null,
      update.rootChatId ?? null,
      update.parentChatId ?? null,
      update.modelConfigId ?? null,
      update.triggerMessageId ?? null,
      update.historyTipMessageId ?? null,
      dateParam(update.finishedAt),
      dateParam(update.now),
    ]);
    const row = result.rows[0] as RunRow | undefined;
    return row && toRunRecord(row);
  }

  async insertStep(step: StepRecord): Promise<StepInsertResult> {
    const values = [
      step.id,
      step.runId,
      step.chatId,
      step.stepNumber,
      step.operation,
      step.status,
      step.historyTipMessageId,
      step.assistantMessageId,
      jsonParam(step.normalizedRequest),
      jsonParam(step.normalizedResponse),
      jsonParam(step.usage),
      jsonParam(step.attempts),
      jsonParam(step.error),
      jsonParam(step.metadata),
      dateParam(step.startedAt),
      dateParam(step.updatedAt),
      dateParam(step.finishedAt),
    ];
    let rows: unknown[];
    try {
      ({ rows } = await this.#connection.execute(this.#steps.insertGuarded, values));
    } catch (error) {
      if (isUniqueViolation(error, STEP_NUMBER_CONSTRAINT)) return { outcome: 'step_number_taken' };
      throw this.#connection.wrap('insertStep', error);
    }
    const row = rows[0] as StepRow | undefined;
    return row ? { outcome: 'inserted', step: toStepRecord(row) } : { outcome: 'run_unavailable' };
  }

  async updateStep(update: StepUpdate): Promise<StepRecord | undefined> {
    const result = await this.#connection.query('updateStep', this.#steps.update, [
      update.id,
      update.chatId,
      update.status ?? null,
      update.assistantMessageId ?? null,
      jsonPatchParam(update.normalizedResponse),
      jsonPatchParam(update.usage),
      jsonReplaceParam(update.attempts, '[]'),
      jsonPatchParam(update.error),
      jsonReplaceParam(update.metadata, '{}'),
      dateParam(update.finishedAt),
      dateParam(update.now),
    ]);
    const row = result.rows[0] as StepRow | undefined;
    return row && toStepRecord(row);
  }

  async touchStepAndRun(touch: StepTouch): Promise<void> {
    await this.#connection.query('touchStepAndRun', this.#steps.touchWithRun, [touch.stepId, touch.runId, touch.chatId, dateParam(touch.now)]);
  }

  async touchRun(touch: RunTouch): Promise<void> {
    await this.#connection.query('touchRun', this.#runs.touch, [touch.runId, touch.chatId, dateParam(touch.now)]);
  }

  /**
   * The stale sweep: one READ COMMITTED transaction of the two-CTE statement (stale runs, then
   * their open steps and every stale step) and, when it finalized runs, a second statement that
   * closes the steps of those runs its snapshot could not see (inserted by a guarded insert the
   * sweep had to wait for). Both counts cover both statements.
   */
  async finalizeStale(params: { now: Date; updatedBefore: Date }): Promise<FinalizeStaleResult> {
    const now = dateParam(params.now);
    const terminal = [...TERMINAL_STATUSES];
    return this.#connection.transaction('finalizeStale', async (run) => {
      const result = await run(this.#maintenance.finalizeStale, [now, dateParam(params.updatedBefore), terminal]);
      const row = firstRow<{ runs_finalized: string | number; run_ids: string; steps_finalized: string | number }>(result.rows, 'finalizeStale');
      const runsFinalized = Number(row.runs_finalized);
      let stepsFinalized = Number(row.steps_finalized);
      if (runsFinalized > 0) {
        const late = await run(this.#maintenance.finalizeStepsOfRuns, [now, row.run_ids, terminal]);
        stepsFinalized += late.rowCount ?? 0;
      }
      return { runsFinalized, stepsFinalized };
    });
  }

  async deleteByChatId(params: { chatId: string; startedBefore: Date }): Promise<number> {
    const result = await this.#connection.query('deleteByChatId', this.#maintenance.deleteByChat, [params.chatId, dateParam(params.startedBefore)]);
    return result.rowCount ?? 0;
  }

  async deleteAfterMessageId(params: { chatId: string; messageId: number; startedBefore: Date }): Promise<number> {
    const result = await this.#connection.query('deleteAfterMessageId', this.#maintenance.deleteAfterMessage, [
      params.chatId,
      params.messageId,
      dateParam(params.startedBefore),
    ]);
    return result.rowCount ?? 0;
  }

  async purgeRuns(params: { updatedBefore: Date; limit: number }): Promise<number> {
    const result = await this.#connection.query('purgeRuns', this.#maintenance.purge, [dateParam(params.updatedBefore), params.limit]);
    return result.rowCount ?? 0;
  }

  async countRunsUpdatedBefore(updatedBefore: Date): Promise<number> {
    const result = await this.#connection.query('countRunsUpdatedBefore', this.#maintenance.countUpdatedBefore, [dateParam(updatedBefore)]);
    return Number(firstRow<{ n: string | number }>(result.rows, 'countRunsUpdatedBefore').n);
  }

  async getRun(runId: string): Promise<RunRecord | undefined> {
    const result = await this.#connection.query('getRun', this.#runs.get, [runId]);
    const row = result.rows[0] as RunRow | undefined;
    return row && toRunRecord(row);
  }

  async listRuns(params: { chatId: string; limit: number }): Promise<RunRecord[]> {
    const result = await this.#connection.query('listRuns', this.#runs.list, [params.chatId, params.limit]);
    return (result.rows as RunRow[]).map(toRunRecord);
  }

  async listSteps(runId: string): Promise<StepRecord[]> {
    const result = await this.#connection.query('listSteps', this.#steps.list, [runId]);
    return (result.rows as StepRow[]).map(toStepRecord);
  }

  /**
   * Ends the pool this exporter created from a connection string; a pool passed in is left open.
   * Runs once; afterwards every call rejects with a `ChatDebugError` of code `shutdown`.
   */
  async shutdown(): Promise<void> {
    await this.#connection.close();
  }
}

function firstRow<T>(rows: unknown[], operation: string): T {
  const row = rows[0];
  if (row === undefined) throw new ChatDebugError('exporter_failed', `PostgresExporter.${operation}: the statement returned no row`);
  return row as T;
}
