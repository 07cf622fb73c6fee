import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { DebugService } from '@chatdebug/sdk';
import { newId } from '@chatdebug/sdk';

/** Set by CI (and locally: `DATABASE_URL=postgres://postgres@127.0.0.1:5432/test`). */
export const DATABASE_URL = process.env.DATABASE_URL ?? '';

/** True when a real PostgreSQL server is available to this run. */
export const HAS_SERVER = DATABASE_URL !== '';

const PACKAGE_DIR = fileURLToPath(new URL('..', import.meta.url));

/** The built binary the CLI tests spawn. */
export const CLI_BIN = fileURLToPath(new URL('../dist/bin.js', import.meta.url));

/**
 * Fails with a clear message when the binary is missing or older than a source file: the
 * spawned tests run the build (`pnpm test` builds first; alone: `npx tsc -b packages/cli`).
 */
export function assertBuilt(): void {
  if (!existsSync(CLI_BIN)) throw new Error(`${CLI_BIN} is missing: build first (pnpm build, or npx tsc -b packages/cli)`);
  const built = statSync(CLI_BIN).mtimeMs;
  const sources = readdirSync(`${PACKAGE_DIR}src`, { recursive: true, encoding: 'utf8' }).filter((file) => file.endsWith('.ts'));
  const stale = sources.filter((file) => {
    const output = `${PACKAGE_DIR}dist/${file.replace(/\.ts$/, '.js')}`;
    return !existsSync(output) || statSync(`${PACKAGE_DIR}src/${file}`).mtimeMs > Math.max(statSync(output).mtimeMs, built);
  });
  if (stale.length > 0) throw new Error(`dist is older than src (${stale.slice(0, 3).join(', ')}): rebuild (npx tsc -b packages/cli)`);
}

/** What a finished CLI process left. */
export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** The environment of spawned commands: no DATABASE_URL or color variables unless given. */
export function cliEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const key of ['DATABASE_URL', 'CHATDEBUG_SCHEMA', 'NO_COLOR', 'FORCE_COLOR']) delete env[key];
  return { ...env, ...extra };
}

/** How the root `pnpm demo` and `pnpm chatdebug` scripts start the CLI: its sources, through tsx. */
const SOURCE_ENTRY = ['--conditions=@chatdebug/source', '--import', 'tsx', fileURLToPath(new URL('../src/bin.ts', import.meta.url))];

/** Options of {@link startCli}. */
export interface StartCliOptions {
  env?: Record<string, string>;
  cwd?: string;
  /** `dist`: the built binary (an installed package); `source`: src/bin.ts as the root scripts run it. @defaultValue 'dist' */
  entry?: 'dist' | 'source';
}

/** Spawns the CLI (by default the built binary) and collects its output. */
export function startCli(args: readonly string[], options: StartCliOptions = {}): CliProcess {
  const entry = options.entry === 'source' ? SOURCE_ENTRY : [CLI_BIN];
  const child = spawn(process.execPath, [...entry, ...args], { env: cliEnv(options.env), cwd: options.cwd ?? PACKAGE_DIR, stdio: 'pipe' });
  return new CliProcess(child);
}

/** Runs the CLI (by default the built binary) to completion. */
export function runCliBinary(args: readonly string[], options: StartCliOptions = {}): Promise<CliResult> {
  return startCli(args, options).done;
}

/** A running CLI process. */
export class CliProcess {
  readonly child: ChildProcessWithoutNullStreams;
  readonly done: Promise<CliResult>;
  stdout = '';
  stderr = '';

