import type { TableNames } from '../db/identifiers.js';

/** SQL of the stale sweep, the bounded deletes and retention. */
export function maintenanceStatements({ runs, steps }: TableNames) {
  return {
    /**
     * The stale sweep's first statement, with two data-modifying CTEs. $1 now, $2 cutoff, $3 the
     * terminal statuses. Steps are finalized when stale themselves or when their run is finalized
     * by this statement: sibling CTEs share one snapshot and cannot see each other's writes, so
     * without the `run_id` clause a recently touched step of a just-finalized run would stay open.
     * `finalized_steps` joins the one-row aggregate of `finalized_runs`, so every run row is locked
     * before any step row: the heartbeat's order, hence no deadlock with it. Returns the ids of
     * the runs it finalized (as array text) for {@link finalizeStepsOfRuns}.
     */
    finalizeStale: `WITH finalized_runs AS (
        UPDATE ${runs} SET status = 'interrupted', finished_at = $1::timestamptz,
          updated_at = GREATEST(updated_at, $1::timestamptz)
        WHERE updated_at < $2::timestamptz AND finished_at IS NULL AND status <> ALL ($3::text[])
        RETURNING id
      ),
      run_ids AS (
        SELECT count(*) AS n, COALESCE(array_agg(id), '{}'::uuid[]) AS ids FROM finalized_runs
      ),
      finalized_steps AS (
        UPDATE ${steps} AS step SET status = 'interrupted', finished_at = $1::timestamptz,
          updated_at = GREATEST(step.updated_at, $1::timestamptz)
        FROM run_ids
        WHERE (step.updated_at < $2::timestamptz OR step.run_id = ANY (run_ids.ids))
          AND step.finished_at IS NULL AND step.status <> ALL ($3::text[])
        RETURNING step.id
      )
      SELECT n AS runs_finalized, ids::text AS run_ids, (SELECT count(*) FROM finalized_steps) AS steps_finalized
      FROM run_ids`,

    /**
     * The stale sweep's second statement, in the same READ COMMITTED transaction, run when the
     * first finalized runs ($2, their ids): their steps still open. The first statement can miss
     * one: a guarded insert of a step with an old time (a late delivery after an outage) holds
     * its run's row lock, uncommitted; the sweep waits for it, re-reads the committed run (still
     * stale) and finalizes it, but its step CTE works from the snapshot taken before the insert
     * committed and never sees the step. This statement's new snapshot does. No later step can
     * land in these runs: the guard waits for the sweep's row locks, then finds them finalized.
     * $1 now, $3 the terminal statuses.
     */
    finalizeStepsOfRuns: `UPDATE ${steps} SET status = 'interrupted', finished_at = $1::timestamptz,
        updated_at = GREATEST(updated_at, $1::timestamptz)
      WHERE run_id = ANY ($2::uuid[]) AND finished_at IS NULL AND status <> ALL ($3::text[])`,

    /** $1 chat, $2 started-before bound; steps go by cascade. */
    deleteByChat: `DELETE FROM ${runs} WHERE chat_id = $1::uuid AND started_at < $2::timestamptz`,

    /**
     * Runs of the chat started before the bound ($3) that reach past message $2 through their own
     * history tip or trigger, UNION those with a step whose assistant message or history tip does.
     * NULL ids never compare greater, so they never match.
     */
    deleteAfterMessage: `WITH targets AS (
        SELECT run.id FROM ${runs} AS run
        WHERE run.chat_id = $1::uuid AND run.started_at < $3::timestamptz
          AND (run.history_tip_message_id > $2::bigint OR run.trigger_message_id > $2::bigint)
        UNION
        SELECT step.run_id FROM ${steps} AS step
        JOIN ${runs} AS run ON run.id = step.run_id AND run.chat_id = step.chat_id
        WHERE step.chat_id = $1::uuid AND run.started_at < $3::timestamptz
          AND (step.assistant_message_id > $2::bigint OR step.history_tip_message_id > $2::bigint)
      )
      DELETE FROM ${runs} WHERE chat_id = $1::uuid AND id IN (SELECT id FROM targets)`,

    /**
     * One retention batch: up to $2 runs (any status) with updated_at before $1, oldest first. The
     * row locks re-check the cutoff on rows written meanwhile; rows another purge holds are skipped.
     */
    purge: `DELETE FROM ${runs} WHERE id IN (
        SELECT id FROM ${runs} WHERE updated_at < $1::timestamptz
        ORDER BY updated_at LIMIT $2::integer
        FOR UPDATE SKIP LOCKED
      )`,

    countUpdatedBefore: `SELECT count(*) AS n FROM ${runs} WHERE updated_at < $1::timestamptz`,
  } as const;
}
