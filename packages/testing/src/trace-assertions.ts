import { AssertionError } from 'node:assert';
import type { Exporter, JsonValue, RunRecord, RunWithSteps, StepRecord } from '@chatdebug/sdk';

/** A step with ids and times replaced by stable placeholders. */
export interface TraceStep {
  id: string;
  number: number;
  operation: string;
  status: string;
  request: JsonValue;
  response: JsonValue | null;
  usage: JsonValue | null;
  error: JsonValue | null;
  metadata: JsonValue;
  attempts: JsonValue[];
  assistantMessageId: number | null;
  historyTipMessageId: number | null;
  finished: boolean;
  /** Milliseconds from the run's start to the step's start and end (null while open). */
  startedAfterMillis: number;
  durationMillis: number | null;
}

/** A run with ids and times replaced by stable placeholders, and its steps in order. */
export interface TraceRun {
  id: string;
  chatId: string;
  kind: string;
  status: string;
  provider: string | null;
  model: string | null;
  summary: JsonValue;
  triggerMessageId: number | null;
  historyTipMessageId: number | null;
  finished: boolean;
  durationMillis: number | null;
  steps: TraceStep[];
}

/** Options of {@link normalizeTrace}. */
export interface NormalizeTraceOptions {
  /**
   * Replace ids and timestamps found inside JSON payloads (attempt times, ids echoed in summaries).
   * @defaultValue true
   */
  scrubPayloads?: boolean;
}

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;
const ISO_TIME = /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})/g;

/**
 * Turns stored runs (oldest first) into a tree that compares equal across test runs: run ids
 * become `run-1`, `run-2`…, step ids `step-1`…, chat ids `chat-1`…, in order of appearance, and
 * times become offsets from the run's start. Timestamps inside payloads become `<time>`.
 */
export function normalizeTrace(runs: readonly RunWithSteps[], options: NormalizeTraceOptions = {}): TraceRun[] {
  const ids = new Map<string, string>();
  const counters = { run: 0, step: 0, chat: 0, id: 0 };
  const placeholder = (id: string, kind: keyof typeof counters): string => {
    const key = id.toLowerCase();
    let name = ids.get(key);
    if (!name) {
      name = `${kind}-${++counters[kind]}`;
      ids.set(key, name);
    }
    return name;
  };
  // Name every known id first, so payloads that mention them get the same placeholder.
  for (const { run, steps } of runs) {
    placeholder(run.chatId, 'chat');
    placeholder(run.id, 'run');
    for (const step of steps) placeholder(step.id, 'step');
  }
  const scrub = options.scrubPayloads ?? true;
  const clean = (value: JsonValue): JsonValue => (scrub ? scrubJson(value, (id) => placeholder(id, 'id')) : value);

  return runs.map(({ run, steps }) => ({
    id: placeholder(run.id, 'run'),
    chatId: placeholder(run.chatId, 'chat'),
    kind: run.kind,
    status: run.status,
    provider: run.provider,
    model: run.model,
    summary: clean(run.summary),
    triggerMessageId: run.triggerMessageId,
    historyTipMessageId: run.historyTipMessageId,
    finished: run.finishedAt !== null,
    durationMillis: run.finishedAt === null ? null : run.finishedAt.getTime() - run.startedAt.getTime(),
    steps: steps.map((step) => normalizeStep(step, run, (id) => placeholder(id, 'step'), clean)),
  }));
}

function normalizeStep(step: StepRecord, run: RunRecord, name: (id: string) => string, clean: (value: JsonValue) => JsonValue): TraceStep {
  return {
    id: name(step.id),
    number: step.stepNumber,
    operation: step.operation,
    status: step.status,
    request: clean(step.normalizedRequest),
    response: step.normalizedResponse === null ? null : clean(step.normalizedResponse),
    usage: step.usage,
    error: step.error === null ? null : clean(step.error),
    metadata: clean(step.metadata),
    attempts: step.attempts.map(clean),
    assistantMessageId: step.assistantMessageId,
    historyTipMessageId: step.historyTipMessageId,
    finished: step.finishedAt !== null,
    startedAfterMillis: step.startedAt.getTime() - run.startedAt.getTime(),
    durationMillis: step.finishedAt === null ? null : step.finishedAt.getTime() - step.startedAt.getTime(),
  };
}

function scrubJson(value: JsonValue, name: (id: string) => string): JsonValue {
  if (typeof value === 'string') return value.replace(ISO_TIME, '<time>').replace(UUID, (id) => name(id));
  if (Array.isArray(value)) return value.map((item) => scrubJson(item, name));
  if (value !== null && typeof value === 'object') {
    const out: { [key: string]: JsonValue } = {};
    for (const [key, item] of Object.entries(value)) out[key] = scrubJson(item, name);
    return out;
  }
  return value;
}

