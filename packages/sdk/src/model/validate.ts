import { InvalidArgumentError } from '../errors/chat-debug-error.js';
import { NIL_UUID, isUuid } from './ids.js';
import type { Operation } from './operation.js';
import { OPERATIONS, isOperation } from './operation.js';
import type { RunKind } from './run-kind.js';
import { RUN_KIND_PATTERN, isRunKind } from './run-kind.js';
import type { Status } from './status.js';
import { STATUSES, TERMINAL_STATUSES, isStatus, isTerminalStatus } from './status.js';

const MAX_STEP_NUMBER = 2_147_483_647;

// The last UUID and run kind accepted: a process tracing one chat (or kind) over and over checks
// each only once. Strings are immutable, so a hit needs no second look.
let lastUuid: string | undefined;
let lastUuidLower = '';
let lastRunKind: string | undefined;

/** A required UUID (the nil UUID is rejected: it means "none"). Returned lowercased. */
export function requireUuid(field: string, value: unknown): string {
  if (value === lastUuid && value !== undefined) return lastUuidLower;
  if (!isUuid(value)) throw new InvalidArgumentError(field, `expected a UUID, got ${describe(value)}`);
  if (value === NIL_UUID) throw new InvalidArgumentError(field, 'the nil UUID is not a valid id here');
  lastUuidLower = value.toLowerCase();
  lastUuid = value;
  return lastUuidLower;
}

/** An optional UUID: undefined, null, `""` and the nil UUID all mean "none". */
export function optionalUuid(field: string, value: unknown): string | undefined {
  if (value === undefined || value === null || value === '' || value === NIL_UUID) return undefined;
  return requireUuid(field, value);
}

export function requireStatus(field: string, value: unknown): Status {
  if (!isStatus(value)) throw new InvalidArgumentError(field, `unknown status ${describe(value)}; expected one of ${STATUSES.join(', ')}`);
  return value;
}

/** A status that ends a span: completed, error or interrupted (never in_progress). */
export function requireTerminalStatus(field: string, value: unknown): Status {
  const status = requireStatus(field, value);
  if (!isTerminalStatus(status)) throw new InvalidArgumentError(field, `a span ends with ${TERMINAL_STATUSES.join(', ')}, not ${status}`);
  return status;
}

export function optionalStatus(field: string, value: unknown): Status | undefined {
  return value === undefined || value === null || value === '' ? undefined : requireStatus(field, value);
}

export function requireOperation(field: string, value: unknown): Operation {
  if (!isOperation(value)) throw new InvalidArgumentError(field, `unknown operation ${describe(value)}; expected one of ${OPERATIONS.join(', ')}`);
  return value;
}

export function requireRunKind(field: string, value: unknown): RunKind {
  if (value === lastRunKind && lastRunKind !== undefined) return lastRunKind;
  if (!isRunKind(value)) throw new InvalidArgumentError(field, `invalid run kind ${describe(value)}; expected ${RUN_KIND_PATTERN.source}`);
  lastRunKind = value;
  return value;
}

/** A 1-based step number that fits PostgreSQL's int. */
export function requireStepNumber(field: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > MAX_STEP_NUMBER) {
    throw new InvalidArgumentError(field, `expected an integer from 1 to ${MAX_STEP_NUMBER}, got ${describe(value)}`);
  }
  return value;
}

/** An optional message id: a non-negative safe integer; 0 means "none", as in the reference. */
export function optionalMessageId(field: string, value: unknown): number | undefined {
  if (value === undefined || value === null || value === 0) return undefined;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new InvalidArgumentError(field, `expected a non-negative integer, got ${describe(value)}`);
  }
  return value;
}

/** An optional non-empty string; `""` means "none". */
export function optionalText(field: string, value: unknown): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') throw new InvalidArgumentError(field, `expected a string, got ${describe(value)}`);
  return value;
}

export function optionalDate(field: string, value: unknown): Date | undefined {
  if (value === undefined || value === null) return undefined;
  if (!(value instanceof Date) || Number.isNaN(value.getTime())) throw new InvalidArgumentError(field, `expected a valid Date, got ${describe(value)}`);
  return value;
}

export function requireDate(field: string, value: unknown): Date {
  const date = optionalDate(field, value);
  if (date === undefined) throw new InvalidArgumentError(field, 'a Date is required');
  return date;
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null || value === undefined) return String(value);
  return typeof value;
}
