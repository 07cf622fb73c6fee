/**
 * Exit codes of the `chatdebug` command. Scripts can rely on them: they never change meaning
 * between releases.
 */
export const EXIT_CODES = {
  /** The command did what it was asked. */
  ok: 0,
  /** Something unexpected failed (a bug, or an error with no better category). */
  unexpected: 1,
  /** Bad usage or bad input: an unknown option, a malformed UUID, a bad duration. */
  usage: 2,
  /** The run (or chat) asked for does not exist. */
  notFound: 3,
  /** The database cannot be reached or opened (refused, timed out, bad credentials, in use). */
  unavailable: 4,
  /** The database is reachable but chatdebug's tables are missing: run `chatdebug migrate`. */
  notMigrated: 5,
  /** Stopped by a signal before finishing (Ctrl-C during a one-shot command). */
  interrupted: 130,
} as const;

/** One of the values of {@link EXIT_CODES}. */
export type ExitCode = (typeof EXIT_CODES)[keyof typeof EXIT_CODES];