/** Reads a chat's runs (oldest first) with their steps from any exporter. */
export async function readTrace(exporter: Exporter, chatId: string, options: { limit?: number } = {}): Promise<RunWithSteps[]> {
  const runs = await exporter.listRuns({ chatId, limit: options.limit ?? 100 });
  runs.reverse();
  return Promise.all(runs.map(async (run) => ({ run, steps: await exporter.listSteps(run.id) })));
}

/**
 * Renders a normalized trace as compact text, one line per run and step, for inline snapshots:
 * ```
 * run-1 chat_turn completed "What is 2+2?" steps=2 tokens=30→12
 *   1 generate completed tokens=10→4 attempts=1 "4"
 * ```
 */
export function formatTrace(trace: readonly TraceRun[]): string {
  const lines: string[] = [];
  for (const run of trace) {
    const summary = isObject(run.summary) ? run.summary : {};
    const label = typeof summary.first_message === 'string' ? ` ${JSON.stringify(summary.first_message)}` : '';
    const tokens = typeof summary.total_input_tokens === 'number' ? ` tokens=${summary.total_input_tokens}→${summary.total_output_tokens}` : '';
    const error = summary.has_error === true ? ' has_error' : '';
    lines.push(`${run.id} ${run.kind} ${run.status}${label} steps=${run.steps.length}${tokens}${error}`);
    for (const step of run.steps) {
      const usage = isObject(step.usage) ? ` tokens=${step.usage.input_tokens ?? 0}→${step.usage.output_tokens ?? 0}` : '';
      const preview = previewOf(step);
      lines.push(`  ${step.number} ${step.operation} ${step.status}${usage} attempts=${step.attempts.length}${preview ? ` ${JSON.stringify(preview)}` : ''}`);
    }
  }
  return lines.join('\n');
}

function previewOf(step: TraceStep): string {
  if (isObject(step.error) && typeof step.error.message === 'string') return `error: ${step.error.message}`;
  if (isObject(step.response) && Array.isArray(step.response.content)) {
    const text = step.response.content
      .map((part) => (isObject(part) ? (typeof part.text === 'string' ? part.text : typeof part.tool_name === 'string' ? `[tool ${part.tool_name}]` : '') : ''))
      .join('');
    return text.length > 60 ? `${text.slice(0, 59)}…` : text;
  }
  return '';
}

function isObject(value: unknown): value is Record<string, JsonValue> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A partial shape: objects list only the keys to check; arrays must match in length and order. */
export type TraceShape = unknown;

/**
 * Asserts that `actual` matches `expected` as a partial shape: every key given in `expected` must
 * be present and match (recursively); keys not given are ignored; arrays must have the same length
 * and match item by item. Throws an `AssertionError` naming the first mismatching path, with the
 * whole actual and expected values attached so test runners show a diff.
 *
 * @example
 * ```ts
 * assertTraceMatches(normalizeTrace(await readTrace(exporter, chatId)), [
 *   { kind: 'chat_turn', status: 'completed', steps: [{ number: 1, status: 'completed' }] },
 * ]);
 * ```
 */
export function assertTraceMatches(actual: unknown, expected: TraceShape): void {
  const mismatch = findMismatch(actual, expected, '$');
  if (mismatch) {
    throw new AssertionError({ message: `trace does not match at ${mismatch}`, actual, expected, operator: 'assertTraceMatches' });
  }
}

/**
 * Reads, normalizes and checks a chat's trace in one call; returns the normalized trace.
 */
export async function expectTrace(exporter: Exporter, chatId: string, expected: TraceShape): Promise<TraceRun[]> {
  const trace = normalizeTrace(await readTrace(exporter, chatId));
  assertTraceMatches(trace, expected);
  return trace;
}

function findMismatch(actual: unknown, expected: unknown, path: string): string | undefined {
  if (expected instanceof RegExp) return typeof actual === 'string' && expected.test(actual) ? undefined : path;
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) return `${path} (expected an array)`;
    if (actual.length !== expected.length) return `${path} (expected ${expected.length} items, got ${actual.length})`;
    for (let i = 0; i < expected.length; i++) {
      const inner = findMismatch(actual[i], expected[i], `${path}[${i}]`);
      if (inner) return inner;
    }
    return undefined;
  }
  if (expected !== null && typeof expected === 'object') {
    if (actual === null || typeof actual !== 'object' || Array.isArray(actual)) return `${path} (expected an object)`;
    for (const [key, value] of Object.entries(expected)) {
      const inner = findMismatch((actual as Record<string, unknown>)[key], value, `${path}.${key}`);
      if (inner) return inner;
    }
    return undefined;
  }
  return Object.is(actual, expected) ? undefined : `${path} (expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)})`;
}
