import { existsSync } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import { Command } from 'commander';
import type { CliRuntime, CommandContext, CommonFlags } from '../command-context.js';
import { defineCommand } from '../command-context.js';
import { CliError } from '../cli-error.js';
import type { DatabaseTarget } from '../database/database-target.js';
import { DEMO_DATA_DIR, describeTarget } from '../database/database-target.js';
import { lockDataDir } from '../database/data-dir-lock.js';
import { lookCloserLines } from '../demo/look-closer.js';
import type { DemoResult } from '../demo/run-demo.js';
import { formatDuration } from '../duration.js';
import { runWithStepsJson } from '../render/json-shapes.js';
import { renderRunTree } from '../render/run-tree.js';
import { shellCommand } from '../shell-command.js';

interface DemoFlags extends CommonFlags {
  fresh?: boolean;
  inMemory?: boolean;
}

/** `chatdebug demo` (and `pnpm demo`): an agent conversation recorded end to end, printed as a tree. */
export function demoCommand(runtime: CliRuntime): Command {
  const command = new Command('demo')
    .summary('record an example agent conversation and print it as a tree')
    .description(
      `Runs an example agent conversation end to end with nothing to install: a local fake LLM server speaking the OpenAI chat-completions wire format, the real openai client instrumented by chatdebug, and the records written to an embedded PostgreSQL (PGlite) under ${DEMO_DATA_DIR}, or to a server with --database-url / DATABASE_URL (the tables are migrated first). The conversation covers a tool call, a title generation, a streamed answer, a rate limit retried into success, a provider error, a user stopping a stream, and a crashed worker's run finalized by the stale sweep. Then it prints the recorded runs and steps.`,
    )
    .option('--fresh', `delete the embedded data directory first (${DEMO_DATA_DIR} unless --data-dir)`)
    .option('--in-memory', 'keep the embedded database in memory: nothing is written to disk')
    .addHelpText('after', `\nExamples:\n  pnpm demo --fresh\n  chatdebug demo --in-memory --no-color\n  DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres chatdebug demo`);
  return defineCommand<DemoFlags>(runtime, command, async (context, _args, flags) => {
    const target = demoTarget(context, flags);
    if (flags.fresh && !runtime.options.database) {
      if (target.kind === 'embedded' && target.dataDir !== undefined) await removeDataDir(target.dataDir);
      else if (target.kind === 'server') context.note('chatdebug: --fresh only resets an embedded database; every demo records a new chat anyway');
    }
    const where = runtime.options.database ? 'the given database' : describeTarget(target);
    if (!context.json) {
      context.print(`${context.style('bold', 'chatdebug demo')}: recording an agent conversation into ${where}`);
      if (target.kind === 'embedded' && !runtime.options.database) context.print(context.style('dim', 'starting the embedded PostgreSQL (PGlite) takes a few seconds...'));
    }
    // The demo module (with the openai client) loads while the database starts; the other
    // commands never load it.
    const opening = performance.now();
    const demoModule = import('../demo/run-demo.js');
    const session = await context.openSession('migrate', target);
    const { runDemo } = await demoModule;
    context.logger.info(`database ready in ${formatDuration(performance.now() - opening)}`);
    let result: DemoResult;
    try {
      result = await runDemo({ database: session.database, logger: context.logger, signal: context.io.signal }).catch((error: unknown) => {
        if (context.io.signal?.aborted) throw new CliError('interrupted', 'demo interrupted', { cause: error });
        throw error;
      });
    } finally {
      await session.close();
    }
    if (context.json) {
      context.printJson({
        chat_id: result.chatId,
        database: where,
        elapsed_ms: Math.round(result.elapsedMillis),
        provider_requests: result.providerRequests,
        sweep: { runs_finalized: result.sweep.runsFinalized, steps_finalized: result.sweep.stepsFinalized },
        runs: result.runs.map(runWithStepsJson),
      });
      return;
    }
    printResult(context, result, target, { borrowed: runtime.options.database !== undefined, urlFromFlag: flags.databaseUrl !== undefined });
  });
}

function demoTarget(context: CommandContext, flags: DemoFlags): DatabaseTarget {
  if (flags.inMemory) {
    if (flags.dataDir !== undefined || flags.databaseUrl !== undefined) throw new CliError('usage', '--in-memory cannot be combined with --data-dir or --database-url');
    const schema = context.target({ dataDir: DEMO_DATA_DIR, onlyIfExists: false }).schema;
    return { kind: 'embedded', dataDir: undefined, schema };
  }
  return context.target({ dataDir: DEMO_DATA_DIR, onlyIfExists: false });
}

/** Deletes an embedded data directory, refusing anything that does not look like one. */
async function removeDataDir(dataDir: string): Promise<void> {
  if (!existsSync(dataDir)) return;
  const entries = await readdir(dataDir);
  if (entries.length > 0 && !entries.includes('PG_VERSION')) {
    throw new CliError('usage', `--fresh: refusing to delete ${dataDir}: it does not look like an embedded database (no PG_VERSION)`);
  }
  const release = await lockDataDir(dataDir);
  try {
    await rm(dataDir, { recursive: true, force: true });
  } finally {
    await release();
  }
}

function printResult(context: CommandContext, result: DemoResult, target: DatabaseTarget, { borrowed, urlFromFlag }: { borrowed: boolean; urlFromFlag: boolean }): void {
  const { style } = context;
  const stepCount = result.runs.reduce((sum, { steps }) => sum + steps.length, 0);
  context.print('');
  context.print(`${style('bold', `chat ${result.chatId}`)}  ${style('dim', `${result.runs.length} runs, ${stepCount} steps, ${result.providerRequests} provider requests`)}`);
  context.print(renderRunTree(result.runs, style));
  context.print('');
  const { runsFinalized, stepsFinalized } = result.sweep;
  context.print(`stale sweep: finalized ${runsFinalized} run${runsFinalized === 1 ? '' : 's'} and ${stepsFinalized} step${stepsFinalized === 1 ? '' : 's'} left open by a crashed worker`);
  context.print(`recorded in ${formatDuration(result.elapsedMillis)}`);
  if (borrowed) return;
  for (const line of lookCloserLines({ chatId: result.chatId, runs: result.runs, target, urlFromFlag, cwd: context.io.cwd, command: shellCommand(), style })) context.print(line);
}
