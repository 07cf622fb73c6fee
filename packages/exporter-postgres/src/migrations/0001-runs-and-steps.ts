import type { Migration } from './migration.js';

/**
 * The runs and steps tables (reference §1.1, §1.2), without a foreign key to a chats table, plus
 * CHECK constraints on status, operation, step number, the run-kind pattern, and the shape of the
 * never-null JSON columns (summary and metadata objects, attempts an array).
 */
export const runsAndSteps: Migration = {
  version: 1,
  name: 'runs_and_steps',
  statements: ({ runs, steps }) => [
    `CREATE TABLE ${runs} (
      id uuid PRIMARY KEY,
      chat_id uuid NOT NULL,
      root_chat_id uuid,
      parent_chat_id uuid,
      model_config_id uuid,
      trigger_message_id bigint,
      history_tip_message_id bigint,
      kind text NOT NULL CONSTRAINT chat_debug_runs_kind_check CHECK (kind ~ '^[a-z][a-z0-9_]{0,63}$'),
      status text NOT NULL CONSTRAINT chat_debug_runs_status_check CHECK (status IN ('in_progress', 'completed', 'error', 'interrupted')),
      provider text,
      model text,
      summary jsonb NOT NULL DEFAULT '{}'::jsonb CONSTRAINT chat_debug_runs_summary_check CHECK (jsonb_typeof(summary) = 'object'),
      started_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL,
      finished_at timestamptz
    )`,
    // Target of the composite foreign key from steps: a step can never point at another chat's run.
    `CREATE UNIQUE INDEX idx_chat_debug_runs_id_chat ON ${runs} (id, chat_id)`,
    // Listing: a chat's runs, newest first.
    `CREATE INDEX idx_chat_debug_runs_chat_started ON ${runs} (chat_id, started_at DESC, id DESC)`,
    // The stale sweep only looks at open runs.
    `CREATE INDEX idx_chat_debug_runs_stale ON ${runs} (updated_at) WHERE finished_at IS NULL`,
    // Retention deletes by age, any status.
    `CREATE INDEX idx_chat_debug_runs_updated ON ${runs} (updated_at)`,
    `CREATE TABLE ${steps} (
      id uuid PRIMARY KEY,
      run_id uuid NOT NULL,
      chat_id uuid NOT NULL,
      step_number integer NOT NULL CONSTRAINT chat_debug_steps_step_number_check CHECK (step_number >= 1),
      operation text NOT NULL CONSTRAINT chat_debug_steps_operation_check CHECK (operation IN ('stream', 'generate')),
      status text NOT NULL CONSTRAINT chat_debug_steps_status_check CHECK (status IN ('in_progress', 'completed', 'error', 'interrupted')),
      history_tip_message_id bigint,
      assistant_message_id bigint,
      normalized_request jsonb NOT NULL DEFAULT '{}'::jsonb,
      normalized_response jsonb,
      usage jsonb,
      attempts jsonb NOT NULL DEFAULT '[]'::jsonb CONSTRAINT chat_debug_steps_attempts_check CHECK (jsonb_typeof(attempts) = 'array'),
      error jsonb,
      metadata jsonb NOT NULL DEFAULT '{}'::jsonb CONSTRAINT chat_debug_steps_metadata_check CHECK (jsonb_typeof(metadata) = 'object'),
      started_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL,
      finished_at timestamptz,
      CONSTRAINT fk_chat_debug_steps_run_chat FOREIGN KEY (run_id, chat_id) REFERENCES ${runs} (id, chat_id) ON DELETE CASCADE
    )`,
    // The authority on step numbers: the service retries a violation of exactly this name.
    `CREATE UNIQUE INDEX idx_chat_debug_steps_run_step ON ${steps} (run_id, step_number)`,
    `CREATE INDEX idx_chat_debug_steps_chat_tip ON ${steps} (chat_id, history_tip_message_id)`,
    `CREATE INDEX idx_chat_debug_steps_chat_assistant_msg ON ${steps} (chat_id, assistant_message_id) WHERE assistant_message_id IS NOT NULL`,
    `CREATE INDEX idx_chat_debug_steps_stale ON ${steps} (updated_at) WHERE finished_at IS NULL`,
  ],
};
