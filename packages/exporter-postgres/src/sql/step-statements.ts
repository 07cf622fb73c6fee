import type { TableNames } from '../db/identifiers.js';
import { STEP_COLUMNS } from './row-mapping.js';

/** SQL of the step operations. */
export function stepStatements({ runs, steps }: TableNames) {
  return {
    /**
     * The guarded insert, one statement: the CTE bumps the parent run's updated_at only if the run
     * exists under this chat and is not finalized, which also row-locks it (so a concurrent stale
     * sweep waits, or makes this find nothing); the INSERT selects from the CTE, so no run means
     * no row. $1 id, $2 run, $3 chat, $4 number … $15 started_at, $16 updated_at, $17 finished_at.
     */
    insertGuarded: `WITH locked_run AS (
        UPDATE ${runs} SET updated_at = GREATEST(updated_at, $16::timestamptz)
        WHERE id = $2::uuid AND chat_id = $3::uuid AND finished_at IS NULL
        RETURNING id, chat_id
      )
      INSERT INTO ${steps} (id, run_id, chat_id, step_number, operation, status, history_tip_message_id,
        assistant_message_id, normalized_request, normalized_response, usage, attempts, error, metadata,
        started_at, updated_at, finished_at)
      SELECT $1::uuid, locked_run.id, locked_run.chat_id, $4::integer, $5::text, $6::text, $7::bigint, $8::bigint,
        COALESCE($9::jsonb, '{}'::jsonb), $10::jsonb, $11::jsonb, COALESCE($12::jsonb, '[]'::jsonb), $13::jsonb,
        COALESCE($14::jsonb, '{}'::jsonb), $15::timestamptz, $16::timestamptz, $17::timestamptz
      FROM locked_run
      RETURNING ${STEP_COLUMNS}`,

    /**
     * COALESCE keep-existing (NULL keeps, JSON text 'null' clears); a later explicit finished_at
     * replaces an earlier one. Operation, history tip and request never change.
     */
    update: `UPDATE ${steps} SET
        status = COALESCE($3::text, status),
        assistant_message_id = COALESCE($4::bigint, assistant_message_id),
        normalized_response = COALESCE($5::jsonb, normalized_response),
        usage = COALESCE($6::jsonb, usage),
        attempts = COALESCE($7::jsonb, attempts),
        error = COALESCE($8::jsonb, error),
        metadata = COALESCE($9::jsonb, metadata),
        finished_at = COALESCE($10::timestamptz, finished_at),
        updated_at = GREATEST(updated_at, $11::timestamptz)
      WHERE id = $1::uuid AND chat_id = $2::uuid
      RETURNING ${STEP_COLUMNS}`,

    /**
     * The step heartbeat, one statement: the run first, then the step (the stale sweep's lock
     * order, so the two never deadlock). The run is bumped only when the step belongs to it, so a
     * mismatched (step, run, chat) triple refreshes nothing. $1 step, $2 run, $3 chat, $4 now.
     */
    touchWithRun: `WITH touched_run AS (
        UPDATE ${runs} SET updated_at = GREATEST(updated_at, $4::timestamptz)
        WHERE id = $2::uuid AND chat_id = $3::uuid
          AND EXISTS (SELECT 1 FROM ${steps} WHERE id = $1::uuid AND run_id = $2::uuid AND chat_id = $3::uuid)
        RETURNING id, chat_id
      )
      UPDATE ${steps} AS step SET updated_at = GREATEST(step.updated_at, $4::timestamptz)
      FROM touched_run
      WHERE step.id = $1::uuid AND step.run_id = touched_run.id AND step.chat_id = touched_run.chat_id`,

    list: `SELECT ${STEP_COLUMNS} FROM ${steps} WHERE run_id = $1::uuid ORDER BY step_number ASC, started_at ASC`,
  } as const;
}
