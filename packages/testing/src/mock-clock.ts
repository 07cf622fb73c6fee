import type { Clock, TimerHandle } from '@chatdebug/sdk';

/** The instant a {@link MockClock} starts at when none is given: 2026-01-01T00:00:00Z. */
export const DEFAULT_MOCK_CLOCK_START = Date.UTC(2026, 0, 1);

/** The handle a {@link MockClock} timer returns. `unref()` and `ref()` do nothing. */
export class MockTimerHandle implements TimerHandle {
  /** Sequence number of the timer, unique per clock. */
  readonly id: number;

  constructor(id: number) {
    this.id = id;
  }

  /** No-op: a mock timer never holds the process open. Returns the handle, as Node's does. */
  unref(): this {
    return this;
  }

  /** No-op, for symmetry with Node's timers. */
  ref(): this {
    return this;
  }
}

interface MockTimer {
  readonly handle: MockTimerHandle;
  readonly callback: () => unknown;
  /** Repeat period for intervals; undefined for one-shot timers. */
  readonly intervalMillis: number | undefined;
  due: number;
  /** Tie-breaker among timers due at the same instant: arming order. */
  order: number;
}

/** Options of {@link MockClock.advanceAsync} and {@link MockClock.settle}. */
export interface MockClockSettleOptions {
  /**
   * Event-loop turns (`setImmediate`) allowed after each timer fires, so promise chains and
   * immediates it started can run before the next timer.
   * @defaultValue 5
   */
  flushTurns?: number;
}

const DEFAULT_FLUSH_TURNS = 5;

/**
 * A {@link Clock} whose time only moves when a test says so. Timers and intervals registered on
 * it fire, in time order, while the test advances the clock; each callback sees `now()` equal to
 * its own due time. Nothing ever sleeps.
 *
 * Use {@link MockClock.advance} when the work is synchronous, and {@link MockClock.advanceAsync}
 * (plus {@link MockClock.settle}) when timers start asynchronous work (an export flush, a retry
 * backoff, a heartbeat write) that must finish before the test looks at the result.
 *
 * @example
 * ```ts
 * const clock = new MockClock();
 * const service = new DebugService({ exporter: new MemoryExporter(), clock });
 * await clock.advanceAsync(60_000); // heartbeats and flushes due in the next minute run here
 * ```
 */
export class MockClock implements Clock {
  #now: number;
  #nextId = 1;
  #nextOrder = 0;
  readonly #timers = new Map<number, MockTimer>();
  /** Promises returned by fired callbacks and not settled yet, with the arm count when they began. */
  readonly #pending = new Map<Promise<unknown>, number>();
  /** Errors thrown or rejected by callbacks, reported by the next `settle()` or `advanceAsync()`. */
  #errors: unknown[] = [];
  /** Incremented whenever a timer is armed; lets async waits notice work parked on mock time. */
  #armCount = 0;
  #armWaiters: Array<() => void> = [];

  /**
   * @param start - the initial time, as a Date or epoch milliseconds.
   * @defaultValue 2026-01-01T00:00:00Z
   */
  constructor(start: Date | number = DEFAULT_MOCK_CLOCK_START) {
    this.#now = toMillis(start, 'start');
  }

