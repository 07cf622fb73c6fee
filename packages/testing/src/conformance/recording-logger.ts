import type { LogAttributes, Logger } from '@chatdebug/sdk';

/** One logged line. */
export interface LogEntry {
  level: 'debug' | 'info' | 'warn' | 'error';
  message: string;
  attributes: LogAttributes | undefined;
}

/** A logger that keeps every line, so tests can check that a failure was logged (and not thrown). */
export class RecordingLogger implements Logger {
  readonly entries: LogEntry[] = [];

  debug(message: string, attributes?: LogAttributes): void {
    this.entries.push({ level: 'debug', message, attributes });
  }

  info(message: string, attributes?: LogAttributes): void {
    this.entries.push({ level: 'info', message, attributes });
  }

  warn(message: string, attributes?: LogAttributes): void {
    this.entries.push({ level: 'warn', message, attributes });
  }

  error(message: string, attributes?: LogAttributes): void {
    this.entries.push({ level: 'error', message, attributes });
  }

  /** Messages logged at warn level. */
  warnings(): string[] {
    return this.entries.filter((entry) => entry.level === 'warn').map((entry) => entry.message);
  }
}
