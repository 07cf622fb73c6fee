import { InvalidArgumentError } from '../errors/chat-debug-error.js';
import { describeError } from '../logger/logger.js';
import type { Status } from '../model/status.js';
import type { PayloadBounds } from '../payload/bounds.js';
import { extractFirstUserText } from '../service/summary.js';
import { activeRun } from '../tracer/context.js';
import type { RunSpan, StepSpan } from '../tracer/spans.js';
import type { Tracer } from '../tracer/tracer.js';
import type { NormalizedRequest } from './normalize/normalized.js';

/** What a wrapped call does when no run is active. */
export const WHEN_NO_RUN_MODES = ['passthrough', 'create-run'] as const;

/** One of {@link WHEN_NO_RUN_MODES}: call untraced, or start a `chat_turn` run just for the call. */
export type WhenNoRun = (typeof WHEN_NO_RUN_MODES)[number];

/** Options shared by the wrappers: where steps go and what happens outside a run. */
export interface InstrumentationOptions {
  /** The tracer steps (and created runs) are recorded with. */
  tracer: Tracer;
  /**
   * Without an active run: `passthrough` calls the client untraced; `create-run` starts a
   * `chat_turn` run for the call (ended when the call, or its stream, ends).
   * @defaultValue 'passthrough'
   */
  whenNoRun?: WhenNoRun;
  /**
   * The chat a created run belongs to (required by `create-run`); a function is asked at each
   * call, and returning undefined skips tracing that call.
   */
  chatId?: string | (() => string | undefined);
  /** Text and body bounds of what is recorded (defaults: 10,000 runes, 50,000 bytes). */
  bounds?: PayloadBounds;
}

/** Checks the shared options once, at construction. */
export function validateInstrumentationOptions(options: InstrumentationOptions, where: string): void {
  if (typeof options !== 'object' || options === null || typeof options.tracer !== 'object' || options.tracer === null) {
    throw new InvalidArgumentError('tracer', `${where} needs a tracer (createTracer({ exporter }))`);
  }
  const mode = options.whenNoRun ?? 'passthrough';
  if (!WHEN_NO_RUN_MODES.includes(mode)) {
    throw new InvalidArgumentError('whenNoRun', `must be one of ${WHEN_NO_RUN_MODES.join(', ')}, got ${String(mode)}`);
  }
  if (mode === 'create-run' && options.chatId === undefined) {
    throw new InvalidArgumentError('chatId', `${where} with whenNoRun 'create-run' needs a chatId (a string or a function)`);
  }
}

/** The run a call is recorded in, and whether the wrapper owns (and so ends) it. */
export interface CallScope {
  run: RunSpan;
  owned: boolean;
}

/**
 * Picks the active recording run, or starts a `chat_turn` run in `create-run` mode; undefined
 * means "call untraced".
 */
export function resolveCallScope(options: InstrumentationOptions, seed: { provider?: string; request?: NormalizedRequest }): CallScope | undefined {
  const active = activeRun();
  if (active && active.isRecording && !active.ended) return { run: active, owned: false };
  if ((options.whenNoRun ?? 'passthrough') !== 'create-run') return undefined;
  const logger = options.tracer.service.logger;
  let chatId: string | undefined;
  try {
    chatId = typeof options.chatId === 'function' ? options.chatId() : options.chatId;
  } catch (error) {
    logger.warn('chatdebug: the chatId resolver threw; call not traced', { error: describeError(error) });
    return undefined;
  }
  if (chatId === undefined) return undefined;
  const label = seed.request ? extractFirstUserText(seed.request.messages) : '';
  const run = options.tracer.startRun({
    chatId,
    kind: 'chat_turn',
    ...(seed.provider ? { provider: seed.provider } : {}),
    ...(seed.request?.model ? { model: seed.request.model } : {}),
    ...(label ? { label } : {}),
  });
  return run.isRecording ? { run, owned: true } : undefined;
}

/** Ends an owned run with the step's outcome (once). */
export function endOwnedRun(scope: CallScope | undefined, step: StepSpan | undefined, fallback: Status = 'interrupted'): void {
  if (!scope?.owned || scope.run.ended) return;
  scope.run.recordOutcome(step?.status ?? fallback);
  scope.run.end();
}
