import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import type { CliIo } from './cli-io.js';
import { CliError } from './cli-error.js';
import { toCliError } from './to-cli-error.js';
import type { CliRuntime, RunCliOptions } from './command-context.js';
import { demoCommand } from './commands/demo.js';
import { exportCommand } from './commands/export.js';
import { migrateCommand } from './commands/migrate.js';
import { purgeCommand } from './commands/purge.js';
import { runsCommand } from './commands/runs.js';
import { showCommand } from './commands/show.js';
import { sweepCommand } from './commands/sweep.js';
import { tailCommand } from './commands/tail.js';
import { scrub, secretsOf } from './database/database-target.js';
import type { ExitCode } from './exit-codes.js';
import { EXIT_CODES } from './exit-codes.js';

/**
 * Runs the `chatdebug` command line in-process and resolves with its exit code; never rejects
 * and never calls `process.exit`. `argv` holds the arguments after the program name.
 *
 * @example
 * ```ts
 * const code = await runCli(['runs', chatId, '--json'], processIo());
 * ```
 */
export async function runCli(argv: readonly string[], io: CliIo, options: RunCliOptions = {}): Promise<ExitCode> {
  const args = [...argv];
  // Read before parsing: the parser's own errors (a missing argument, an unknown option) must
  // honour --json too, and they happen before any command sees its flags.
  const flags = { json: args.includes('--json'), verbose: args.includes('--verbose') };
  const runtime: CliRuntime = {
    io,
    options,
    secrets: secretsOf([io.env.DATABASE_URL, ...databaseUrlArguments(args)]),
    jsonErrors: flags.json,
    exitCode: EXIT_CODES.ok,
  };
  const program = buildProgram(runtime);
  try {
    await program.parseAsync(args, { from: 'user' });
    return runtime.exitCode;
  } catch (error) {
    return reportError(error, runtime, flags);
  }
}

/** Builds the commander program with every command; output goes to `runtime.io`. */
export function buildProgram(runtime: CliRuntime): Command {
  const { io } = runtime;
  const program = new Command('chatdebug')
    .description('Inspect, follow, sweep, purge and export what the chatdebug SDK recorded; or run the demo.')
    .version(packageVersion(), '-V, --version')
    .showSuggestionAfterError()
    .helpCommand(true)
    .addHelpText(
      'after',
      `
Database: --database-url URL (or DATABASE_URL) for a PostgreSQL server, or --data-dir DIR for an
embedded PGlite directory; without either, the demo's .chatdebug/demo when it exists.

Exit codes: 0 ok, 1 unexpected error, 2 bad usage or input, 3 not found, 4 database unreachable,
5 database not migrated, 130 interrupted.`,
    );
  const output = {
    writeOut: (text: string) => void io.stdout.write(text),
    writeErr: (text: string) => void io.stderr.write(text),
    // With --json the parser's error is printed by reportError, as a JSON object like every other error.
    outputError: (text: string, write: (text: string) => void) => {
      if (!runtime.jsonErrors) write(text);
    },
  };
  program.configureOutput(output);
  program.exitOverride();
  for (const make of [demoCommand, migrateCommand, runsCommand, showCommand, tailCommand, sweepCommand, purgeCommand, exportCommand]) {
    const command = make(runtime);
    command.exitOverride();
    command.configureOutput(output);
    program.addCommand(command);
  }
  return program;
}

function reportError(error: unknown, runtime: CliRuntime, flags: { json: boolean; verbose: boolean }): ExitCode {
  const { io, secrets } = runtime;
  const printJson = (cliError: CliError) =>
    io.stderr.write(`${scrub(JSON.stringify({ error: { code: cliError.code, message: cliError.message, exit_code: cliError.exitCode } }), secrets)}\n`);
  if (error instanceof CommanderError) {
    // --help and --version end here with exit code 0. Otherwise commander printed its message (or
    // the help, for a missing command) already, unless --json held it back for this.
    if (error.exitCode === 0) return EXIT_CODES.ok;
    if (flags.json && error.code !== 'commander.help') printJson(new CliError('usage', parserMessage(error.message), { cause: error }));
    return EXIT_CODES.usage;
  }
  const cliError = toCliError(error);
  if (flags.json) {
    printJson(cliError);
  } else {
    const hint = cliError.code === 'unexpected' && !flags.verbose ? ' (run with --verbose for details)' : '';
    io.stderr.write(`${scrub(`chatdebug: ${cliError.message}${hint}`, secrets)}\n`);
  }
  if (flags.verbose) {
    const stack = error instanceof Error && error.stack ? error.stack : String(error);
    io.stderr.write(`${scrub(stack, secrets)}\n`);
    const cause = (error as { cause?: unknown } | undefined)?.cause;
    if (cause instanceof Error && cause.stack) io.stderr.write(`${scrub(`caused by: ${cause.stack}`, secrets)}\n`);
  }
  return cliError.exitCode;
}

/** Commander's message without its `error: ` prefix, on one line (`… (Did you mean --limit?)`). */
function parserMessage(message: string): string {
  return message
    .replace(/^error: /, '')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .join(' ');
}

function databaseUrlArguments(args: readonly string[]): string[] {
  const urls: string[] = [];
  args.forEach((arg, index) => {
    if (arg === '--database-url') {
      const next = args[index + 1];
      if (next !== undefined) urls.push(next);
    } else if (arg.startsWith('--database-url=')) {
      urls.push(arg.slice('--database-url='.length));
    }
  });
  return urls;
}

function packageVersion(): string {
  try {
    const text = readFileSync(new URL('../package.json', import.meta.url), 'utf8');
    const version = (JSON.parse(text) as { version?: unknown }).version;
    return typeof version === 'string' ? version : '0.0.0';
  } catch {
    return '0.0.0';
  }
}
