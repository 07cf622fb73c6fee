import { Command } from 'commander';
import type { StepRecord } from '@chatdebug/sdk';
import type { CliRuntime, CommonFlags } from '../command-context.js';
import { defineCommand, positiveInteger, requireUuidArgument } from '../command-context.js';
import { formatElapsed, formatTokens, oneLine, runLabel, runStepCount, runTokens } from '../render/format.js';
import { runJson } from '../render/json-shapes.js';
import { columnWidths, joinCells } from '../render/run-tree.js';

interface RunsFlags extends CommonFlags {
  limit?: string;
}

/** `chatdebug runs <chatId>`: the runs of a chat, newest first. */
export function runsCommand(runtime: CliRuntime): Command {
  const command = new Command('runs')
    .summary('list the runs of a chat, newest first')
    .description('Lists the runs of a chat, newest first: when each started, its id, kind, status, model, duration, steps, tokens and label.')
    .argument('<chatId>', 'the chat (a UUID)')
    .option('--limit <n>', 'at most this many runs', '100')
    .addHelpText('after', '\nExamples:\n  chatdebug runs 0193f3c1-8e2a-7c4d-9b1e-2f6a5d4c3b21 --limit 10\n  chatdebug runs $CHAT --json | jq ".runs[].status"');
  return defineCommand<RunsFlags>(runtime, command, async (context, [chatArg], flags) => {
    const chatId = requireUuidArgument('chatId', chatArg);
    const limit = positiveInteger('--limit', flags.limit, 100);
    const session = await context.openSession();
    try {
      const runs = await session.service.listRuns(chatId, { limit });
      if (context.json) {
        context.printJson({ chat_id: chatId, run_count: runs.length, runs: runs.map(runJson) });
        return;
      }
      if (runs.length === 0) {
        context.print(`no runs for chat ${chatId}`);
        return;
      }
      // A finished run carries its step count and token totals in its summary. An open run has
      // none yet, and neither has one the stale sweep finalized: count those runs' steps, as the
      // demo tree and \`show\` do, rather than print "-" for a run they show with steps.
      const uncounted = runs.filter((run) => runStepCount(run) === undefined);
      const stepsOf = new Map<string, StepRecord[]>(
        await Promise.all(uncounted.map(async (run) => [run.id, await session.service.listSteps(run.id)] as const)),
      );
      const { style } = context;
      const header = ['STARTED', 'RUN', 'KIND', 'STATUS', 'MODEL', 'DURATION', 'STEPS', 'TOKENS', 'LABEL'];
      const rows = runs.map((run) => [
        run.startedAt.toISOString().replace('T', ' ').slice(0, 19),
        run.id,
        run.kind,
        style.status(run.status),
        run.model ?? '-',
        formatElapsed(run),
        String(runStepCount(run, stepsOf.get(run.id)) ?? '-'),
        formatTokens(runTokens(run, stepsOf.get(run.id))),
        oneLine(runLabel(run), 48),
      ]);
      const widths = columnWidths([header, ...rows]);
      context.print(style('bold', joinCells(header, widths)));
      for (const row of rows) context.print(joinCells(row, widths));
    } finally {
      await session.close();
    }
  });
}
