/** Lifecycle statuses shared by runs and steps. */
export const STATUSES = ['in_progress', 'completed', 'error', 'interrupted'] as const;

/** One of {@link STATUSES}. */
export type Status = (typeof STATUSES)[number];

const PRIORITY: Readonly<Record<Status, number>> = {
  in_progress: 0,
  interrupted: 1,
  error: 2,
  completed: 3,
};

/**
 * Priority used to stop late callbacks from regressing a step: in_progress 0 < interrupted 1 <
 * error 2 < completed 3. Unknown strings rank 0.
 */
export function statusPriority(status: string): number {
  return Object.hasOwn(PRIORITY, status) ? PRIORITY[status as Status] : 0;
}

/** Terminal means completed, error or interrupted (priority above zero). */
export function isTerminalStatus(status: string): boolean {
  return statusPriority(status) > 0;
}

/** The statuses the stale sweep treats as terminal; the SQL sweep must use the same list. */
export const TERMINAL_STATUSES: readonly Status[] = STATUSES.filter(isTerminalStatus);

/** True when `value` is one of {@link STATUSES}. */
export function isStatus(value: unknown): value is Status {
  return typeof value === 'string' && (STATUSES as readonly string[]).includes(value);
}

const OUTCOME_RANK: Readonly<Record<Status, number>> = {
  in_progress: 0,
  completed: 1,
  interrupted: 2,
  error: 3,
};

/**
 * Picks the final status of a run from two outcomes: the worse one wins
 * (completed < interrupted < error). Unlike {@link statusPriority}, this ranks by severity.
 */
export function worseOutcome(a: Status | undefined, b: Status): Status {
  if (a === undefined) return b;
  return OUTCOME_RANK[b] > OUTCOME_RANK[a] ? b : a;
}
