import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openEmbedded } from '@chatdebug/exporter-postgres';
import { DebugService, newId, silentLogger } from '@chatdebug/sdk';
import type { ExportDocument, RunJson } from '../src/index.js';
import type { SeededChat } from './support.js';
import { assertBuilt, runCliBinary, seedChat, startCli } from './support.js';

// The built binary against one embedded (PGlite) data directory, shared by the whole file:
// created by `migrate`, seeded in-process, then read, swept, purged and exported by the CLI.
// Every command runs here through the binary, with the bad input that needs a database (an
// unknown run); PGlite takes seconds to open, so the detailed cases run in-process in
// commands.test.ts.

let root: string;
let dataDir: string;
let seeded: SeededChat;
const db = () => ['--data-dir', dataDir];

beforeAll(async () => {
  assertBuilt();
  root = await mkdtemp(join(tmpdir(), 'chatdebug-cli-'));
  dataDir = join(root, 'db');
  const migrated = await runCliBinary(['migrate', ...db(), '--json']);
  expect(migrated.code, migrated.stderr).toBe(0);
  expect(JSON.parse(migrated.stdout)).toMatchObject({ schema: 'public', applied: [1, 2], version: 2 });
  const database = await openEmbedded({ dataDir, logger: silentLogger });
  try {
    seeded = await seedChat(new DebugService({ exporter: database.exporter, eventBus: database.eventBus, logger: silentLogger }));
  } finally {
    await database.close();
  }
});

afterAll(async () => {
  if (root) await rm(root, { recursive: true, force: true });
});

describe('chatdebug on an embedded data directory', () => {
  it('runs --json --limit: newest first', async () => {
    const json = await runCliBinary(['runs', seeded.chatId, ...db(), '--json', '--limit', '2']);
    expect(json.code, json.stderr).toBe(0);
    const parsed = JSON.parse(json.stdout) as { chat_id: string; run_count: number; runs: RunJson[] };
    expect(parsed).toMatchObject({ chat_id: seeded.chatId, run_count: 2 });
    expect(parsed.runs.map((run) => [run.id, run.kind, run.status])).toEqual([
      [seeded.errorRunId, 'title_generation', 'error'],
      [seeded.completedRunId, 'chat_turn', 'completed'],
    ]);
  });

  it('show: steps, attempts and payloads, long texts cut', async () => {
    const text = await runCliBinary(['show', seeded.completedRunId, ...db()]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain('chat_turn  completed');
    expect(text.stdout).toMatch(/Step 1 {2}generate {2}completed .* 30→10 tok {2}2 attempts/);
    expect(text.stdout).toContain('→ get_weather({"city":"Paris"})');
    expect(text.stdout).toMatch(/#1 {2}failed {2}POST \/v1\/chat\/completions {2}→ 429 .*retry: rate_limited {2}after 20ms/);
    expect(text.stdout).toContain('It is sunny in Paris.');
    expect(text.stdout).not.toContain('THE END'); // the long output is cut...
  });

  it('show and export: an unknown run → 3, one line on stderr', async () => {
    const missing = newId();
    const show = await runCliBinary(['show', missing, ...db()]);
    const exported = await runCliBinary(['export', missing, ...db()]);
    expect([show.code, show.stdout, show.stderr]).toEqual([3, '', `chatdebug: run ${missing} not found\n`]);
    expect([exported.code, exported.stdout, exported.stderr]).toEqual([3, '', `chatdebug: no run with id ${missing}, and no chat with runs under that id\n`]);
  });

  it('export: a run (scope run) to --out', async () => {
    const out = join(root, 'exports', 'run.json');
    const single = await runCliBinary(['export', seeded.completedRunId, ...db(), '--out', out]);
    expect(single.code, single.stderr).toBe(0);
    expect(single.stdout).toContain(`exported 1 run (scope run) of chat ${seeded.chatId} to ${out}`);
    const written = JSON.parse(await readFile(out, 'utf8')) as ExportDocument;
    expect(written).toMatchObject({ version: 1, scope: 'run', chat_id: seeded.chatId, run_id: seeded.completedRunId, run_count: 1 });
    expect(written.runs[0]?.steps.map((step) => step.status)).toEqual(['completed', 'completed']);
  });

  it('sweep: finalizes the stale run and its step', async () => {
    const first = await runCliBinary(['sweep', ...db(), '--stale-after', '5m']);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout.trim()).toBe('finalized 1 run and 1 step untouched for 5m or more');
  });

  it('sweep --every: one line per sweep until Ctrl-C, then exit 0', async () => {
    const sweep = startCli(['sweep', ...db(), '--every', '200ms']);
    await sweep.waitFor('stdout', /^(?:\S+ {2}finalized 0 runs and 0 steps untouched for 5m or more\n){2}/);
    sweep.child.kill('SIGINT');
    const result = await sweep.done;
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toBe('');
    expect(result.stdout.split('\n').filter((line) => line !== '').every((line) => !Number.isNaN(Date.parse(line.split('  ')[0] ?? '')))).toBe(true);
  });

  it('purge --dry-run --json: counts, deletes nothing, no progress line', async () => {
    const dry = await runCliBinary(['purge', '--older-than', '30d', '--dry-run', ...db(), '--json']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(JSON.parse(dry.stdout)).toMatchObject({ deleted: 1, dry_run: true, older_than_ms: 30 * 86_400_000 });
    expect(dry.stderr).toBe('');
  });

  it('purge: deletes the run older than the cutoff, with a progress line per batch', async () => {
    const purge = await runCliBinary(['purge', '--older-than', '30d', '--batch-size', '1', ...db()]);
    expect(purge.code, purge.stderr).toBe(0);
    expect(purge.stdout).toMatch(/^deleted 1 run not updated for 30d \(before \d{4}-/);
    expect(purge.stderr).toBe('purging: 1 / 1 runs deleted\npurging: 1 / 1 runs deleted\n');
  });

  it('tail: listens until Ctrl-C (exit 0) and holds the directory lock meanwhile', async () => {
    const tail = startCli(['tail', seeded.chatId, ...db()]);
    await tail.waitFor('stderr', `following chat ${seeded.chatId}`);
    // PGlite is single-process: a second command on the same directory is refused, not corrupting it.
    const blocked = await runCliBinary(['runs', seeded.chatId, ...db()]);
    expect(blocked.code).toBe(4);
    expect(blocked.stderr).toContain(`is in use by process ${tail.child.pid}`);
    tail.child.kill('SIGINT');
    const result = await tail.done;
    expect(result.code, result.stderr).toBe(0);
  });

  it('a data directory that does not exist → 4 (not created by a read)', async () => {
    const missing = join(root, 'nothing-here');
    const result = await runCliBinary(['runs', seeded.chatId, '--data-dir', missing]);
    expect(result.code).toBe(4);
    expect(result.stderr.trim()).toBe(`chatdebug: no embedded database at ${missing} (create one with \`chatdebug migrate --data-dir ${missing}\`, or run \`chatdebug demo\`)`);
  });
});
