import type { Logger } from '../logger/logger.js';
import type { JsonObject, JsonValue } from '../model/json.js';
import { isJsonObject } from '../model/json.js';
import type { StepRecord } from '../model/records.js';

/** Longest label, in Unicode code points. */
export const MAX_LABEL_LENGTH = 200;

/**
 * Collapses every whitespace run to one space and trims; if the result is longer than `max` code
 * points, keeps `max − 1` and appends `…`, so the result never exceeds `max`. `max ≤ 0` gives `""`.
 */
export function truncateLabel(text: string, max: number = MAX_LABEL_LENGTH): string {
  if (max <= 0) return '';
  // Fast path: already collapsed and trimmed, and short enough that its UTF-16 length (an upper
  // bound on code points) fits.
  if (text.length <= max && text !== '' && isCollapsed(text)) return text;
  const collapsed = text.replace(/\s+/gu, ' ').trim();
  if (collapsed === '') return '';
  const runes = Array.from(collapsed);
  if (runes.length <= max) return collapsed;
  return `${runes.slice(0, max - 1).join('')}…`;
}

/**
 * True when `text` has no leading or trailing whitespace and no whitespace other than single
 * spaces, i.e. collapsing and trimming (`\s`, as in the regular expression) leave it unchanged.
 */
function isCollapsed(text: string): boolean {
  let previousSpace = true; // a space at index 0 is leading whitespace
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === 0x20) {
      if (previousSpace) return false;
      previousSpace = true;
    } else if (code <= 0x20 ? code >= 0x09 && code <= 0x0d : code >= 0xa0 && isOtherWhitespace(code)) {
      return false;
    } else {
      previousSpace = false;
    }
  }
  return !previousSpace;
}

/** `\s` beyond ASCII: NBSP, Ogham space, U+2000–U+200A, line/paragraph separators, and a few more. */
function isOtherWhitespace(code: number): boolean {
  return (
    code === 0xa0 ||
    code === 0x1680 ||
    (code >= 0x2000 && code <= 0x200a) ||
    code === 0x2028 ||
    code === 0x2029 ||
    code === 0x202f ||
    code === 0x205f ||
    code === 0x3000 ||
    code === 0xfeff
  );
}

/** `{ first_message: label }`, or undefined for an empty label. */
export function seedSummary(label: string): JsonObject | undefined {
  return label === '' ? undefined : { first_message: label };
}

/** A message of a normalized prompt: a role and its parts. */
export interface PromptMessage {
  role: string;
  parts?: ReadonlyArray<{ type: string; text?: string }>;
  /** Plain-string content, as in provider wire formats; used when `parts` is absent. */
  content?: unknown;
}

/**
 * The text of the first user message: its text parts concatenated with no separator (files and
 * other parts skipped); `""` when there is no user message.
 */
export function extractFirstUserText(messages: readonly PromptMessage[] | undefined): string {
  const first = messages?.find((message) => message.role === 'user');
  if (!first) return '';
  if (first.parts) return first.parts.filter((part) => part.type === 'text').map((part) => part.text ?? '').join('');
  if (typeof first.content === 'string') return first.content;
  if (Array.isArray(first.content)) {
    return first.content
      .filter((part): part is { type: string; text: string } => isJsonObject(part) && part.type === 'text' && typeof part.text === 'string')
      .map((part) => part.text)
      .join('');
  }
  return '';
}

/** Summary keys recomputed by {@link aggregateRunSummary}; stale values are always removed first. */
export const DERIVED_SUMMARY_KEYS = [
  'step_count',
  'total_input_tokens',
  'total_output_tokens',
  'total_reasoning_tokens',
  'total_cache_creation_tokens',
  'total_cache_read_tokens',
  'endpoint_label',
  'has_error',
] as const;

const USAGE_TOTALS = [
  ['input_tokens', 'total_input_tokens'],
  ['output_tokens', 'total_output_tokens'],
  ['reasoning_tokens', 'total_reasoning_tokens'],
  ['cache_creation_tokens', 'total_cache_creation_tokens'],
  ['cache_read_tokens', 'total_cache_read_tokens'],
] as const;

/**
 * Folds a run's steps into its summary: a shallow copy of `base` (never mutated) without the
 * derived keys, then `step_count`, `total_input_tokens`, `total_output_tokens` always; reasoning
 * and cache totals only when above zero; `has_error: true` only when a step failed (an interrupted
 * step's error does not count); `endpoint_label` ("METHOD /path") from the first completed attempt.
 * Steps must be in step order. Malformed usage or attempts are skipped (the step still counts).
 */
export function aggregateRunSummary(steps: readonly StepRecord[], base: JsonObject | undefined, logger?: Logger): JsonObject {
  const summary: JsonObject = { ...base };
  for (const key of DERIVED_SUMMARY_KEYS) delete summary[key];

  const totals = new Map<string, number>();
  let hasError = false;
  let endpointLabel: string | undefined;
  for (const step of steps) {
    if (step.status === 'error' || (hasErrorPayload(step.error) && step.status !== 'interrupted')) hasError = true;
    const usage = parseUsage(step.usage);
    if (usage === 'malformed') {
      logger?.warn('skipping malformed step usage in summary', { step_id: step.id });
    } else if (usage) {
      for (const [from, to] of USAGE_TOTALS) totals.set(to, (totals.get(to) ?? 0) + (usage[from] ?? 0));
    }
    endpointLabel ??= firstCompletedEndpoint(step.attempts);
  }

  summary.step_count = steps.length;
  summary.total_input_tokens = totals.get('total_input_tokens') ?? 0;
  summary.total_output_tokens = totals.get('total_output_tokens') ?? 0;
  for (const [, to] of USAGE_TOTALS.slice(2)) {
    const total = totals.get(to) ?? 0;
    if (total > 0) summary[to] = total;
  }
  if (endpointLabel !== undefined) summary.endpoint_label = endpointLabel;
  if (hasError) summary.has_error = true;
  return summary;
}

function hasErrorPayload(error: JsonValue | null): boolean {
  if (error === null || error === undefined) return false;
  if (typeof error === 'string') return error !== '';
  if (Array.isArray(error)) return error.length > 0;
  if (typeof error === 'object') return Object.keys(error).length > 0;
  return true;
}

type UsageCounts = Partial<Record<(typeof USAGE_TOTALS)[number][0], number>>;

function parseUsage(usage: JsonValue | null): UsageCounts | undefined | 'malformed' {
  if (usage === null || usage === undefined || usage === '') return undefined;
  if (!isJsonObject(usage)) return 'malformed';
  const counts: UsageCounts = {};
  for (const [key] of USAGE_TOTALS) {
    const value = usage[key];
    if (value === undefined || value === null) continue;
    if (typeof value !== 'number' || !Number.isFinite(value)) return 'malformed';
    counts[key] = value;
  }
  return counts;
}

function firstCompletedEndpoint(attempts: readonly JsonValue[] | null | undefined): string | undefined {
  if (!Array.isArray(attempts)) return undefined;
  for (const attempt of attempts) {
    if (!isJsonObject(attempt) || attempt.status !== 'completed') continue;
    const path = typeof attempt.path === 'string' ? attempt.path : '';
    if (path === '') continue;
    const method = typeof attempt.method === 'string' ? attempt.method : '';
    return method === '' ? path : `${method} ${path}`;
  }
  return undefined;
}
