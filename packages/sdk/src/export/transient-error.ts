const TRANSIENT_CODES = new Set([
  // PostgreSQL: admin shutdown, crash shutdown, cannot connect now, connection exceptions,
  // serialization failure, deadlock, too many connections.
  '57P01',
  '57P02',
  '57P03',
  '08000',
  '08001',
  '08003',
  '08004',
  '08006',
  '40001',
  '40P01',
  '53300',
  // Node sockets.
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTCONN',
  // chatdebug's own "try later".
  'unavailable',
]);

// node-postgres reports a lost connection, and a statement its `query_timeout` gave up on (the
// connection is then destroyed), as a plain Error without a code.
const TRANSIENT_MESSAGES = /connection terminated|connection timeout|client has encountered a connection error|timeout exceeded when trying to connect|query read timeout/i;

/**
 * True when an exporter error is worth retrying: lost or refused connections, serialization
 * failures and deadlocks. Everything else (constraint violations, bad SQL, bad input) is final.
 */
export function isTransientError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, message, cause } = error as { code?: unknown; message?: unknown; cause?: unknown };
  if (typeof code === 'string' && TRANSIENT_CODES.has(code)) return true;
  if (typeof message === 'string' && TRANSIENT_MESSAGES.test(message)) return true;
  return cause !== undefined && cause !== error && isTransientError(cause);
}
