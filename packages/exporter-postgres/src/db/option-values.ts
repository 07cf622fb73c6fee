import { InvalidArgumentError } from '@chatdebug/sdk';

/** An optional duration option: `fallback` when absent, else a non-negative integer of milliseconds. */
export function nonNegativeMillis(field: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 0) throw new InvalidArgumentError(field, 'expected a non-negative integer number of milliseconds');
  return value;
}

/** An optional count option: `fallback` when absent, else a positive integer. */
export function positiveInteger(field: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 1) throw new InvalidArgumentError(field, 'expected a positive integer');
  return value;
}
