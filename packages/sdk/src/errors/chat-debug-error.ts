const BRAND = Symbol.for('@chatdebug/error');

/** Stable error codes. Scripts and callers match on these, never on message text. */
export const ERROR_CODES = [
  'invalid_argument',
  'run_not_found',
  'run_finalized',
  'step_insert_no_rows',
  'step_number_exhausted',
  'not_found',
  'aborted',
  'timeout',
  'shutdown',
  'exporter_failed',
  'migration_failed',
  'unavailable',
] as const;

/** One of {@link ERROR_CODES}. */
export type ErrorCode = (typeof ERROR_CODES)[number];

/**
 * Base class of every error chatdebug throws on purpose.
 *
 * `code` is stable across releases. `cause` keeps the underlying error (for example pg's
 * `DatabaseError`, so its `code` and `constraint` survive).
 */
export class ChatDebugError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
    Object.defineProperty(this, BRAND, { value: true, enumerable: false });
  }

  /**
   * True for any chatdebug error, also one thrown by a second copy of this package.
   * With `code`, true only for errors of that code.
   */
  static is(value: unknown, code?: ErrorCode): value is ChatDebugError {
    if (typeof value !== 'object' || value === null) return false;
    if ((value as Record<symbol, unknown>)[BRAND] !== true) return false;
    return code === undefined || (value as ChatDebugError).code === code;
  }
}

/** Bad input at an API boundary: an invalid UUID, an unknown status, a negative step number... */
export class InvalidArgumentError extends ChatDebugError {
  /** The parameter that was rejected, e.g. `chatId` or `status`. */
  readonly field: string;

  constructor(field: string, message: string) {
    super('invalid_argument', `${field}: ${message}`);
    this.field = field;
  }
}

/** The parent run of a step does not exist or belongs to another chat. */
export class RunNotFoundError extends ChatDebugError {
  readonly runId: string;
  constructor(runId: string) {
    super('run_not_found', `parent run not found (run ${runId})`);
    this.runId = runId;
  }
}

/** The parent run of a step is already finalized; no step may be added to it. */
export class RunFinalizedError extends ChatDebugError {
  readonly runId: string;
  constructor(runId: string) {
    super('run_finalized', `parent run is already finalized (run ${runId})`);
    this.runId = runId;
  }
}

/** The guarded step insert found no row although the run is open: never masked as a terminal case. */
export class StepInsertUnexpectedError extends ChatDebugError {
  readonly runId: string;
  constructor(runId: string) {
    super('step_insert_no_rows', `step insert returned no rows but run is still active (run ${runId})`);
    this.runId = runId;
  }
}

/** Step-number collisions persisted through every retry. */
export class StepNumberExhaustedError extends ChatDebugError {
  readonly runId: string;
  constructor(runId: string, attempts: number) {
    super('step_number_exhausted', `failed to create step after ${attempts} retries (run ${runId})`);
    this.runId = runId;
  }
}

/** An update addressed a row that does not exist (or exists under another chat). */
export class NotFoundError extends ChatDebugError {
  constructor(what: string, id: string) {
    super('not_found', `${what} not found (${id})`);
  }
}

/** The caller's AbortSignal fired. */
export class AbortedError extends ChatDebugError {
  constructor(message = 'operation aborted', options?: { cause?: unknown }) {
    super('aborted', message, options);
  }
}

/** An operation ran past its own deadline. */
export class TimeoutError extends ChatDebugError {
  constructor(what: string, millis: number) {
    super('timeout', `${what} timed out after ${millis} ms`);
  }
}
