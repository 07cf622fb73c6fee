/** How a step talked to the model: one blocking call, or a stream. */
export const OPERATIONS = ['stream', 'generate'] as const;

/** One of {@link OPERATIONS}. */
export type Operation = (typeof OPERATIONS)[number];

/** True when `value` is one of {@link OPERATIONS}. */
export function isOperation(value: unknown): value is Operation {
  return typeof value === 'string' && (OPERATIONS as readonly string[]).includes(value);
}