  constructor(child: ChildProcessWithoutNullStreams) {
    this.child = child;
    child.stdout.setEncoding('utf8').on('data', (text: string) => (this.stdout += text));
    child.stderr.setEncoding('utf8').on('data', (text: string) => (this.stderr += text));
    this.done = new Promise((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (code, signal) => resolve({ code, signal, stdout: this.stdout, stderr: this.stderr }));
    });
  }

  /** Resolves once `pattern` appears in the chosen output; rejects if the process ends first. */
  async waitFor(stream: 'stdout' | 'stderr', pattern: RegExp | string, timeoutMillis = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMillis;
    let ended = false;
    void this.done.then(() => (ended = true));
    for (;;) {
      const text = this[stream];
      if (typeof pattern === 'string' ? text.includes(pattern) : pattern.test(text)) return;
      if (ended) throw new Error(`the process ended before ${String(pattern)} appeared on ${stream}:\n${this.stdout}\n${this.stderr}`);
      if (Date.now() > deadline) throw new Error(`${String(pattern)} did not appear on ${stream} in time:\n${this.stdout}\n${this.stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }
}

/** A fresh, valid schema name, so test files never share tables. */
export function randomSchema(prefix = 'cdcli'): string {
  return `${prefix}_${randomBytes(6).toString('hex')}`;
}

/** The ids of the rows {@link seedChat} wrote. */
export interface SeededChat {
  chatId: string;
  /** Completed, with a retried step (two attempts) and usage. */
  completedRunId: string;
  /** Error, one failed step. */
  errorRunId: string;
  /** Left open an hour ago: the sweep finalizes it. */
  staleRunId: string;
  /** Finished forty days ago: purge --older-than 30d deletes it. */
  oldRunId: string;
}

/**
 * Writes a chat with four runs through the service: a completed one (two steps, a rate-limited
 * retry, usage), a failed one (its one attempt classified retryable, never retried), one left open
 * an hour ago (stale, its step without attempts), and one that finished forty days ago (for the
 * purge).
 */
export async function seedChat(service: DebugService, now: number = Date.now()): Promise<SeededChat> {
  const chatId = newId();
  const at = (minutesAgo: number) => new Date(now - minutesAgo * 60_000);

  const old = await service.createRun({ chatId, kind: 'chat_turn', model: 'gpt-old', summary: { first_message: 'an old question' }, at: at(40 * 24 * 60) });
  await service.finalizeRun({ runId: old.id, chatId, status: 'completed', seedSummary: { first_message: 'an old question' }, at: at(40 * 24 * 60 - 1) });

  const stale = await service.createRun({ chatId, kind: 'chat_turn', model: 'gpt-test', summary: { first_message: 'a turn whose worker crashed' }, at: at(60) });
  await service.createStep({ runId: stale.id, chatId, stepNumber: 1, operation: 'stream', at: at(60) });

  const completed = await service.createRun({ chatId, kind: 'chat_turn', provider: 'openai', model: 'gpt-test', summary: { first_message: 'What is the weather in Paris?' }, at: at(3) });
  const first = await service.createStep({
    runId: completed.id,
    chatId,
    stepNumber: 1,
    operation: 'generate',
    normalizedRequest: { model: 'gpt-test', messages: [{ role: 'user', parts: [{ type: 'text', text: 'What is the weather in Paris?' }] }], tools: [{ type: 'function', name: 'get_weather' }], options: {} },
    at: at(3),
  });
  await service.updateStep({
    id: first.id,
    chatId,
    status: 'completed',
    normalizedResponse: { content: [{ type: 'tool-call', tool_call_id: 'call_1', tool_name: 'get_weather', arguments: '{"city":"Paris"}' }], finish_reason: 'tool-calls', warnings: [] },
    usage: { input_tokens: 30, output_tokens: 10, total_tokens: 40 },
    attempts: [
      attempt(1, 'failed', 429, { retry_classification: 'rate_limited', retry_delay_ms: 20, response_body: '{"error":{"message":"Rate limit reached"}}' }),
      attempt(2, 'completed', 200),
    ],
    at: at(2.9),
  });
  const second = await service.createStep({ runId: completed.id, chatId, stepNumber: 2, operation: 'stream', at: at(2.9) });
  await service.updateStep({
    id: second.id,
    chatId,
    status: 'completed',
    normalizedResponse: { content: [{ type: 'text', text: `It is sunny in Paris. ${'Lots more detail. '.repeat(30)}THE END` }], finish_reason: 'stop', warnings: [] },
    usage: { input_tokens: 50, output_tokens: 20, total_tokens: 70 },
    attempts: [attempt(1, 'completed', 200)],
    at: at(2.8),
  });
  await service.finalizeRun({ runId: completed.id, chatId, status: 'completed', seedSummary: { first_message: 'What is the weather in Paris?' }, at: at(2.8) });

  const failed = await service.createRun({ chatId, kind: 'title_generation', model: 'gpt-test', at: at(2) });
  const failedStep = await service.createStep({ runId: failed.id, chatId, stepNumber: 1, operation: 'generate', at: at(2) });
  await service.updateStep({
    id: failedStep.id,
    chatId,
    status: 'error',
    error: { message: 'The server had an error', type: 'InternalServerError', provider_status: 500, is_retryable: true },
    // Classified as retryable by the recorder, but the client gave up: no retry followed.
    attempts: [attempt(1, 'failed', 500, { retry_classification: 'server_error', retry_delay_ms: 10 })],
    at: at(1.9),
  });
  await service.finalizeRun({ runId: failed.id, chatId, status: 'error', at: at(1.9) });

  return { chatId, completedRunId: completed.id, errorRunId: failed.id, staleRunId: stale.id, oldRunId: old.id };
}

function attempt(number: number, status: 'completed' | 'failed', responseStatus: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    number,
    status,
    method: 'POST',
    url: 'https://api.example.test/v1/chat/completions',
    path: '/v1/chat/completions',
    started_at: '2026-03-01T12:00:00.000Z',
    finished_at: '2026-03-01T12:00:00.100Z',
    response_status: responseStatus,
    duration_ms: 100,
    request_headers: { authorization: '[REDACTED]' },
    ...extra,
  };
}
