import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChatDebugDatabase } from '@chatdebug/exporter-postgres';
import { openEmbedded } from '@chatdebug/exporter-postgres';
import type { JsonObject, StepRecord } from '@chatdebug/sdk';
import { isJsonObject, silentLogger } from '@chatdebug/sdk';
import type { DemoResult, RunWithStepsJson } from '../src/index.js';
import { bufferedIo, createStyle, renderRunTree, runCli, runDemo } from '../src/index.js';
import { assertBuilt, runCliBinary } from './support.js';

// The demo in-process on an in-memory PGlite (every scenario checked on the rows read back),
// then through `runCli` and through the built binary.

let database: ChatDebugDatabase;
let demo: DemoResult;

beforeAll(async () => {
  database = await openEmbedded({ logger: silentLogger });
  demo = await runDemo({ database, logger: silentLogger });
});

afterAll(async () => {
  await database?.close();
});

const attemptsOf = (step: StepRecord | undefined) => (step?.attempts ?? []).filter(isJsonObject);
const runByLabel = (label: string) => {
  const found = demo.runs.find(({ run }) => run.summary.first_message === label && run.kind === 'chat_turn');
  if (!found) throw new Error(`no run labelled ${label}`);
  return found;
};

describe('runDemo', () => {
  it('records every scenario as a run, oldest first', () => {
    expect(demo.runs.map(({ run }) => [run.kind, run.status, run.model])).toEqual([
      ['chat_turn', 'interrupted', 'gpt-4o-mini'], // the crashed worker's turn, finalized by the sweep
      ['chat_turn', 'completed', 'gpt-4o-mini'], // tool call + follow-up
      ['title_generation', 'completed', 'gpt-4.1-nano'],
      ['chat_turn', 'completed', 'gpt-4o-mini'], // streamed
      ['chat_turn', 'completed', 'gpt-4o-mini'], // 429 retried into success
      ['chat_turn', 'error', 'gpt-4o-mini'], // provider error
      ['chat_turn', 'interrupted', 'gpt-4o-mini'], // user stop mid-stream
    ]);
    expect(demo.runs.every(({ run }) => run.chatId === demo.chatId && run.finishedAt !== null)).toBe(true);
    // 1 + 2 + 1 + 1 + 2 (429, then 200) + 3 (500 × 3) + 1
    expect(demo.providerRequests).toBe(10);
  });

  it('a tool call and its follow-up step', () => {
    const { run, steps } = runByLabel("What's the weather in Paris today?");
    expect(steps.map((step) => [step.stepNumber, step.operation, step.status])).toEqual([
      [1, 'generate', 'completed'],
      [2, 'generate', 'completed'],
    ]);
    expect(steps[0]?.normalizedResponse).toMatchObject({ content: [{ type: 'tool-call', tool_name: 'get_weather', arguments: '{"city":"Paris"}' }] });
    expect(JSON.stringify(steps[1]?.normalizedRequest)).toContain('tool-result');
    expect(steps[1]?.normalizedResponse).toMatchObject({ content: [{ type: 'text', text: expect.stringContaining('18°C') as string }], finish_reason: 'stop' });
    expect(run.summary).toMatchObject({ step_count: 2, endpoint_label: 'POST /v1/chat/completions' });
    expect(run.summary.total_input_tokens).toBeGreaterThan(0);
  });

  it('a streamed answer with usage', () => {
    const { steps } = runByLabel('Write a haiku about packing light.');
    expect(steps).toHaveLength(1);
    expect(steps[0]).toMatchObject({ operation: 'stream', status: 'completed', normalizedResponse: { finish_reason: 'stop' }, metadata: { stream_summary: { finish_reason: 'stop' } } });
    expect((steps[0]?.usage as JsonObject).output_tokens).toBeGreaterThan(0);
  });

  it('a 429 retried into success: two attempts in one completed step', () => {
    const { run, steps } = runByLabel('Which three museums should I not miss?');
    expect(steps).toHaveLength(1);
    expect(steps[0]?.status).toBe('completed');
    expect(attemptsOf(steps[0]).map((a) => [a.number, a.status, a.response_status, a.retry_classification])).toEqual([
      // The round trip completed (its body arrived, though the client dropped it before retrying).
      [1, 'completed', 429, 'rate_limited'],
      [2, 'completed', 200, undefined],
    ]);
    expect(attemptsOf(steps[0])[0]?.response_body).toContain('rate_limit');
    expect(run.summary.has_error).toBeUndefined();
  });

  it('a provider error: the step and the run end in error, with every attempt', () => {
    const { run, steps } = runByLabel('Plan a full fourteen-day itinerary for France.');
    expect(run.summary).toMatchObject({ has_error: true, step_count: 1 });
    expect(steps[0]).toMatchObject({ status: 'error', error: { provider_status: 500, provider_title: 'server_error', is_retryable: true } });
    expect(attemptsOf(steps[0]).map((a) => a.response_status)).toEqual([500, 500, 500]);
  });

  it('a user stop mid-stream: interrupted, with the text received so far', () => {
    const { steps } = runByLabel('Tell me the whole history of the Louvre.');
    expect(steps[0]).toMatchObject({ operation: 'stream', status: 'interrupted' });
    const text = JSON.stringify(steps[0]?.normalizedResponse);
    expect(text).toContain('The Louvre began as a fortress');
    expect(text).not.toContain('glass pyramid');
  });

  it('a title generation run', () => {
    const title = demo.runs.find(({ run }) => run.kind === 'title_generation');
    expect(title?.steps[0]?.normalizedResponse).toMatchObject({ content: [{ type: 'text', text: 'Weekend in Paris' }] });
  });

  it('a stale run the sweep finalized', () => {
    expect(demo.sweep).toEqual({ runsFinalized: 1, stepsFinalized: 1 });
    const { run, steps } = runByLabel('Where should I stay in Paris?');
    expect(run.status).toBe('interrupted');
    expect(steps.map((step) => step.status)).toEqual(['interrupted']);
    expect(run.finishedAt!.getTime() - run.startedAt.getTime()).toBeGreaterThanOrEqual(12 * 60_000);
  });

  it('renders as a tree with kind, status, model, duration, tokens, steps, attempts and previews', () => {
    const tree = renderRunTree(demo.runs, createStyle(false));
    const lines = tree.split('\n');
    expect(lines[0]).toMatch(/^├─ chat_turn +interrupted +gpt-4o-mini +12m \d\ds +1 step +"Where should I stay in Paris\?"$/);
    expect(lines[2]).toMatch(/^│ {2}└─ #1 {2}stream {2}interrupted {2}12m \d\ds {4}0 attempts$/); // the crashed worker's request was never recorded
    expect(tree).toMatch(/├─ title_generation +completed +gpt-4\.1-nano +\S+ +\d+→\d+ tok +1 step/);
    expect(tree).toMatch(/│ {2}├─ #1 {2}generate {2}completed {2}\S+ +\d+→\d+ tok +1 attempt +→ get_weather\(\{"city":"Paris"\}\)/);
    expect(tree).toMatch(/└─ #1 {2}generate {2}completed {2}\S+ +\d+→\d+ tok +2 attempts +Three good picks/);
    expect(tree).toMatch(/└─ #1 {2}generate {2}error {2}\S+ +3 attempts +✗ server_error: 500 The server had an error/);
    expect(tree).toMatch(/└─ #1 {2}stream {2}interrupted .*The Louvre began/);
    expect(tree).not.toContain('\u001b[');
    expect(renderRunTree(demo.runs, createStyle(true))).toContain('\u001b[31merror\u001b[39m');
  });
});

describe('chatdebug demo', () => {
  it('through runCli: prints the header, the tree and the sweep', async () => {
    const io = bufferedIo();
    const code = await runCli(['demo'], io, { database });
    expect(code, io.err()).toBe(0);
    const out = io.out();
    expect(out).toMatch(/^chatdebug demo: recording an agent conversation into the given database\n/);
    expect(out).toMatch(/chat [0-9a-f-]{36} {2}7 runs, 8 steps, 10 provider requests/);
    for (const status of ['completed', 'error', 'interrupted']) expect(out).toContain(status);
    expect(out).toContain('title_generation');
    expect(out).toContain('2 attempts');
    expect(out).toContain('stale sweep: finalized 1 run and 1 step left open by a crashed worker');
    expect(io.err()).toBe('');
  });

  it('the built binary: demo --in-memory --json', async () => {
    assertBuilt();
    const result = await runCliBinary(['demo', '--in-memory', '--json']);
    expect(result.code, result.stderr).toBe(0);
    const parsed = JSON.parse(result.stdout) as { chat_id: string; database: string; sweep: { runs_finalized: number }; runs: RunWithStepsJson[] };
    expect(parsed.database).toBe('an in-memory embedded database');
    expect(parsed.runs.map((run) => run.status)).toEqual(['interrupted', 'completed', 'completed', 'completed', 'completed', 'error', 'interrupted']);
    expect(parsed.runs.some((run) => run.steps.some((step) => step.attempts.length === 2 && step.status === 'completed'))).toBe(true);
    expect(parsed.sweep.runs_finalized).toBe(1);
  });

  it('the built binary: demo --fresh on a data directory replaces it; the hints name it and skip tail', async () => {
    const root = await mkdtemp(join(tmpdir(), 'chatdebug-fresh-'));
    const dataDir = join(root, 'my db');
    try {
      // What --fresh recognizes as an embedded database; the marker shows it was deleted.
      await mkdir(dataDir);
      await writeFile(join(dataDir, 'PG_VERSION'), '17\n');
      await writeFile(join(dataDir, 'left-from-before'), '');
      const result = await runCliBinary(['demo', '--fresh', '--data-dir', dataDir], { cwd: root });
      expect(result.code, result.stderr).toBe(0);
      const entries = await readdir(dataDir);
      expect(entries).toContain('PG_VERSION');
      expect(entries).not.toContain('left-from-before');
      const chatId = /^chat ([0-9a-f-]{36}) {2}7 runs, 8 steps/m.exec(result.stdout)?.[1];
      // The installed binary is `chatdebug`; a path with a space is quoted for the shell.
      const hints = result.stdout.slice(result.stdout.indexOf('Look closer:'));
      expect(hints).toMatch(new RegExp(`^Look closer:\n {2}chatdebug runs ${chatId} --data-dir '${dataDir}'\n {2}chatdebug show [0-9a-f-]{36} --data-dir '${dataDir}' .*\n {2}chatdebug export ${chatId} --out chat\\.json --data-dir '${dataDir}'\n$`));
      expect(hints).not.toContain('tail');
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it('--fresh refuses to delete a directory that is not an embedded database', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'chatdebug-fresh-'));
    try {
      await writeFile(join(dir, 'precious.txt'), 'keep me');
      const result = await runCliBinary(['demo', '--fresh', '--data-dir', dir]);
      expect(result.code).toBe(2);
      expect(result.stderr).toBe(`chatdebug: --fresh: refusing to delete ${dir}: it does not look like an embedded database (no PG_VERSION)\n`);
      expect(await readdir(dir)).toEqual(['precious.txt']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
