import type { JsonNull, JsonObject, JsonValue, Operation, RunKind, RunRecord, Status, StepRecord } from '@chatdebug/sdk';
import { isJsonNull } from '@chatdebug/sdk';

/**
 * Columns read back for a run. JSON columns come back as text and are parsed here, so custom
 * type parsers on the caller's pool cannot change what a row means.
 */
export const RUN_COLUMNS = `id, chat_id, root_chat_id, parent_chat_id, model_config_id, trigger_message_id,
  history_tip_message_id, kind, status, provider, model, summary::text AS summary, started_at, updated_at, finished_at`;

/** Columns read back for a step (see {@link RUN_COLUMNS}). */
export const STEP_COLUMNS = `id, run_id, chat_id, step_number, operation, status, history_tip_message_id,
  assistant_message_id, normalized_request::text AS normalized_request, normalized_response::text AS normalized_response,
  usage::text AS usage, attempts::text AS attempts, error::text AS error, metadata::text AS metadata,
  started_at, updated_at, finished_at`;

/** A run row as the drivers return it: bigint as string (pg) or number (PGlite). */
export interface RunRow {
  id: string;
  chat_id: string;
  root_chat_id: string | null;
  parent_chat_id: string | null;
  model_config_id: string | null;
  trigger_message_id: string | number | bigint | null;
  history_tip_message_id: string | number | bigint | null;
  kind: string;
  status: string;
  provider: string | null;
  model: string | null;
  summary: string;
  started_at: Date | string;
  updated_at: Date | string;
  finished_at: Date | string | null;
}

/** A step row as the drivers return it. */
export interface StepRow {
  id: string;
  run_id: string;
  chat_id: string;
  step_number: number | string;
  operation: string;
  status: string;
  history_tip_message_id: string | number | bigint | null;
  assistant_message_id: string | number | bigint | null;
  normalized_request: string;
  normalized_response: string | null;
  usage: string | null;
  attempts: string;
  error: string | null;
  metadata: string;
  started_at: Date | string;
  updated_at: Date | string;
  finished_at: Date | string | null;
}

/** Maps a run row to a record. JSON `null` in `summary` reads back as `null`. */
export function toRunRecord(row: RunRow): RunRecord {
  return {
    id: row.id,
    chatId: row.chat_id,
    rootChatId: row.root_chat_id,
    parentChatId: row.parent_chat_id,
    modelConfigId: row.model_config_id,
    triggerMessageId: toNumber(row.trigger_message_id),
    historyTipMessageId: toNumber(row.history_tip_message_id),
    kind: row.kind as RunKind,
    status: row.status as Status,
    provider: row.provider,
    model: row.model,
    summary: parseJson(row.summary) as JsonObject,
    startedAt: toDate(row.started_at),
    updatedAt: toDate(row.updated_at),
    finishedAt: row.finished_at === null ? null : toDate(row.finished_at),
  };
}

/** Maps a step row to a record. SQL NULL and JSON `null` both read back as `null`. */
export function toStepRecord(row: StepRow): StepRecord {
  return {
    id: row.id,
    runId: row.run_id,
    chatId: row.chat_id,
    stepNumber: Number(row.step_number),
    operation: row.operation as Operation,
    status: row.status as Status,
    historyTipMessageId: toNumber(row.history_tip_message_id),
    assistantMessageId: toNumber(row.assistant_message_id),
    normalizedRequest: parseJson(row.normalized_request),
    normalizedResponse: parseJson(row.normalized_response),
    usage: parseJson(row.usage),
    attempts: parseJson(row.attempts) as JsonValue[],
    error: parseJson(row.error),
    metadata: parseJson(row.metadata) as JsonObject,
    startedAt: toDate(row.started_at),
    updatedAt: toDate(row.updated_at),
    finishedAt: row.finished_at === null ? null : toDate(row.finished_at),
  };
}

/** A JSON value to insert: SQL NULL for `null`, else its JSON text (cast to jsonb in SQL). */
export function jsonParam(value: JsonValue | null): string | null {
  return value === null ? null : JSON.stringify(value);
}

/**
 * A JSON field of an update: `undefined` (or `null`) → SQL NULL, which COALESCE turns into "keep
 * what is stored"; `JSON_NULL` → the JSON text `null`, which overwrites; anything else → its JSON.
 */
export function jsonPatchParam(value: JsonValue | JsonNull | undefined): string | null {
  if (value === undefined || value === null) return null;
  if (isJsonNull(value)) return 'null';
  return JSON.stringify(value);
}

/**
 * A never-null JSON column of an update (summary, metadata, attempts): `undefined` keeps what is
 * stored; `JSON_NULL` (not expected from the service, which already maps it) stores `empty`
 * rather than JSON null, so these columns always hold an object or an array.
 */
export function jsonReplaceParam(value: JsonValue | JsonNull | undefined, empty: '{}' | '[]'): string | null {
  if (value !== undefined && value !== null && isJsonNull(value)) return empty;
  return jsonPatchParam(value);
}

/** A timestamp parameter: ISO 8601 text (cast to timestamptz in SQL), or SQL NULL. */
export function dateParam(value: Date | null | undefined): string | null {
  return value === undefined || value === null ? null : value.toISOString();
}

function parseJson(text: string | null): JsonValue | null {
  return text === null ? null : (JSON.parse(text) as JsonValue);
}

function toNumber(value: string | number | bigint | null): number | null {
  return value === null ? null : Number(value);
}

function toDate(value: Date | string): Date {
  return value instanceof Date ? value : new Date(value);
}
