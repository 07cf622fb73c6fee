import type { JsonObject, JsonValue } from './json.js';
import type { Operation } from './operation.js';
import type { RunKind } from './run-kind.js';
import type { Status } from './status.js';

/** One unit of LLM work: a chat turn, a title generation, a compaction... (columns of `chat_debug_runs`). */
export interface RunRecord {
  id: string;
  chatId: string;
  /** Snapshot of the sub-chat root at run time; no foreign key so lineage survives deletion. */
  rootChatId: string | null;
  parentChatId: string | null;
  modelConfigId: string | null;
  /** Chat message that triggered the run. */
  triggerMessageId: number | null;
  /** Newest message id included in the prompt history. */
  historyTipMessageId: number | null;
  kind: RunKind;
  status: Status;
  provider: string | null;
  model: string | null;
  /** Seeded label plus aggregated totals (see `aggregateRunSummary`). */
  summary: JsonObject;
  startedAt: Date;
  /** Last write or heartbeat; the stale sweep and retention key off this. */
  updatedAt: Date;
  /** Set once on terminal status; write-once. */
  finishedAt: Date | null;
}

/** One model round trip inside a run (columns of `chat_debug_steps`). */
export interface StepRecord {
  id: string;
  runId: string;
  chatId: string;
  /** 1-based ordinal within the run, unique per run. */
  stepNumber: number;
  operation: Operation;
  status: Status;
  historyTipMessageId: number | null;
  assistantMessageId: number | null;
  normalizedRequest: JsonValue;
  normalizedResponse: JsonValue | null;
  usage: JsonValue | null;
  /** HTTP attempts, one entry per round trip (see `Attempt`). */
  attempts: JsonValue[];
  /** Normalized error; `null` when none or after a successful retry cleared it. */
  error: JsonValue | null;
  metadata: JsonObject;
  startedAt: Date;
  updatedAt: Date;
  finishedAt: Date | null;
}

/** A run with its steps, ordered by step number then start time. */
export interface RunWithSteps {
  run: RunRecord;
  steps: StepRecord[];
}
