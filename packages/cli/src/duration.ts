import { CliError } from './cli-error.js';

const UNIT_MILLIS: Record<string, number> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

const PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/gy;

/**
 * Parses a duration such as `500ms`, `30s`, `5m`, `2h`, `30d` or `1h30m` into milliseconds.
 * A unit is required. Throws a usage {@link CliError} naming `what` for anything else.
 *
 * @example
 * ```ts
 * parseDuration('5m'); // 300_000
 * ```
 */
export function parseDuration(text: string, what = 'duration'): number {
  const input = text.trim().toLowerCase();
  let total = 0;
  let matched = 0;
  PART.lastIndex = 0;
  for (let match = PART.exec(input); match !== null; match = PART.exec(input)) {
    total += Number(match[1]) * (UNIT_MILLIS[match[2] ?? ''] ?? Number.NaN);
    matched = PART.lastIndex;
  }
  if (input === '' || matched !== input.length || !Number.isFinite(total) || total > Number.MAX_SAFE_INTEGER) {
    throw new CliError('usage', `${what}: expected a duration like 30s, 5m, 2h or 30d, got "${text}"`);
  }
  return Math.round(total);
}

/** Formats milliseconds for people: `850ms`, `1.2s`, `3m 05s`, `2h 10m`, `3d 4h`. */
export function formatDuration(millis: number): string {
  if (!Number.isFinite(millis) || millis < 0) return '?';
  if (millis < 1_000) return `${Math.round(millis)}ms`;
  if (millis < 60_000) return `${(millis / 1_000).toFixed(millis < 10_000 ? 2 : 1)}s`;
  const seconds = Math.floor(millis / 1_000);
  if (seconds < 3_600) return `${Math.floor(seconds / 60)}m ${String(seconds % 60).padStart(2, '0')}s`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3_600)}h ${String(Math.floor((seconds % 3_600) / 60)).padStart(2, '0')}m`;
  return `${Math.floor(seconds / 86_400)}d ${Math.floor((seconds % 86_400) / 3_600)}h`;
}

/** Milliseconds as a flag value in the largest exact unit: `5m`, `30s`, `1500ms`. */
export function formatDurationFlag(millis: number): string {
  for (const unit of ['d', 'h', 'm', 's'] as const) {
    const size = UNIT_MILLIS[unit] ?? 1;
    if (millis >= size && millis % size === 0) return `${millis / size}${unit}`;
  }
  return `${millis}ms`;
}
