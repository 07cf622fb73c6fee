import type { DebugEvent, RunRecord, StepRecord } from '@chatdebug/sdk';
import { NIL_UUID } from '@chatdebug/sdk';
import { formatAttempts, formatElapsed, formatTokens, oneLine, runLabel, stepPreview, stepTokens } from './format.js';
import type { RunJson } from './json-shapes.js';
import { runJson } from './json-shapes.js';
import type { Style } from './style.js';

/** An event with the row it points at, fetched after it arrived (absent when gone or not fetched). */
export interface ObservedEvent {
  event: DebugEvent;
  receivedAt: Date;
  run?: RunRecord;
  step?: StepRecord;
}

/** The one-line JSON form of an {@link ObservedEvent} (`tail --json`). */
export interface EventJson {
  at: string;
  kind: string;
  chat_id: string;
  run_id: string;
  step_id: string;
  run?: RunJson;
  step?: {
    id: string;
    step_number: number;
    operation: string;
    status: string;
    started_at: string;
    finished_at: string | null;
    usage: unknown;
    error: unknown;
    attempt_count: number;
    preview: string | null;
  };
}

/** Serializes an observed event for `tail --json`. */
export function eventJson({ event, receivedAt, run, step }: ObservedEvent): EventJson {
  const out: EventJson = { at: receivedAt.toISOString(), kind: event.kind, chat_id: event.chatId, run_id: event.runId, step_id: event.stepId };
  if (run) out.run = runJson(run);
  if (step) {
    out.step = {
      id: step.id,
      step_number: step.stepNumber,
      operation: step.operation,
      status: step.status,
      started_at: step.startedAt.toISOString(),
      finished_at: step.finishedAt?.toISOString() ?? null,
      usage: step.usage,
      error: step.error,
      attempt_count: step.attempts.length,
      preview: stepPreview(step)?.text ?? null,
    };
  }
  return out;
}

/** One line for a person: time, kind, ids, and a summary of the row. */
export function eventLine({ event, receivedAt, run, step }: ObservedEvent, style: Style): string {
  const time = style('gray', receivedAt.toISOString().slice(11, 23));
  const kind = style('bold', event.kind.padEnd(11));
  const parts: string[] = [];
  switch (event.kind) {
    case 'run_update':
      parts.push(`run ${event.runId}`);
      if (run) parts.push(run.kind, style.status(run.status), run.model ?? '-', run.finishedAt ? formatElapsed(run) : '', runLabel(run) ? style('dim', `"${oneLine(runLabel(run), 40)}"`) : '');
      else parts.push(style('dim', '(run no longer exists)'));
      break;
    case 'step_update': {
      parts.push(`run ${event.runId}`);
      if (step) {
        const preview = stepPreview(step, 50);
        parts.push(
          style('bold', `#${step.stepNumber}`),
          step.operation,
          style.status(step.status),
          step.finishedAt ? formatElapsed(step) : '',
          formatTokens(stepTokens(step)),
          formatAttempts(step.attempts.length),
          preview ? (preview.kind === 'error' ? style('red', `✗ ${preview.text}`) : style('dim', preview.text)) : '',
        );
      } else {
        parts.push(`step ${event.stepId}`, style('dim', '(step no longer exists)'));
      }
      break;
    }
    case 'finalize':
      parts.push(event.chatId === NIL_UUID ? 'stale runs and steps finalized by a sweep' : `chat ${event.chatId}: rows finalized`);
      break;
    case 'delete':
      parts.push(event.chatId === NIL_UUID ? 'runs deleted by retention (purge)' : `chat ${event.chatId}: runs deleted`);
      break;
  }
  return [time, kind, ...parts.filter((part) => part !== '')].join('  ');
}
