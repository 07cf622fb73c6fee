/** An opaque handle returned by {@link Clock.setTimeout} and {@link Clock.setInterval}. */
export interface TimerHandle {
  /** Present on real timers: lets the process exit while the timer is pending. */
  unref?(): void;
  /** Present on real timers: keeps the process alive while the timer is pending (a deadline someone awaits). */
  ref?(): void;
}

/**
 * Every time read and every timer in chatdebug goes through a Clock, so tests can drive time
 * with `MockClock` from `@chatdebug/testing` instead of sleeping.
 */
export interface Clock {
  /** The current time. */
  now(): Date;
  /** Milliseconds since the epoch, for hot paths that only need a number. */
  nowMillis(): number;
  setTimeout(callback: () => void, millis: number): TimerHandle;
  clearTimeout(handle: TimerHandle | undefined): void;
  setInterval(callback: () => void, millis: number): TimerHandle;
  clearInterval(handle: TimerHandle | undefined): void;
}

/**
 * The real clock: `Date` and Node's timers. Timers are unref'd so they never hold the process open;
 * a deadline someone awaits (a flush, a shutdown) calls `ref()` on its handle.
 */
export const systemClock: Clock = {
  now: () => new Date(),
  nowMillis: () => Date.now(),
  setTimeout(callback, millis) {
    const handle = setTimeout(callback, millis);
    handle.unref();
    return handle;
  },
  clearTimeout(handle) {
    if (handle !== undefined) clearTimeout(handle as ReturnType<typeof setTimeout>);
  },
  setInterval(callback, millis) {
    const handle = setInterval(callback, millis);
    handle.unref();
    return handle;
  },
  clearInterval(handle) {
    if (handle !== undefined) clearInterval(handle as ReturnType<typeof setInterval>);
  },
};
