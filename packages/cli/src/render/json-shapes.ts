import type { JsonObject, JsonValue, RunRecord, RunWithSteps, StepRecord } from '@chatdebug/sdk';

/** A run as the read API of the reference system shows it: snake_case keys, ISO 8601 times. */
export interface RunJson {
  id: string;
  chat_id: string;
  root_chat_id: string | null;
  parent_chat_id: string | null;
  model_config_id: string | null;
  trigger_message_id: number | null;
  history_tip_message_id: number | null;
  kind: string;
  status: string;
  provider: string | null;
  model: string | null;
  summary: JsonObject;
  started_at: string;
  updated_at: string;
  finished_at: string | null;
}

/** A step, as the read API shows it. */
export interface StepJson {
  id: string;
  run_id: string;
  chat_id: string;
  step_number: number;
  operation: string;
  status: string;
  history_tip_message_id: number | null;
  assistant_message_id: number | null;
  normalized_request: JsonValue;
  normalized_response: JsonValue | null;
  usage: JsonValue | null;
  attempts: JsonValue[];
  error: JsonValue | null;
  metadata: JsonObject;
  started_at: string;
  updated_at: string;
  finished_at: string | null;
}

/** A run with its steps. */
export interface RunWithStepsJson extends RunJson {
  steps: StepJson[];
}

/** Serializes a run record. */
export function runJson(run: RunRecord): RunJson {
  return {
    id: run.id,
    chat_id: run.chatId,
    root_chat_id: run.rootChatId,
    parent_chat_id: run.parentChatId,
    model_config_id: run.modelConfigId,
    trigger_message_id: run.triggerMessageId,
    history_tip_message_id: run.historyTipMessageId,
    kind: run.kind,
    status: run.status,
    provider: run.provider,
    model: run.model,
    summary: run.summary,
    started_at: run.startedAt.toISOString(),
    updated_at: run.updatedAt.toISOString(),
    finished_at: run.finishedAt?.toISOString() ?? null,
  };
}

/** Serializes a step record. */
export function stepJson(step: StepRecord): StepJson {
  return {
    id: step.id,
    run_id: step.runId,
    chat_id: step.chatId,
    step_number: step.stepNumber,
    operation: step.operation,
    status: step.status,
    history_tip_message_id: step.historyTipMessageId,
    assistant_message_id: step.assistantMessageId,
    normalized_request: step.normalizedRequest,
    normalized_response: step.normalizedResponse,
    usage: step.usage,
    attempts: step.attempts,
    error: step.error,
    metadata: step.metadata,
    started_at: step.startedAt.toISOString(),
    updated_at: step.updatedAt.toISOString(),
    finished_at: step.finishedAt?.toISOString() ?? null,
  };
}

/** Serializes a run with its steps. */
export function runWithStepsJson({ run, steps }: RunWithSteps): RunWithStepsJson {
  return { ...runJson(run), steps: steps.map(stepJson) };
}

/** Version of the export document format. */
export const EXPORT_FORMAT_VERSION = 1;

/** The most runs a chat export holds (the newest ones), as in the reference system. */
export const EXPORT_RUN_LIMIT = 100;

/**
 * The export document: `scope: 'chat'` holds the chat's newest runs (at most
 * `limited_to_most_recent`), `scope: 'run'` one run. Runs are newest first, each with its steps.
 */
export interface ExportDocument {
  version: typeof EXPORT_FORMAT_VERSION;
  scope: 'chat' | 'run';
  exported_at: string;
  chat_id: string;
  /** Only with scope `run`. */
  run_id?: string;
  run_count: number;
  /** Only with scope `chat`. */
  limited_to_most_recent?: number;
  runs: RunWithStepsJson[];
}

/** Builds an export document. */
export function exportDocument(
  scope: ExportDocument['scope'],
  chatId: string,
  runs: readonly RunWithSteps[],
  exportedAt: Date,
  limit: number = EXPORT_RUN_LIMIT,
): ExportDocument {
  const base = { version: EXPORT_FORMAT_VERSION, scope, exported_at: exportedAt.toISOString(), chat_id: chatId } as const;
  const serialized = runs.map(runWithStepsJson);
  if (scope === 'run') return { ...base, run_id: runs[0]?.run.id ?? '', run_count: serialized.length, runs: serialized };
  return { ...base, run_count: serialized.length, limited_to_most_recent: limit, runs: serialized };
}
