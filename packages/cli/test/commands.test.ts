import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChatDebugDatabase } from '@chatdebug/exporter-postgres';
import { openEmbedded } from '@chatdebug/exporter-postgres';
import { DebugService, newId, silentLogger } from '@chatdebug/sdk';
import type { ExportDocument, RunJson, RunWithStepsJson } from '../src/index.js';
import { bufferedIo, runCli } from '../src/index.js';
import type { SeededChat } from './support.js';
import { seedChat } from './support.js';

// Every command in-process (`runCli` with an injected database) on one in-memory PGlite: the
// detailed behaviour, without paying PGlite's startup for each case.

let database: ChatDebugDatabase;
let service: DebugService;
let seeded: SeededChat;
let root: string;

beforeAll(async () => {
  database = await openEmbedded({ logger: silentLogger });
  service = new DebugService({ exporter: database.exporter, eventBus: database.eventBus, logger: silentLogger });
  seeded = await seedChat(service);
  root = await mkdtemp(join(tmpdir(), 'chatdebug-cli-'));
});

afterAll(async () => {
  await database?.close();
  if (root) await rm(root, { recursive: true, force: true });
});

async function cli(args: string[], options: Parameters<typeof bufferedIo>[0] = {}) {
  const io = bufferedIo({ cwd: root, ...options });
  const code = await runCli(args, io, { database });
  return { code, stdout: io.out(), stderr: io.err() };
}

describe('runs', () => {
  it('lists the runs newest first with kind, status, model, duration, steps, tokens and label', async () => {
    const { code, stdout, stderr } = await cli(['runs', seeded.chatId]);
    expect(code, stderr).toBe(0);
    const lines = stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^STARTED\s+RUN\s+KIND\s+STATUS\s+MODEL\s+DURATION\s+STEPS\s+TOKENS\s+LABEL$/);
    const rows = lines.slice(1).map((line) => line.split(/\s{2,}/));
    expect(rows.map((row) => row[1])).toEqual([seeded.errorRunId, seeded.completedRunId, seeded.staleRunId, seeded.oldRunId]);
    expect(rows[1]).toEqual([expect.stringMatching(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/), seeded.completedRunId, 'chat_turn', 'completed', 'gpt-test', '12.0s', '2', '80→30 tok', 'What is the weather in Paris?']);
    // An open run has no step count in its summary yet: its steps are counted.
    expect(rows[2]?.slice(2, 7)).toEqual(['chat_turn', 'in_progress', 'gpt-test', 'open', '1']);
    expect(stdout).not.toContain('\u001b[');
  });

  it('--limit and --json', async () => {
    const { code, stdout } = await cli(['runs', seeded.chatId, '--limit', '1', '--json']);
    expect(code).toBe(0);
    const parsed = JSON.parse(stdout) as { chat_id: string; run_count: number; runs: RunJson[] };
    expect(parsed.run_count).toBe(1);
    expect(parsed.runs[0]).toMatchObject({ id: seeded.errorRunId, chat_id: seeded.chatId, kind: 'title_generation', status: 'error', model: 'gpt-test', finished_at: expect.any(String) as string });
  });

  it('a chat without runs', async () => {
    const chat = newId();
    const { code, stdout } = await cli(['runs', chat]);
    expect(code).toBe(0);
    expect(stdout.trim()).toBe(`no runs for chat ${chat}`);
  });

  it('colors on a terminal, unless NO_COLOR or --no-color', async () => {
    const colored = await cli(['runs', seeded.chatId], { isTTY: true });
    expect(colored.stdout).toContain('\u001b[32mcompleted\u001b[39m');
    expect(colored.stdout).toContain('\u001b[31merror\u001b[39m');
    expect((await cli(['runs', seeded.chatId], { isTTY: true, env: { NO_COLOR: '1' } })).stdout).not.toContain('\u001b[');
    expect((await cli(['runs', seeded.chatId, '--no-color'], { isTTY: true })).stdout).not.toContain('\u001b[');
    expect((await cli(['runs', seeded.chatId], { env: { FORCE_COLOR: '1' } })).stdout).toContain('\u001b[32mcompleted');
  });
});

