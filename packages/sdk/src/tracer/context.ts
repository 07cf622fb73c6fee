import { AsyncLocalStorage } from 'node:async_hooks';
import type { RunSpan, StepSpan } from './spans.js';

/** What is active in the current async context. */
export interface TraceContext {
  readonly run?: RunSpan;
  readonly step?: StepSpan;
}

const STORAGE_KEY = Symbol.for('@chatdebug/trace-context');

// One storage per process, shared by duplicate installs of this package, so a span made by
// one copy is visible to instrumentation loaded from another.
const storage: AsyncLocalStorage<TraceContext> = ((globalThis as Record<symbol, unknown>)[STORAGE_KEY] ??=
  new AsyncLocalStorage<TraceContext>()) as AsyncLocalStorage<TraceContext>;

/** The run active in this async context, if any. */
export function activeRun(): RunSpan | undefined {
  return storage.getStore()?.run;
}

/** The step active in this async context, if any. */
export function activeStep(): StepSpan | undefined {
  return storage.getStore()?.step;
}

/** Spans may carry this hook to let listeners follow activation (e.g. an OTel context). */
export const ACTIVATE: unique symbol = Symbol.for('@chatdebug/activate') as never;

/**
 * Recording steps carry this hook: `step[BEFORE_END](fn)` runs `fn` when the step ends, before its
 * final write, so work still attached to the step (an event-stream body nobody reads any more)
 * can settle into that write.
 */
export const BEFORE_END: unique symbol = Symbol.for('@chatdebug/before-end') as never;

/** A step that accepts {@link BEFORE_END} hooks; registering returns the hook's removal. */
export interface EndHookable {
  [BEFORE_END]?(fn: () => void): () => void;
}

/** A span that can wrap its own activation. */
export interface Activatable {
  [ACTIVATE]?<T>(fn: () => T): T;
}

function activate<T>(span: RunSpan | StepSpan, fn: () => T): T {
  const hook = (span as Activatable)[ACTIVATE];
  return hook ? hook.call<RunSpan | StepSpan, [() => T], T>(span, fn) : fn();
}

/** Runs `fn` with `run` active (and no active step). */
export function withRun<T>(run: RunSpan, fn: () => T): T {
  return storage.run({ run }, () => activate(run, fn));
}

/** Runs `fn` with `step` (and its run) active. */
export function withStep<T>(step: StepSpan, fn: () => T): T {
  return storage.run({ run: step.run, step }, () => activate(step, fn));
}
