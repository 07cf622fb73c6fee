import type { Clock, TimerHandle } from '../clock/clock.js';

/** Something kept alive by heartbeats. */
export interface HeartbeatTarget {
  heartbeat(): void;
}

/**
 * One interval timer for every live span: each tick heartbeats all registered targets. The
 * period follows the service's stale threshold (half of it); a change re-arms the timer at once,
 * so a shrinking threshold takes effect without waiting for the old period. The timer only runs
 * while something is registered.
 */
export class HeartbeatScheduler {
  readonly #clock: Clock;
  readonly #intervalMillis: () => number;
  readonly #targets = new Set<HeartbeatTarget>();
  #timer: TimerHandle | undefined;
  #armedMillis = 0;

  constructor(clock: Clock, intervalMillis: () => number) {
    this.#clock = clock;
    this.#intervalMillis = intervalMillis;
  }

  add(target: HeartbeatTarget): void {
    this.#targets.add(target);
    if (this.#timer === undefined) this.#arm();
  }

  delete(target: HeartbeatTarget): void {
    if (!this.#targets.delete(target)) return;
    if (this.#targets.size === 0) this.#disarm();
  }

  has(target: HeartbeatTarget): boolean {
    return this.#targets.has(target);
  }

  /** Re-arms the timer with the current interval (called when the stale threshold changes). */
  rearm(): void {
    if (this.#timer === undefined) return;
    this.#disarm();
    this.#arm();
  }

  /** Stops the timer and forgets every target. */
  stop(): void {
    this.#targets.clear();
    this.#disarm();
  }

  get size(): number {
    return this.#targets.size;
  }

  /** The period the timer currently runs at (0 when stopped). */
  get armedMillis(): number {
    return this.#timer === undefined ? 0 : this.#armedMillis;
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
    // Secondary safeguard: pick up a changed interval even if no change notification arrived.
    if (this.#intervalMillis() !== this.#armedMillis) this.rearm();
    for (const target of [...this.#targets]) target.heartbeat();
  }
}