describe('show', () => {
  it('prints the run, its steps, their output, usage and attempts; long texts cut', async () => {
    const { code, stdout } = await cli(['show', seeded.completedRunId]);
    expect(code).toBe(0);
    expect(stdout).toContain(`chat_turn  completed  ${seeded.completedRunId}`);
    expect(stdout).toMatch(/label {6}"What is the weather in Paris\?"/);
    expect(stdout).toMatch(/tokens {5}80→30 tok/);
    expect(stdout).toContain('Step 1  generate  completed  6.00s  30→10 tok  2 attempts');
    expect(stdout).toContain('user: What is the weather in Paris?');
    expect(stdout).toContain('tools  get_weather');
    expect(stdout).toContain('→ get_weather({"city":"Paris"})');
    expect(stdout).toContain('#1  failed  POST /v1/chat/completions  → 429  100ms  retry: rate_limited  after 20ms');
    expect(stdout).toContain('body: {"error":{"message":"Rate limit reached"}}');
    expect(stdout).toContain('#2  completed  POST /v1/chat/completions  → 200  100ms');
    expect(stdout).toContain('usage  input_tokens=50 output_tokens=20 total_tokens=70');
    expect(stdout).toMatch(/\n {4}It is sunny in Paris\. (Lots more detail\. )+[a-zA-Z ]*…\n/);
    expect(stdout).not.toContain('THE END');
    expect(stdout).not.toContain('normalized_request');
  });

  it('--full: whole texts, raw payloads and attempt details', async () => {
    const { code, stdout } = await cli(['show', seeded.completedRunId, '--full']);
    expect(code).toBe(0);
    expect(stdout).toContain('THE END');
    expect(stdout).toContain('normalized_request');
    expect(stdout).toContain('"authorization": "[REDACTED]"');
  });

  it('an error step shows its error; its last attempt is not labelled a retry (none followed)', async () => {
    const { stdout } = await cli(['show', seeded.errorRunId]);
    expect(stdout).toContain('title_generation  error');
    expect(stdout).toContain('has error  yes');
    expect(stdout).toContain('500 InternalServerError: The server had an error');
    expect(stdout).toMatch(/\n {4}#1 {2}failed {2}POST \/v1\/chat\/completions {2}→ 500 {2}100ms\n/);
    expect(stdout).not.toContain('retry');
    const json = JSON.parse((await cli(['show', seeded.errorRunId, '--json'])).stdout) as RunWithStepsJson;
    expect(json.steps[0]?.attempts).toMatchObject([{ retry_classification: 'server_error', retry_delay_ms: 10 }]); // kept in the data
  });

  it('a step without attempts says 0 attempts', async () => {
    const { stdout } = await cli(['show', seeded.staleRunId]);
    expect(stdout).toContain('Step 1  stream  in_progress  open  0 attempts\n');
  });

  it('--json prints the whole run with its steps, never cut', async () => {
    const { code, stdout } = await cli(['show', seeded.completedRunId, '--json']);
    expect(code).toBe(0);
    const run = JSON.parse(stdout) as RunWithStepsJson;
    expect(run).toMatchObject({ id: seeded.completedRunId, status: 'completed', summary: { step_count: 2, total_input_tokens: 80, total_output_tokens: 30 } });
    expect(run.steps.map((step) => [step.step_number, step.operation, step.status, step.attempts.length])).toEqual([
      [1, 'generate', 'completed', 2],
      [2, 'stream', 'completed', 1],
    ]);
    expect(JSON.stringify(run.steps[1]?.normalized_response)).toContain('THE END');
  });

  it('an unknown run → exit 3, one line on stderr, nothing on stdout', async () => {
    const missing = newId();
    const { code, stdout, stderr } = await cli(['show', missing]);
    expect(code).toBe(3);
    expect(stdout).toBe('');
    expect(stderr).toBe(`chatdebug: run ${missing} not found\n`);
  });
});

describe('export', () => {
  it('a chat id exports the chat (scope chat), newest first, each run with its steps', async () => {
    const { code, stdout } = await cli(['export', seeded.chatId]);
    expect(code).toBe(0);
    const document = JSON.parse(stdout) as ExportDocument;
    expect(Object.keys(document)).toEqual(['version', 'scope', 'exported_at', 'chat_id', 'run_count', 'limited_to_most_recent', 'runs']);
    expect(document).toMatchObject({ version: 1, scope: 'chat', chat_id: seeded.chatId, run_count: 4, limited_to_most_recent: 100 });
    expect(document.runs.map((run) => run.id)).toEqual([seeded.errorRunId, seeded.completedRunId, seeded.staleRunId, seeded.oldRunId]);
    expect(document.runs.map((run) => run.steps.length)).toEqual([1, 2, 1, 0]);
  });

  it('a run id exports that run (scope run); --limit bounds a chat export', async () => {
    const single = JSON.parse((await cli(['export', seeded.errorRunId])).stdout) as ExportDocument;
    expect(single).toMatchObject({ version: 1, scope: 'run', chat_id: seeded.chatId, run_id: seeded.errorRunId, run_count: 1, runs: [{ id: seeded.errorRunId, steps: [{ status: 'error' }] }] });
    expect(single.limited_to_most_recent).toBeUndefined();
    const limited = JSON.parse((await cli(['export', seeded.chatId, '--limit', '2'])).stdout) as ExportDocument;
    expect(limited).toMatchObject({ run_count: 2, limited_to_most_recent: 2 });
  });

  it('--out writes the file (relative to the working directory) and reports it', async () => {
    const { code, stdout } = await cli(['export', seeded.chatId, '--out', 'exports/chat.json', '--json']);
    expect(code).toBe(0);
    const path = join(root, 'exports', 'chat.json');
    expect(JSON.parse(stdout)).toMatchObject({ out: path, scope: 'chat', chat_id: seeded.chatId, run_count: 4 });
    expect(JSON.parse(await readFile(path, 'utf8'))).toMatchObject({ version: 1, scope: 'chat', run_count: 4 });
  });

  it('an id that is neither a run nor a chat with runs → exit 3', async () => {
    const { code, stderr } = await cli(['export', newId()]);
    expect(code).toBe(3);
    expect(stderr).toMatch(/^chatdebug: no run with id [0-9a-f-]{36}, and no chat with runs under that id\n$/);
  });
});

describe('sweep', () => {
  it('finalizes the stale run and its step once, then finds nothing', async () => {
    const first = await cli(['sweep']);
    expect(first.code).toBe(0);
    expect(first.stdout).toBe('finalized 1 run and 1 step untouched for 5m or more\n');
    const second = await cli(['sweep', '--stale-after', '90s', '--json']);
    expect(JSON.parse(second.stdout)).toMatchObject({ runs_finalized: 0, steps_finalized: 0, stale_after_ms: 90_000 });
    expect((await service.getRun(seeded.staleRunId))?.run.status).toBe('interrupted');
    // The sweep writes no step count into the summary; `runs` counts the steps, as the demo tree does.
    const listed = (await cli(['runs', seeded.chatId])).stdout.split('\n').find((line) => line.includes(seeded.staleRunId));
    expect(listed?.split(/\s{2,}/).slice(2, 7)).toEqual(['chat_turn', 'interrupted', 'gpt-test', '1h 00m', '1']);
  });

  it('--every keeps sweeping until aborted, then exits 0', async () => {
    const controller = new AbortController();
    const io = bufferedIo({ signal: controller.signal });
    const exit = runCli(['sweep', '--every', '20ms', '--json'], io, { database });
    await eventually(() => io.out().trim().split('\n').length >= 3);
    controller.abort();
    expect(await exit).toBe(0);
    const sweeps = io.out().trim().split('\n').map((line) => JSON.parse(line) as { at: string; runs_finalized: number });
    expect(sweeps.length).toBeGreaterThanOrEqual(3);
    expect(sweeps.every((sweep) => sweep.runs_finalized === 0 && !Number.isNaN(Date.parse(sweep.at)))).toBe(true);
  });
});

describe('purge', () => {
  it('--dry-run counts without deleting', async () => {
    const { code, stdout } = await cli(['purge', '--older-than', '30d', '--dry-run']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^dry run: would delete 1 run not updated for 30d \(before \d{4}-/);
    expect(await service.getRun(seeded.oldRunId)).toBeDefined();
  });

  it('deletes in batches with a progress line per batch (in place on a terminal)', async () => {
    const chatId = newId();
    const old = Date.now() - 10 * 86_400_000;
    for (let i = 0; i < 3; i++) await service.createRun({ chatId, kind: 'chat_turn', at: new Date(old + i) });
    const { code, stdout, stderr } = await cli(['purge', '--older-than', '7d', '--batch-size', '2']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^deleted 4 runs not updated for 7d/);
    expect(stderr).toBe('purging: 2 / 4 runs deleted\npurging: 4 / 4 runs deleted\npurging: 4 / 4 runs deleted\n');
    expect(await service.getRun(seeded.oldRunId)).toBeUndefined();

    for (let i = 0; i < 2; i++) await service.createRun({ chatId, kind: 'chat_turn', at: new Date(old + i) });
    const tty = await cli(['purge', '--older-than', '7d', '--batch-size', '5', '--json'], { isTTY: true });
    expect(JSON.parse(tty.stdout)).toMatchObject({ deleted: 2, dry_run: false, batch_size: 5 });
    expect(tty.stderr).toBe('\r\u001b[2Kpurging: 2 / 2 runs deleted\n');
  });
});

describe('tail (in-process bus)', () => {
  it('prints each change as it lands with the row read back, then stops on abort with exit 0', async () => {
    const chatId = newId();
    const controller = new AbortController();
    const io = bufferedIo({ signal: controller.signal });
    const exit = runCli(['tail', chatId], io, { database });
    await eventually(() => io.err().includes(`following chat ${chatId}`));

    const run = await service.createRun({ chatId, kind: 'chat_turn', model: 'gpt-live', summary: { first_message: 'Hello live' } });
    const step = await service.createStep({ runId: run.id, chatId, stepNumber: 1, operation: 'generate' });
    await service.updateStep({ id: step.id, chatId, status: 'completed', normalizedResponse: { content: [{ type: 'text', text: 'Hi there!' }] }, usage: { input_tokens: 3, output_tokens: 2 } });
    await service.finalizeRun({ runId: run.id, chatId, status: 'completed', seedSummary: { first_message: 'Hello live' } });
    await service.createRun({ chatId: newId(), kind: 'chat_turn' }); // another chat: not shown
    await eventually(() => io.out().trim().split('\n').length >= 4);
    controller.abort();
    expect(await exit).toBe(0);

    const lines = io.out().trim().split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatch(new RegExp(`^\\d\\d:\\d\\d:\\d\\d\\.\\d{3}  run_update   run ${run.id}  chat_turn  (in_progress|completed)  gpt-live`));
    expect(lines[1]).toMatch(new RegExp(`step_update  run ${run.id}  #1  generate`));
    expect(lines[2]).toMatch(/step_update .* #1 {2}generate {2}completed .* 3→2 tok .*Hi there!$/);
    expect(lines[3]).toMatch(new RegExp(`run_update   run ${run.id}  chat_turn  completed  gpt-live  .*"Hello live"`));
  });

  it('--json: one object per line; without a chat id it follows the broadcast channel (sweeps)', async () => {
    const controller = new AbortController();
    const io = bufferedIo({ signal: controller.signal });
    const exit = runCli(['tail', '--json'], io, { database });
    await eventually(() => io.err().includes('following the broadcast channel'));
    const chatId = newId();
    const run = await service.createRun({ chatId, kind: 'chat_turn', at: new Date(Date.now() - 3_600_000) });
    expect(await service.finalizeStale()).toMatchObject({ runsFinalized: 1 });
    await eventually(() => io.out().includes('finalize'));
    controller.abort();
    expect(await exit).toBe(0);
    const events = io.out().trim().split('\n').map((line) => JSON.parse(line) as { kind: string; chat_id: string });
    expect(events).toEqual([{ at: expect.any(String) as string, kind: 'finalize', chat_id: '00000000-0000-0000-0000-000000000000', run_id: expect.any(String) as string, step_id: expect.any(String) as string }]);
    expect((await service.getRun(run.id))?.run.status).toBe('interrupted');
  });
});

async function eventually(check: () => boolean, timeoutMillis = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMillis;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met before the deadline');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
