import type {
  Clock,
  Exporter,
  FinalizeStaleResult,
  RunRecord,
  RunTouch,
  RunUpdate,
  StepInsertResult,
  StepRecord,
  StepTouch,
  StepUpdate,
} from '@chatdebug/sdk';
import { isJsonNull, systemClock } from '@chatdebug/sdk';

/** The name of a method of the exporter port. */
export type ExporterMethod = {
  [K in keyof Exporter]-?: NonNullable<Exporter[K]> extends (...args: never[]) => unknown ? K : never;
}[keyof Exporter];

/** One call of the exporter port: the method and its arguments, typed per method. */
export type ExporterCall = {
  [K in ExporterMethod]: { readonly method: K; readonly args: Parameters<NonNullable<Exporter[K]>> };
}[ExporterMethod];

/** What became of a logged call. */
export type ExporterCallOutcome = 'pending' | 'ok' | 'failed' | 'injected';

/** A logged call: a snapshot of its arguments (taken when it was made) and its outcome. */
export type RecordedExporterCall = ExporterCall & {
  /** `injected` when this wrapper failed it, `failed` when the wrapped exporter threw. */
  readonly outcome: ExporterCallOutcome;
  /** The error it failed with, if any. */
  readonly error?: unknown;
};

/** Picks the calls a fault applies to. */
export type ExporterCallPredicate = (call: ExporterCall) => boolean;

/** An error to inject, or a factory making a fresh one per failed call. */
export type InjectedError = Error | ((call: ExporterCall) => Error);

/**
 * The default injected error: what node-postgres reports when the server terminates the
 * connection (SQLSTATE 57P01), which the SDK treats as transient.
 */
export class InjectedConnectionError extends Error {
  /** PostgreSQL's SQLSTATE for `admin_shutdown`. */
  readonly code = '57P01';
  /** The method that was failed. */
  readonly method: ExporterMethod;

  constructor(method: ExporterMethod) {
    super(`terminating connection due to administrator command (injected fault in ${method})`);
    this.name = 'InjectedConnectionError';
    this.method = method;
  }
}

interface FaultRule {
  readonly predicate: ExporterCallPredicate;
  readonly error: InjectedError | undefined;
  remaining: number;
}

interface DelayRule {
  readonly millis: number;
  readonly clock: Clock;
  readonly predicate: ExporterCallPredicate | undefined;
}

interface CallEntry {
  call: ExporterCall;
  outcome: ExporterCallOutcome;
  error?: unknown;
}

/**
 * Wraps an exporter and makes it misbehave on purpose: fail the next N calls, fail calls that
 * match a predicate, or delay calls on a {@link Clock} (a `MockClock` in tests, so nothing
 * sleeps). Every call is logged with a snapshot of its arguments and its outcome. Failed calls
 * never reach the wrapped exporter (the fault happens "before the write").
 *
 * @example
 * ```ts
 * const exporter = new FaultInjectingExporter(new MemoryExporter());
 * exporter.failMatching((call) => call.method === 'insertStep', undefined, 1);
 * await expect(service.createStep(params)).rejects.toMatchObject({ code: '57P01' });
 * ```
 */
export class FaultInjectingExporter implements Exporter {
  /** The exporter calls are forwarded to. */
  readonly inner: Exporter;
  readonly #rules: FaultRule[] = [];
  readonly #log: CallEntry[] = [];
  #delay: DelayRule | undefined;
  #inFlight = 0;
  #idleWaiters: Array<() => void> = [];

  constructor(inner: Exporter) {
    this.inner = inner;
  }

  /**
   * Fails the next `count` calls (any method) with `error`.
   * @param error @defaultValue a fresh {@link InjectedConnectionError} per call
   */
  failNext(count: number, error?: InjectedError): this {
    return this.failMatching(() => true, error, count);
  }

  /**
   * Fails calls for which `predicate` is true, `times` times.
   * @param error @defaultValue a fresh {@link InjectedConnectionError} per call
   * @param times @defaultValue Infinity
   */
  failMatching(predicate: ExporterCallPredicate, error?: InjectedError, times = Number.POSITIVE_INFINITY): this {
    if (!(times >= 0)) throw new RangeError('times must be ≥ 0');
    this.#rules.push({ predicate, error, remaining: times });
    return this;
  }

  /**
   * Delays every later call (or those matching `predicate`) by `millis` on `clock` before it
   * runs or fails. `delay(0)` removes the delay.
   * @param clock @defaultValue the system clock (a real wait); pass a `MockClock` in tests
   */
  delay(millis: number, clock: Clock = systemClock, predicate?: ExporterCallPredicate): this {
    if (!Number.isFinite(millis) || millis < 0) throw new RangeError('millis must be a finite number ≥ 0');
    this.#delay = millis === 0 ? undefined : { millis, clock, predicate };
    return this;
  }

  /** Every call so far, oldest first, with argument snapshots and outcomes. */
  get calls(): RecordedExporterCall[] {
    return this.#log.map((entry) => ({ ...entry.call, outcome: entry.outcome, ...(entry.error === undefined ? {} : { error: entry.error }) }) as RecordedExporterCall);
  }

  /** The methods called so far, in order (handy for `toEqual([...])`). */
  methods(): ExporterMethod[] {
    return this.#log.map((entry) => entry.call.method);
  }

  /** How many calls were made, of one method or in total. */
  callCount(method?: ExporterMethod): number {
    return method === undefined ? this.#log.length : this.#log.filter((entry) => entry.call.method === method).length;
  }

  /** Calls started and not yet settled (including those waiting out a delay). */
  get inFlight(): number {
    return this.#inFlight;
  }