  /** The current mock time (a new Date each call). */
  now(): Date {
    return new Date(this.#now);
  }

  /** The current mock time in epoch milliseconds. */
  nowMillis(): number {
    return this.#now;
  }

  /** Timers and intervals armed and not yet fired (one-shot) or cleared. */
  get pendingTimers(): number {
    return this.#timers.size;
  }

  /** Due time (epoch ms) of the next timer to fire, or undefined when none is armed. */
  get nextDueMillis(): number | undefined {
    return this.#peek(Number.POSITIVE_INFINITY)?.due;
  }

  /** Arms a one-shot timer. A delay that is not a positive number fires at the current instant. */
  setTimeout(callback: () => void, millis: number): MockTimerHandle {
    return this.#arm(callback, wholeMillis(millis, 0), undefined);
  }

  /** Cancels a timer or an interval; unknown or foreign handles are ignored. */
  clearTimeout(handle: TimerHandle | undefined): void {
    if (handle instanceof MockTimerHandle) this.#timers.delete(handle.id);
  }

  /** Arms a repeating timer. Periods below 1 ms are raised to 1 ms (as Node does). */
  setInterval(callback: () => void, millis: number): MockTimerHandle {
    const period = wholeMillis(millis, 1);
    return this.#arm(callback, period, period);
  }

  /** Cancels an interval (or a timer); unknown or foreign handles are ignored. */
  clearInterval(handle: TimerHandle | undefined): void {
    this.clearTimeout(handle);
  }

  /**
   * Moves time forward by `millis`, synchronously firing every timer that falls due on the way,
   * in due-time order (arming order breaks ties). Intervals re-arm; timers armed by a callback
   * that fall inside the window fire too. Promises returned by callbacks are not awaited (see
   * {@link advanceAsync}). If callbacks threw, time still reaches the target, then the first error
   * is rethrown (an `AggregateError` when several threw).
   */
  advance(millis: number): void {
    const target = this.#now + nonNegative(millis, 'millis');
    const errors: unknown[] = [];
    for (let timer = this.#peek(target); timer; timer = this.#peek(target)) {
      const armedAt = this.#armCount;
      const result = this.#fire(timer, errors);
      if (isPromiseLike(result)) void this.#track(result, armedAt);
    }
    this.#now = target;
    throwCollected(errors);
  }

  /**
   * Moves time to `date`. Forward, this is {@link advance} by the difference (due timers fire);
   * backwards, time is simply set and armed timers keep their absolute due times.
   */
  set(date: Date | number): void {
    const target = toMillis(date, 'date');
    if (target >= this.#now) this.advance(target - this.#now);
    else this.#now = target;
  }

  /**
   * {@link advance} for asynchronous work: after each timer fires, lets microtasks and immediates
   * run and waits for the promise its callback returned, so work started at 10 s has finished
   * before the timer due at 20 s fires. Work that arms a mock timer while pending is "parked" on
   * mock time and is not waited for: it continues when time reaches that timer (possibly later in
   * this same call). At the end, behaves as {@link settle}. Errors thrown or rejected by callbacks
   * are rethrown after time reached the target.
   */
  async advanceAsync(millis: number, options: MockClockSettleOptions = {}): Promise<void> {
    const target = this.#now + nonNegative(millis, 'millis');
    const turns = options.flushTurns ?? DEFAULT_FLUSH_TURNS;
    const errors: unknown[] = [];
    await flush(turns);
    for (let timer = this.#peek(target); timer; timer = this.#peek(target)) {
      const armedAt = this.#armCount;
      const result = this.#fire(timer, errors);
      if (isPromiseLike(result)) await this.#waitForActive([this.#track(result, armedAt)], turns);
      else await flush(turns);
    }
    this.#now = target;
    await this.#waitForActive(() => [...this.#pending.keys()], turns);
    errors.push(...this.#takeErrors());
    throwCollected(errors);
  }

  /**
   * Waits for the work timers have started: flushes microtasks and immediates (`flushTurns`
   * event-loop turns) and awaits every promise returned by a fired callback, except work parked on
   * a later mock timer. Does not move time. Rethrows errors thrown or rejected by callbacks since
   * the last report.
   */
  async settle(options: MockClockSettleOptions = {}): Promise<void> {
    await this.#waitForActive(() => [...this.#pending.keys()], options.flushTurns ?? DEFAULT_FLUSH_TURNS);
    throwCollected(this.#takeErrors());
  }

  /**
   * Fires every armed timer, advancing time to each due instant, until none is left or `limit`
   * timers fired (intervals would otherwise run forever). Returns how many fired.
   * @param limit @defaultValue 1000
   */
  runAll(limit = 1000): number {
    const errors: unknown[] = [];
    let fired = 0;
    for (let timer = this.#peek(Number.POSITIVE_INFINITY); timer && fired < limit; timer = this.#peek(Number.POSITIVE_INFINITY)) {
      const armedAt = this.#armCount;
      const result = this.#fire(timer, errors);
      if (isPromiseLike(result)) void this.#track(result, armedAt);
      fired++;
    }
    throwCollected(errors);
    return fired;
  }

  /** Cancels every timer and interval and forgets pending work and errors. Time does not move. */
  reset(): void {
    this.#timers.clear();
    this.#pending.clear();
    this.#errors = [];
  }

  #arm(callback: () => unknown, delay: number, intervalMillis: number | undefined): MockTimerHandle {
    if (typeof callback !== 'function') throw new TypeError('callback must be a function');
    const handle = new MockTimerHandle(this.#nextId++);
    this.#timers.set(handle.id, { handle, callback, intervalMillis, due: this.#now + delay, order: this.#nextOrder++ });
    this.#armCount++;
    const waiters = this.#armWaiters;
    this.#armWaiters = [];
    for (const wake of waiters) wake();
    return handle;
  }

  /** The earliest timer due at or before `limit`. */
  #peek(limit: number): MockTimer | undefined {
    let best: MockTimer | undefined;
    for (const timer of this.#timers.values()) {
      if (timer.due > limit) continue;
      if (!best || timer.due < best.due || (timer.due === best.due && timer.order < best.order)) best = timer;
    }
    return best;
  }

  /** Moves time to the timer, re-arms or removes it, then runs its callback. */
  #fire(timer: MockTimer, errors: unknown[]): unknown {
    if (timer.due > this.#now) this.#now = timer.due;
    if (timer.intervalMillis === undefined) {
      this.#timers.delete(timer.handle.id);
    } else {
      timer.due += timer.intervalMillis;
      timer.order = this.#nextOrder++;
    }
    try {
      return timer.callback();
    } catch (error) {
      errors.push(error);
      return undefined;
    }
  }

  #track(result: PromiseLike<unknown>, armedAt: number): Promise<unknown> {
    const tracked: Promise<unknown> = Promise.resolve(result).then(
      () => {
        this.#pending.delete(tracked);
      },
      (error: unknown) => {
        this.#pending.delete(tracked);
        this.#errors.push(error);
      },
    );
    this.#pending.set(tracked, armedAt);
    return tracked;
  }

  /**
   * Flushes, then waits until each promise has settled or is parked on mock time (a timer was
   * armed since its work began, so waiting would never end without moving time).
   */
  async #waitForActive(promises: Promise<unknown>[] | (() => Promise<unknown>[]), turns: number): Promise<void> {
    await flush(turns);
    for (;;) {
      const candidates = typeof promises === 'function' ? promises() : promises;
      const active = candidates.filter((promise) => this.#pending.get(promise) === this.#armCount);
      if (active.length === 0) return;
      let wake: (() => void) | undefined;
      const armed = new Promise<void>((resolve) => {
        wake = resolve;
        this.#armWaiters.push(resolve);
      });
      await Promise.race([Promise.all(active), armed]);
      this.#armWaiters = this.#armWaiters.filter((waiter) => waiter !== wake);
      await flush(turns);
    }
  }

  #takeErrors(): unknown[] {
    const errors = this.#errors;
    this.#errors = [];
    return errors;
  }
}

function flush(turns: number): Promise<void> {
  let chain = Promise.resolve();
  for (let i = 0; i < turns; i++) chain = chain.then(() => new Promise<void>((resolve) => setImmediate(resolve)));
  return chain;
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return (typeof value === 'object' || typeof value === 'function') && value !== null && typeof (value as { then?: unknown }).then === 'function';
}

function throwCollected(errors: unknown[]): void {
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) throw new AggregateError(errors, `${errors.length} mock timer callbacks failed`);
}

function toMillis(value: Date | number, name: string): number {
  const millis = value instanceof Date ? value.getTime() : value;
  if (typeof millis !== 'number' || !Number.isFinite(millis)) throw new RangeError(`${name} must be a valid Date or a finite number of milliseconds`);
  return millis;
}

function nonNegative(millis: number, name: string): number {
  if (typeof millis !== 'number' || !Number.isFinite(millis) || millis < 0) throw new RangeError(`${name} must be a finite number ≥ 0`);
  return millis;
}

/** Timer delays in whole milliseconds, rounded up so a timer never fires early; `min` for bad values. */
function wholeMillis(millis: number, min: number): number {
  if (typeof millis !== 'number' || !Number.isFinite(millis) || millis < min) return min;
  return Math.ceil(millis);
}
