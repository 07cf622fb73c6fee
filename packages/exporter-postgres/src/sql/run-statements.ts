import type { TableNames } from '../db/identifiers.js';
import { RUN_COLUMNS } from './row-mapping.js';

/** SQL of the run operations. Every timestamp is a parameter (the service's clock), never NOW(). */
export function runStatements({ runs }: TableNames) {
  return {
    /** $1 id … $15 finished_at; a NULL summary stores `{}`. */
    insert: `INSERT INTO ${runs} (id, chat_id, root_chat_id, parent_chat_id, model_config_id, trigger_message_id,
        history_tip_message_id, kind, status, provider, model, summary, started_at, updated_at, finished_at)
      VALUES ($1::uuid, $2::uuid, $3::uuid, $4::uuid, $5::uuid, $6::bigint, $7::bigint, $8::text, $9::text, $10::text,
        $11::text, COALESCE($12::jsonb, '{}'::jsonb), $13::timestamptz, $14::timestamptz, $15::timestamptz)
      RETURNING ${RUN_COLUMNS}`,

    /**
     * COALESCE keep-existing for every column (NULL keeps, JSON text 'null' clears), except
     * finished_at, which is write-once: the stored value wins. updated_at never moves backwards.
     */
    update: `UPDATE ${runs} SET
        status = COALESCE($3::text, status),
        summary = COALESCE($4::jsonb, summary),
        provider = COALESCE($5::text, provider),
        model = COALESCE($6::text, model),
        root_chat_id = COALESCE($7::uuid, root_chat_id),
        parent_chat_id = COALESCE($8::uuid, parent_chat_id),
        model_config_id = COALESCE($9::uuid, model_config_id),
        trigger_message_id = COALESCE($10::bigint, trigger_message_id),
        history_tip_message_id = COALESCE($11::bigint, history_tip_message_id),
        finished_at = COALESCE(finished_at, $12::timestamptz),
        updated_at = GREATEST(updated_at, $13::timestamptz)
      WHERE id = $1::uuid AND chat_id = $2::uuid
      RETURNING ${RUN_COLUMNS}`,

    /** The run heartbeat: $1 run, $2 chat, $3 now. */
    touch: `UPDATE ${runs} SET updated_at = GREATEST(updated_at, $3::timestamptz)
      WHERE id = $1::uuid AND chat_id = $2::uuid`,

    get: `SELECT ${RUN_COLUMNS} FROM ${runs} WHERE id = $1::uuid`,

    /** Newest first; the index on (chat_id, started_at DESC, id DESC) serves it. */
    list: `SELECT ${RUN_COLUMNS} FROM ${runs} WHERE chat_id = $1::uuid ORDER BY started_at DESC, id DESC LIMIT $2::integer`,
  } as const;
}
