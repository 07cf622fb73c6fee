import { ChatDebugError, describeError, isTransientError } from '@chatdebug/sdk';

/** The fields of node-postgres' (and PGlite's) `DatabaseError` chatdebug looks at. */
interface DatabaseErrorFields {
  code?: unknown;
  constraint?: unknown;
}

/** SQLSTATE of a unique violation. */
const UNIQUE_VIOLATION = '23505';

/**
 * True when `error` is a unique violation (SQLSTATE 23505) on the named constraint. Matches on
 * the server's structured fields, never on message text.
 */
export function isUniqueViolation(error: unknown, constraint: string): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, constraint: name } = error as DatabaseErrorFields;
  return code === UNIQUE_VIOLATION && name === constraint;
}

/**
 * Wraps a database failure into a `ChatDebugError` that keeps the original as `cause` (so its
 * SQLSTATE `code` and `constraint` survive). Lost connections, deadlocks and serialization
 * failures get the code `unavailable` (worth retrying); everything else `exporter_failed`.
 * `secrets` (a connection string, a password) are cut out of the message.
 */
export function wrapDatabaseError(operation: string, error: unknown, secrets: readonly string[] = []): ChatDebugError {
  if (ChatDebugError.is(error)) return error;
  const code = isTransientError(error) ? 'unavailable' : 'exporter_failed';
  return new ChatDebugError(code, `${operation} failed: ${scrubSecrets(describeError(error), secrets)}`, { cause: error });
}

/** Replaces every occurrence of each secret with `[REDACTED]`. */
export function scrubSecrets(text: string, secrets: readonly string[]): string {
  let result = text;
  for (const secret of secrets) if (secret.length > 0) result = result.split(secret).join('[REDACTED]');
  return result;
}

/** The parts of a connection string that must never reach a message: the string and its password. */
export function connectionSecrets(connectionString: string | undefined): string[] {
  if (connectionString === undefined) return [];
  const secrets = [connectionString];
  try {
    const password = new URL(connectionString).password;
    if (password) secrets.push(password, decodeURIComponent(password));
  } catch {
    // Not a URL (a socket path or a key=value string): the whole string is already listed.
  }
  return secrets;
}

/**
 * True for an error the server reported on a healthy connection (a SQLSTATE outside the
 * connection-exception and operator-intervention classes). Anything else (a lost socket, a
 * terminated backend) may have left the connection unusable, so it must not go back to a pool.
 */
export function keepsConnection(error: unknown): boolean {
  const code = sqlState(error);
  return code !== undefined && !code.startsWith('08') && !code.startsWith('57P') && code !== MISSING_PREPARED_STATEMENT;
}

/** SQLSTATE 26000 (invalid_sql_statement_name): EXECUTE of a statement name the session lacks. */
const MISSING_PREPARED_STATEMENT = '26000';

/**
 * The server does not know a statement the driver believes it prepared on this connection (a
 * `DISCARD ALL` or `DEALLOCATE`, or a transaction-mode pooler that switched backends). The
 * connection's statement cache is wrong from then on, so it is destroyed, not reused.
 */
export function isMissingPreparedStatement(error: unknown): boolean {
  return sqlState(error) === MISSING_PREPARED_STATEMENT;
}

function sqlState(error: unknown): string | undefined {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}
