/**
 * Process-local, optimistic step numbers per run: `next` hands out 1, 2, 3…; `sync` raises the
 * counter after the database assigned a (possibly bumped) number; `drop` forgets the run. The
 * unique index in the database stays the authority; this only avoids most collisions.
 */
export class StepCounter {
  readonly #counters = new Map<string, number>();

  next(runId: string): number {
    const value = (this.#counters.get(runId) ?? 0) + 1;
    this.#counters.set(runId, value);
    return value;
  }

  /** Raises the run's counter to at least `stepNumber`; never lowers it. */
  sync(runId: string, stepNumber: number): void {
    if ((this.#counters.get(runId) ?? 0) < stepNumber) this.#counters.set(runId, stepNumber);
  }

  drop(runId: string): void {
    this.#counters.delete(runId);
  }

  /** The last number handed out or synced for the run (0 when unknown). */
  peek(runId: string): number {
    return this.#counters.get(runId) ?? 0;
  }

  get size(): number {
    return this.#counters.size;
  }
}
