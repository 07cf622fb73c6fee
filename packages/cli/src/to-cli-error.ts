import { ChatDebugError } from '@chatdebug/sdk';
import { CliError } from './cli-error.js';
import { describeFailure, isConnectionFailure, isMissingSchema } from './database/failures.js';

/** Maps anything thrown by a command to a {@link CliError} with a one-line message. */
export function toCliError(error: unknown): CliError {
  if (error instanceof CliError) return error;
  if (ChatDebugError.is(error)) {
    switch (error.code) {
      case 'invalid_argument':
        return new CliError('usage', error.message, { cause: error });
      case 'not_found':
      case 'run_not_found':
        return new CliError('not_found', error.message, { cause: error });
      default:
        break;
    }
  }
  if (isMissingSchema(error)) return new CliError('not_migrated', `chatdebug's tables are missing: run \`chatdebug migrate\` first (${describeFailure(error)})`, { cause: error });
  if (isConnectionFailure(error)) return new CliError('unavailable', `database unavailable: ${describeFailure(error)}`, { cause: error });
  const message = error instanceof Error ? error.message : String(error);
  return new CliError('unexpected', `unexpected error: ${message}`, { cause: error });
}
