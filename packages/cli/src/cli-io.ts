/** Where the CLI writes: `process.stdout`, a test buffer, an embedding application's sink. */
export interface CliOutput {
  write(text: string): unknown;
  /** True when a person is watching: enables colors and in-place progress lines. */
  readonly isTTY?: boolean;
}

/**
 * Everything the CLI touches outside itself, so tests and embedding applications can run it
 * in-process: the outputs, the environment (read here and nowhere else), the working directory,
 * and a signal that stops long-running commands (`tail`, `sweep --every`) cleanly.
 */
export interface CliIo {
  stdout: CliOutput;
  stderr: CliOutput;
  /** Environment variables: `DATABASE_URL`, `CHATDEBUG_SCHEMA`, `NO_COLOR`, `FORCE_COLOR`. */
  env: Readonly<Record<string, string | undefined>>;
  /** Relative paths (`--data-dir`, `--out`, the demo's `.chatdebug/demo`) resolve against it. */
  cwd: string;
  /**
   * Aborted on Ctrl-C: `tail` and `sweep --every` stop and exit 0; one-shot commands stop at
   * their next checkpoint with exit code 130.
   */
  signal?: AbortSignal;
}

/** The {@link CliIo} of this process: its streams, environment and working directory. */
export function processIo(signal?: AbortSignal): CliIo {
  return { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd(), signal };
}

/** A {@link CliIo} that collects the output in strings (for tests and embedding). */
export interface BufferedCliIo extends CliIo {
  /** Everything written to stdout so far. */
  readonly out: () => string;
  /** Everything written to stderr so far. */
  readonly err: () => string;
}

/** Makes a {@link BufferedCliIo}. @defaultValue env `{}`, cwd `process.cwd()`, not a TTY */
export function bufferedIo(options: { env?: Record<string, string | undefined>; cwd?: string; signal?: AbortSignal; isTTY?: boolean } = {}): BufferedCliIo {
  let out = '';
  let err = '';
  const isTTY = options.isTTY ?? false;
  return {
    stdout: { write: (text: string) => (out += text), isTTY },
    stderr: { write: (text: string) => (err += text), isTTY },
    env: options.env ?? {},
    cwd: options.cwd ?? process.cwd(),
    signal: options.signal,
    out: () => out,
    err: () => err,
  };
}
