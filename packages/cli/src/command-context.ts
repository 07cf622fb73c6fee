import type { Command } from 'commander';
import type { LogAttributes, Logger } from '@chatdebug/sdk';
import { describeError, isUuid } from '@chatdebug/sdk';
import type { CliIo } from './cli-io.js';
import { CliError } from './cli-error.js';
import type { DatabaseFlags, DatabaseTarget } from './database/database-target.js';
import { DEMO_DATA_DIR, resolveTarget, scrub } from './database/database-target.js';
import type { CliDatabase, DatabaseSession } from './database/open-session.js';
import { borrowSession, openSession } from './database/open-session.js';
import type { ExitCode } from './exit-codes.js';
import type { Style } from './render/style.js';
import { colorsWanted, createStyle } from './render/style.js';

/** Options of {@link runCli} beyond the arguments and the io. */
export interface RunCliOptions {
  /**
   * Run every command but `migrate` against this already-open database instead of opening one
   * (an application embedding the CLI, or a test sharing one PGlite instance). It stays open.
   */
  database?: CliDatabase;
}

/** What the commands share within one `runCli` call. */
export interface CliRuntime {
  readonly io: CliIo;
  readonly options: RunCliOptions;
  /** Strings never printed (connection strings, passwords). */
  readonly secrets: readonly string[];
  /** `--json` is among the arguments: errors, the parser's included, are printed as JSON. */
  readonly jsonErrors: boolean;
  exitCode: ExitCode;
}

/** The flags every command has. */
export interface CommonFlags extends DatabaseFlags {
  json?: boolean;
  verbose?: boolean;
  /** False with `--no-color`. */
  color: boolean;
}

/** What a command handler works with. */
export interface CommandContext {
  readonly io: CliIo;
  readonly json: boolean;
  readonly verbose: boolean;
  /** Styles for stdout (plain unless stdout is a color terminal). */
  readonly style: Style;
  /** Warnings to stderr; info and debug with `--verbose` only. Secrets scrubbed. */
  readonly logger: Logger;
  /** Writes one line to stdout. */
  print(line?: string): void;
  /** Writes a value as JSON to stdout: indented, or on one line (`ndjson`). */
  printJson(value: unknown, options?: { ndjson?: boolean }): void;
  /** Writes one line to stderr (progress, notes), secrets scrubbed. */
  note(line: string): void;
  /** The database the flags and environment point at. */
  target(fallback?: { dataDir: string; onlyIfExists: boolean }): DatabaseTarget;
  /** Opens the database (or borrows the one given to `runCli`). */
  openSession(mode?: 'existing' | 'migrate', target?: DatabaseTarget): Promise<DatabaseSession>;
  /** Throws an interrupted error when Ctrl-C was pressed. */
  checkAborted(): void;
}

/** A command handler: positional arguments and flags in, an exit code (default 0) out. */
export type CommandHandler<F extends CommonFlags> = (context: CommandContext, args: string[], flags: F) => Promise<ExitCode | void>;

/**
 * Adds the common flags (`--json`, `--verbose`, `--no-color`, and with `database` the database
 * flags) to `command` and runs `handler` as its action.
 */
export function defineCommand<F extends CommonFlags>(runtime: CliRuntime, command: Command, handler: CommandHandler<F>, { database = true } = {}): Command {
  if (database) {
    command
      .option('--database-url <url>', 'PostgreSQL connection string (default: $DATABASE_URL)')
      .option('--data-dir <dir>', `embedded PGlite data directory (default: ${DEMO_DATA_DIR} when it exists)`)
      .option('--schema <name>', 'schema of the chatdebug tables (default: $CHATDEBUG_SCHEMA or public)');
  }
  command
    .option('--json', 'machine-readable output')
    .option('--no-color', 'no colors, even on a terminal')
    .option('--verbose', 'more logging, and stack traces on errors');
  command.action(async () => {
    const flags = command.opts<F>();
    const context = createContext(runtime, flags);
    const code = await handler(context, command.args.slice(0, command.registeredArguments.length), flags);
    runtime.exitCode = code ?? 0;
  });
  return command;
}

function createContext(runtime: CliRuntime, flags: CommonFlags): CommandContext {
  const { io, secrets } = runtime;
  const verbose = flags.verbose === true;
  const json = flags.json === true;
  const logger = stderrLogger(io, verbose, secrets);
  const context: CommandContext = {
    io,
    json,
    verbose,
    style: createStyle(!json && colorsWanted(io.stdout, io, flags.color)),
    logger,
    print: (line = '') => void io.stdout.write(`${line}\n`),
    printJson: (value, options = {}) => void io.stdout.write(`${options.ndjson ? JSON.stringify(value) : JSON.stringify(value, null, 2)}\n`),
    note: (line) => void io.stderr.write(`${scrub(line, secrets)}\n`),
    target: (fallback = { dataDir: DEMO_DATA_DIR, onlyIfExists: true }) => resolveTarget(flags, io, fallback),
    openSession: async (mode = 'existing', target) => {
      if (runtime.options.database) return borrowSession(runtime.options.database, logger);
      return openSession(target ?? context.target(), { logger, mode });
    },
    checkAborted: () => {
      if (io.signal?.aborted) throw new CliError('interrupted', 'interrupted');
    },
  };
  return context;
}

/** Throws a usage error unless `value` is a UUID. */
export function requireUuidArgument(name: string, value: string | undefined): string {
  if (value === undefined || !isUuid(value)) throw new CliError('usage', `${name}: expected a UUID like 0193f3c1-8e2a-7c4d-9b1e-2f6a5d4c3b21, got "${value ?? ''}"`);
  return value.toLowerCase();
}

/** Parses a positive integer flag, or throws a usage error naming the flag. */
export function positiveInteger(flag: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const parsed = /^\d+$/.test(value.trim()) ? Number(value.trim()) : Number.NaN;
  if (!Number.isSafeInteger(parsed) || parsed < 1) throw new CliError('usage', `${flag}: expected a positive integer, got "${value}"`);
  return parsed;
}

function stderrLogger(io: CliIo, verbose: boolean, secrets: readonly string[]): Logger {
  const write = (level: string, message: string, attributes?: LogAttributes) => {
    const details = verbose && attributes && Object.keys(attributes).length > 0 ? ` ${safeJson(attributes)}` : '';
    io.stderr.write(`${scrub(`chatdebug: ${level}: ${message}${details}`, secrets)}\n`);
  };
  return {
    debug: (message, attributes) => verbose && write('debug', message, attributes),
    info: (message, attributes) => verbose && write('info', message, attributes),
    warn: (message, attributes) => write('warning', message, attributes),
    error: (message, attributes) => write('error', message, attributes),
  };
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value, (_key, item: unknown) => (item instanceof Error ? describeError(item) : item));
  } catch {
    return '[unserializable]';
  }
}
