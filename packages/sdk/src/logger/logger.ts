/** Structured attributes attached to a log line. Never put secrets here. */
export type LogAttributes = Record<string, unknown>;

/** The logging port. Plug in pino, winston or anything with these four methods. */
export interface Logger {
  debug(message: string, attributes?: LogAttributes): void;
  info(message: string, attributes?: LogAttributes): void;
  warn(message: string, attributes?: LogAttributes): void;
  error(message: string, attributes?: LogAttributes): void;
}

/** Writes warnings and errors to `console.warn` / `console.error`; drops debug and info. */
export const consoleLogger: Logger = {
  debug() {},
  info() {},
  warn(message, attributes) {
    console.warn(`[chatdebug] ${message}`, ...(attributes ? [attributes] : []));
  },
  error(message, attributes) {
    console.error(`[chatdebug] ${message}`, ...(attributes ? [attributes] : []));
  },
};

/** Discards everything. */
export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/** Renders an unknown thrown value for a log line without dumping huge objects. */
export function describeError(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === 'string' ? `${error.name} [${code}]: ${error.message}` : `${error.name}: ${error.message}`;
  }
  return String(error);
}
