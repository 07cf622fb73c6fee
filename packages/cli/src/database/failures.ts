import { ChatDebugError } from '@chatdebug/sdk';

/** SQLSTATEs of a missing table or schema: the database was never migrated. */
const MISSING_SCHEMA_STATES = new Set(['42P01', '3F000']);

/** Error codes that mean the server could not be reached or would not let us in. */
const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  // invalid_authorization_specification, invalid_password, invalid_catalog_name (no such database),
  // cannot_connect_now, admin_shutdown, crash_shutdown, too_many_connections, connection_exception.
  '28000',
  '28P01',
  '3D000',
  '57P03',
  '57P01',
  '57P02',
  '53300',
  '08000',
  '08001',
  '08003',
  '08006',
]);

/** The error and its causes, outermost first. */
export function causeChain(error: unknown): unknown[] {
  const chain: unknown[] = [];
  let current: unknown = error;
  while (current !== undefined && current !== null && chain.length < 10 && !chain.includes(current)) {
    chain.push(current);
    current = (current as { cause?: unknown }).cause;
  }
  return chain;
}

/** The string `code`s found along the cause chain. */
export function codesOf(error: unknown): string[] {
  return causeChain(error)
    .map((item) => (typeof item === 'object' && item !== null ? (item as { code?: unknown }).code : undefined))
    .filter((code): code is string => typeof code === 'string');
}

/** True when a table or schema is missing (SQLSTATE 42P01 or 3F000). */
export function isMissingSchema(error: unknown): boolean {
  return codesOf(error).some((code) => MISSING_SCHEMA_STATES.has(code));
}

/** True when the server cannot be reached, refused us, or dropped the connection. */
export function isConnectionFailure(error: unknown): boolean {
  if (codesOf(error).some((code) => CONNECTION_CODES.has(code))) return true;
  if (ChatDebugError.is(error, 'unavailable')) return true;
  return causeChain(error).some((item) => item instanceof Error && /timeout exceeded when trying to connect|Connection terminated/i.test(item.message));
}

/**
 * The innermost error's message with its code, e.g. `connect ECONNREFUSED 127.0.0.1:1
 * (ECONNREFUSED)`. Callers scrub secrets before printing.
 */
export function describeFailure(error: unknown): string {
  const chain = causeChain(error);
  const root = chain[chain.length - 1];
  let message = root instanceof Error ? root.message : String(root);
  if (message === '' && root instanceof AggregateError) {
    message = root.errors.map((inner: unknown) => (inner instanceof Error ? inner.message : String(inner))).join('; ');
  }
  const code = typeof root === 'object' && root !== null ? (root as { code?: unknown }).code : undefined;
  if (typeof code === 'string' && !message.includes(code)) return `${message} (${code})`;
  return message === '' ? 'unknown failure' : message;
}
