import type { Clock, TimerHandle } from '../clock/clock.js';

/** Something kept alive by heartbeats. */
export interface HeartbeatTarget {
  heartbeat(): void;
}

/**
 * One interval timer for every live span: each tick heartbeats all registered targets. The
 * period follows the service's stale threshold (half of it); a change re-arms the timer at once,
 * so a shrinking threshold takes effect without waiting for the old period. The timer only runs
 * while something is registered: when the last target leaves, it is stopped at the end of the
 * current job (a microtask), so spans started and ended back to back (the common short call)
 * reuse one timer instead of creating and clearing one each. No tick can run in between.
 */
export class HeartbeatScheduler {
  readonly #clock: Clock;
  readonly #intervalMillis: () => number;
  /**
   * Targets are kept in two places, together in the order they were added: `#targets` holds the
   * older ones, `#recent` the newest few. Most spans end soon after they start, while still
   * recent: a short array search then replaces a Set insert and delete, which for a fresh object
   * also costs an identity hash. Past {@link RECENT_LIMIT} the recent ones move to the Set.
   */
  readonly #targets = new Set<HeartbeatTarget>();
  #recent: HeartbeatTarget[] = [];
  #timer: TimerHandle | undefined;
  #armedMillis = 0;
  #idleCheckQueued = false;
  readonly #disarmIfIdle = (): void => {
    this.#idleCheckQueued = false;
    if (this.size === 0 && this.#timer !== undefined) this.#disarm();
  };

  constructor(clock: Clock, intervalMillis: () => number) {
    this.#clock = clock;
    this.#intervalMillis = intervalMillis;
  }

  add(target: HeartbeatTarget): void {
    if (!this.has(target)) {
      const recent = this.#recent;
      if (recent.length >= RECENT_LIMIT) {
        for (const older of recent) this.#targets.add(older);
        recent.length = 0;
      }
      recent.push(target);
    }
    if (this.#timer === undefined) this.#arm();
  }

  delete(target: HeartbeatTarget): void {
    const recent = this.#recent;
    const index = recent.lastIndexOf(target);
    if (index >= 0) removeAt(recent, index);
    else if (!this.#targets.delete(target)) return;
    if (this.size === 0 && !this.#idleCheckQueued) {
      this.#idleCheckQueued = true;
      queueMicrotask(this.#disarmIfIdle);
    }
  }

  has(target: HeartbeatTarget): boolean {
    return this.#recent.includes(target) || this.#targets.has(target);
  }

  /** Re-arms the timer with the current interval (called when the stale threshold changes). */
  rearm(): void {
    if (this.#timer === undefined) return;
    this.#disarm();
    if (this.size > 0) this.#arm();
  }

  /** Stops the timer and forgets every target. */
  stop(): void {
    this.#targets.clear();
    this.#recent = [];
    this.#disarm();
  }

  get size(): number {
    return this.#targets.size + this.#recent.length;
  }

  /** The period the timer currently runs at (0 when stopped). */
  get armedMillis(): number {
    return this.#timer === undefined || this.size === 0 ? 0 : this.#armedMillis;
  }

  #arm(): void {
    this.#armedMillis = this.#intervalMillis();
    this.#timer = this.#clock.setInterval(() => this.#tick(), this.#armedMillis);
  }

  #disarm(): void {
    this.#clock.clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #tick(): void {
    if (this.size === 0) {
      this.#disarm();
      return;
    }
    // Secondary safeguard: pick up a changed interval even if no change notification arrived.
    if (this.#intervalMillis() !== this.#armedMillis) this.rearm();
    for (const target of [...this.#targets, ...this.#recent]) target.heartbeat();
  }
}

/** Most targets kept in the recent array before they move to the Set. */
const RECENT_LIMIT = 16;

/** Removes `array[index]` keeping the order; the common last-element case allocates nothing (unlike `splice`). */
export function removeAt<T>(array: T[], index: number): void {
  if (index === array.length - 1) array.pop();
  else array.splice(index, 1);
}
