import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import type { ChatDebugDatabase } from '@chatdebug/exporter-postgres';
import { openPostgres } from '@chatdebug/exporter-postgres';
import { DebugService, newId, silentLogger } from '@chatdebug/sdk';
import type { ExportDocument, RunJson, RunWithStepsJson } from '../src/index.js';
import type { SeededChat } from './support.js';
import { DATABASE_URL, HAS_SERVER, assertBuilt, randomSchema, runCliBinary, seedChat, startCli } from './support.js';

// The built binary against a real PostgreSQL server (DATABASE_URL), in a schema of its own that
// is dropped afterwards. Writes from this process reach a spawned `tail` through LISTEN/NOTIFY.

describe.skipIf(!HAS_SERVER)('chatdebug on a PostgreSQL server', () => {
  const schema = randomSchema();
  const flags = () => ['--database-url', DATABASE_URL, '--schema', schema];
  let database: ChatDebugDatabase;
  let service: DebugService;
  let seeded: SeededChat;

  beforeAll(async () => {
    assertBuilt();
    const migrated = await runCliBinary(['migrate', ...flags()]);
    expect(migrated.code, migrated.stderr).toBe(0);
    expect(migrated.stdout).toMatch(new RegExp(`^applied migrations 1, 2 to schema "${schema}" of PostgreSQL at .*; now at version 2\\n$`));
    database = await openPostgres({ connectionString: DATABASE_URL, schema, migrate: false, logger: silentLogger });
    service = new DebugService({ exporter: database.exporter, eventBus: database.eventBus, logger: silentLogger });
    seeded = await seedChat(service);
  });

  afterAll(async () => {
    await database?.close();
    const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 1 });
    pool.on('error', () => undefined);
    await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await pool.end();
  });

  it('migrate: idempotent, --json', async () => {
    const result = await runCliBinary(['migrate', ...flags(), '--json']);
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ schema, applied: [], version: 2 });
  });

  it('runs, with the schema from CHATDEBUG_SCHEMA and the server from DATABASE_URL', async () => {
    const result = await runCliBinary(['runs', seeded.chatId, '--json'], { env: { DATABASE_URL, CHATDEBUG_SCHEMA: schema } });
    expect(result.code, result.stderr).toBe(0);
    const parsed = JSON.parse(result.stdout) as { runs: RunJson[] };
    expect(parsed.runs.map((run) => run.id)).toEqual([seeded.errorRunId, seeded.completedRunId, seeded.staleRunId, seeded.oldRunId]);
  });

  it('show: text and JSON; an unknown run → 3', async () => {
    const text = await runCliBinary(['show', seeded.completedRunId, ...flags()]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain('Step 1  generate  completed');
    expect(text.stdout).toContain('#1  failed  POST /v1/chat/completions  → 429');
    const json = JSON.parse((await runCliBinary(['show', seeded.completedRunId, ...flags(), '--json'])).stdout) as RunWithStepsJson;
    expect(json.steps.map((step) => step.attempts.length)).toEqual([2, 1]);
    const missing = await runCliBinary(['show', newId(), ...flags()]);
    expect(missing.code).toBe(3);
  });

  it('export: chat scope and run scope', async () => {
    const chat = JSON.parse((await runCliBinary(['export', seeded.chatId, ...flags()])).stdout) as ExportDocument;
    expect(chat).toMatchObject({ version: 1, scope: 'chat', chat_id: seeded.chatId, run_count: 4, limited_to_most_recent: 100 });
    const run = JSON.parse((await runCliBinary(['export', seeded.errorRunId, ...flags()])).stdout) as ExportDocument;
    expect(run).toMatchObject({ version: 1, scope: 'run', run_id: seeded.errorRunId, run_count: 1 });
  });

  it('tail: a write from another process shows up as it lands; Ctrl-C exits 0', async () => {
    const tail = startCli(['tail', seeded.chatId, ...flags(), '--json']);
    await tail.waitFor('stderr', `following chat ${seeded.chatId}`);
    const run = await service.createRun({ chatId: seeded.chatId, kind: 'quickgen', model: 'gpt-live' });
    await service.finalizeRun({ runId: run.id, chatId: seeded.chatId, status: 'completed' });
    await tail.waitFor('stdout', /"status":"completed"/);
    tail.child.kill('SIGINT');
    const result = await tail.done;
    expect(result.code, result.stderr).toBe(0);
    const events = result.stdout.trim().split('\n').map((line) => JSON.parse(line) as { kind: string; run_id: string; run?: RunJson });
    expect(events.map((event) => [event.kind, event.run_id, event.run?.kind])).toEqual([
      ['run_update', run.id, 'quickgen'],
      ['run_update', run.id, 'quickgen'],
    ]);
    expect(events[1]?.run?.status).toBe('completed');
  });

  it('sweep and purge', async () => {
    const sweep = await runCliBinary(['sweep', ...flags(), '--json']);
    expect(sweep.code, sweep.stderr).toBe(0);
    expect(JSON.parse(sweep.stdout)).toMatchObject({ runs_finalized: 1, steps_finalized: 1 });
    const dry = await runCliBinary(['purge', '--older-than', '30d', '--dry-run', ...flags()]);
    expect(dry.stdout).toMatch(/^dry run: would delete 1 run/);
    const purge = await runCliBinary(['purge', '--older-than', '30d', ...flags()]);
    expect(purge.code, purge.stderr).toBe(0);
    expect(purge.stdout).toMatch(/^deleted 1 run not updated for 30d/);
    expect(purge.stderr).toBe('purging: 1 / 1 runs deleted\n');
  });

  it('demo: records into the server (migrating the schema) and prints JSON', async () => {
    const result = await runCliBinary(['demo', '--json'], { env: { DATABASE_URL, CHATDEBUG_SCHEMA: schema } });
    expect(result.code, result.stderr).toBe(0);
    const demo = JSON.parse(result.stdout) as { chat_id: string; runs: RunWithStepsJson[]; sweep: { runs_finalized: number } };
    expect(demo.runs.map((run) => run.status)).toEqual(['interrupted', 'completed', 'completed', 'completed', 'completed', 'error', 'interrupted']);
    expect(demo.sweep.runs_finalized).toBe(1);
    expect((await service.listRuns(demo.chat_id)).length).toBe(7);
  });

  it('demo as `pnpm demo` runs it (the sources): the hints say pnpm chatdebug, the same DATABASE_URL, the schema, and tail', async () => {
    const result = await runCliBinary(['demo', '--no-color'], { entry: 'source', env: { DATABASE_URL, CHATDEBUG_SCHEMA: schema } });
    expect(result.code, result.stderr).toBe(0);
    const chatId = /^chat ([0-9a-f-]{36}) /m.exec(result.stdout)?.[1] ?? '';
    const hints = result.stdout.slice(result.stdout.indexOf('Look closer'));
    expect(hints).toMatch(/^Look closer \(with the same DATABASE_URL exported: PostgreSQL at [^)]+\):\n/);
    expect(hints).toContain(`  pnpm chatdebug runs ${chatId} --schema ${schema}\n`);
    expect(hints).toContain(`  pnpm chatdebug tail ${chatId} --schema ${schema}   # follow it live, from another terminal\n`);
    expect(hints).not.toContain(DATABASE_URL);
    // The printed command, run as told (DATABASE_URL set, no CHATDEBUG_SCHEMA), finds the chat.
    const runs = await runCliBinary(['runs', chatId, '--schema', schema, '--json'], { env: { DATABASE_URL } });
    expect((JSON.parse(runs.stdout) as { run_count: number }).run_count).toBe(7);
  });

  it('a schema without the tables → exit 5 with a hint to migrate', async () => {
    const result = await runCliBinary(['runs', seeded.chatId, '--database-url', DATABASE_URL, '--schema', randomSchema('cdnone')]);
    expect(result.code).toBe(5);
    expect(result.stderr).toMatch(/^chatdebug: chatdebug's tables are missing from schema "cdnone_[0-9a-f]+" on PostgreSQL at .*: run `chatdebug migrate` first\n$/);
  });
});
