/** The value that replaces a redacted header, JSON value or query value. */
export const REDACTED = '[REDACTED]';

/** What is stored instead of a body larger than the bound (or appended to a cut text body). */
export const TRUNCATED = '[TRUNCATED]';
