/** The four run kinds of the reference system. Any other kind matching {@link RUN_KIND_PATTERN} is allowed too. */
export const RUN_KINDS = {
  chatTurn: 'chat_turn',
  titleGeneration: 'title_generation',
  quickgen: 'quickgen',
  compaction: 'compaction',
} as const;

/** A built-in run kind. */
export type BuiltinRunKind = (typeof RUN_KINDS)[keyof typeof RUN_KINDS];

/** A run kind: a built-in one or a user-defined lowercase identifier. */
export type RunKind = BuiltinRunKind | (string & {});

/** User-defined kinds: lowercase letter, then up to 63 lowercase letters, digits or underscores. */
export const RUN_KIND_PATTERN = /^[a-z][a-z0-9_]{0,63}$/;

/** True when `value` is a valid run kind. */
export function isRunKind(value: unknown): value is RunKind {
  return typeof value === 'string' && RUN_KIND_PATTERN.test(value);
}