  /**
   * Resolves once no call is in flight and none started during a few event-loop turns after the
   * last one settled, so work chained on a finished call (the next write of a sequence) is awaited
   * too. Calls delayed on a `MockClock` only settle when that clock advances.
   */
  async idle(): Promise<void> {
    for (;;) {
      if (this.#inFlight > 0) {
        await new Promise<void>((resolve) => this.#idleWaiters.push(resolve));
        continue;
      }
      for (let turn = 0; turn < 3; turn++) await new Promise<void>((resolve) => setImmediate(resolve));
      if (this.#inFlight === 0) return;
    }
  }

  /** Forgets the call log only. */
  clearCalls(): void {
    this.#log.length = 0;
  }

  /** Removes every fault and delay and forgets the call log. */
  reset(): void {
    this.#rules.length = 0;
    this.#delay = undefined;
    this.#log.length = 0;
  }

  insertRun(run: RunRecord): Promise<RunRecord> {
    return this.#call({ method: 'insertRun', args: [run] }, () => this.inner.insertRun(run));
  }

  updateRun(update: RunUpdate): Promise<RunRecord | undefined> {
    return this.#call({ method: 'updateRun', args: [update] }, () => this.inner.updateRun(update));
  }

  insertStep(step: StepRecord): Promise<StepInsertResult> {
    return this.#call({ method: 'insertStep', args: [step] }, () => this.inner.insertStep(step));
  }

  updateStep(update: StepUpdate): Promise<StepRecord | undefined> {
    return this.#call({ method: 'updateStep', args: [update] }, () => this.inner.updateStep(update));
  }

  touchStepAndRun(touch: StepTouch): Promise<void> {
    return this.#call({ method: 'touchStepAndRun', args: [touch] }, () => this.inner.touchStepAndRun(touch));
  }

  touchRun(touch: RunTouch): Promise<void> {
    return this.#call({ method: 'touchRun', args: [touch] }, () => this.inner.touchRun(touch));
  }

  finalizeStale(params: { now: Date; updatedBefore: Date }): Promise<FinalizeStaleResult> {
    return this.#call({ method: 'finalizeStale', args: [params] }, () => this.inner.finalizeStale(params));
  }

  deleteByChatId(params: { chatId: string; startedBefore: Date }): Promise<number> {
    return this.#call({ method: 'deleteByChatId', args: [params] }, () => this.inner.deleteByChatId(params));
  }

  deleteAfterMessageId(params: { chatId: string; messageId: number; startedBefore: Date }): Promise<number> {
    return this.#call({ method: 'deleteAfterMessageId', args: [params] }, () => this.inner.deleteAfterMessageId(params));
  }

  purgeRuns(params: { updatedBefore: Date; limit: number }): Promise<number> {
    return this.#call({ method: 'purgeRuns', args: [params] }, () => this.inner.purgeRuns(params));
  }

  countRunsUpdatedBefore(updatedBefore: Date): Promise<number> {
    return this.#call({ method: 'countRunsUpdatedBefore', args: [updatedBefore] }, () => this.inner.countRunsUpdatedBefore(updatedBefore));
  }

  getRun(runId: string): Promise<RunRecord | undefined> {
    return this.#call({ method: 'getRun', args: [runId] }, () => this.inner.getRun(runId));
  }

  listRuns(params: { chatId: string; limit: number }): Promise<RunRecord[]> {
    return this.#call({ method: 'listRuns', args: [params] }, () => this.inner.listRuns(params));
  }

  listSteps(runId: string): Promise<StepRecord[]> {
    return this.#call({ method: 'listSteps', args: [runId] }, () => this.inner.listSteps(runId));
  }

  /** Shuts the wrapped exporter down (when it has a `shutdown`); subject to faults like any call. */
  shutdown(): Promise<void> {
    return this.#call({ method: 'shutdown', args: [] }, async () => {
      await this.inner.shutdown?.();
    });
  }

  async #call<T>(call: ExporterCall, forward: () => Promise<T>): Promise<T> {
    const entry: CallEntry = { call: snapshot(call), outcome: 'pending' };
    this.#log.push(entry);
    this.#inFlight++;
    try {
      return await this.#run(call, entry, forward);
    } finally {
      if (--this.#inFlight === 0) {
        const waiters = this.#idleWaiters;
        this.#idleWaiters = [];
        for (const wake of waiters) wake();
      }
    }
  }

  async #run<T>(call: ExporterCall, entry: CallEntry, forward: () => Promise<T>): Promise<T> {
    const rule = this.#rules.find((candidate) => candidate.remaining > 0 && candidate.predicate(call));
    if (rule) rule.remaining--;
    const delay = this.#delay;
    if (delay && (!delay.predicate || delay.predicate(call))) {
      await new Promise<void>((resolve) => delay.clock.setTimeout(resolve, delay.millis));
    }
    if (rule) {
      const error = rule.error === undefined ? new InjectedConnectionError(call.method) : typeof rule.error === 'function' ? rule.error(call) : rule.error;
      entry.outcome = 'injected';
      entry.error = error;
      throw error;
    }
    try {
      const result = await forward();
      entry.outcome = 'ok';
      return result;
    } catch (error) {
      entry.outcome = 'failed';
      entry.error = error;
      throw error;
    }
  }
}

/** A deep copy of the call's arguments that keeps the `JSON_NULL` sentinel as it is. */
function snapshot(call: ExporterCall): ExporterCall {
  return { method: call.method, args: copy(call.args) } as ExporterCall;
}

function copy<T>(value: T): T {
  if (value instanceof Date) return new Date(value.getTime()) as T;
  if (isJsonNull(value)) return value;
  if (Array.isArray(value)) return value.map((item: unknown) => copy(item)) as T;
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) out[key] = copy(item);
    return out as T;
  }
  return value;
}
