import type { ExitCode } from './exit-codes.js';
import { EXIT_CODES } from './exit-codes.js';

/** A stable, machine-readable category of a {@link CliError}, printed with `--json`. */
export type CliErrorCode = 'usage' | 'not_found' | 'unavailable' | 'not_migrated' | 'interrupted' | 'unexpected';

const EXIT_BY_CODE: Record<CliErrorCode, ExitCode> = {
  usage: EXIT_CODES.usage,
  not_found: EXIT_CODES.notFound,
  unavailable: EXIT_CODES.unavailable,
  not_migrated: EXIT_CODES.notMigrated,
  interrupted: EXIT_CODES.interrupted,
  unexpected: EXIT_CODES.unexpected,
};

/**
 * An error the CLI reports as one line (no stack unless `--verbose`) and turns into an exit code.
 * Messages never contain a connection string or a password.
 */
export class CliError extends Error {
  readonly code: CliErrorCode;

  constructor(code: CliErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CliError';
    this.code = code;
  }

  /** The process exit code of this error. */
  get exitCode(): ExitCode {
    return EXIT_BY_CODE[this.code];
  }
}
